# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Install, upgrade and remove opkg packages on a Python-less Aloofix/minifix guest (opkg 0.1.8).

The guest is read first (opkg.conf, ``opkg list-installed``, the feeds' lists, the control files of package
files), the plan (what would be installed, upgraded, removed, dependencies included) is computed on the
controller, and check mode stops there. Then opkg runs, the installed set is read again, and the result is
what actually changed; a package that is not in the asked state afterwards fails the task, whatever opkg's
exit code (0.1.8 exits 0 on some failures)."""

from __future__ import annotations

import posixpath
import re
import shlex

from ansible.plugins.action import ActionBase

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError, reported
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import opkg

ARGS = {
    "name": {"type": "list", "elements": "str", "required": True, "aliases": ["pkg"]},
    "state": {"type": "str", "choices": ["present", "absent", "latest"], "default": "present"},
    "update_cache": {"type": "bool", "default": False},
    "feed": {"type": "str"},
    "dest": {"type": "str"},
    "offline_root": {"type": "str"},
    "force_reinstall": {"type": "bool", "default": False},
    "conf": {"type": "str", "default": opkg.DEFAULT_CONF},
}
_MARK = "buildstrap-opkg:"
_URL = re.compile(r"^(https?|ftp|file)://")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+._-]*$")


def _is_file(item: str) -> bool:
    return "/" in item or item.endswith((".opk", ".ipk"))


def _sections(text: str) -> dict[str, str]:
    """``buildstrap-opkg:KEY`` marker lines split ``text`` into sections."""
    out, key, lines = {}, None, []
    for line in text.splitlines(keepends=True):
        if line.startswith(_MARK):
            if key is not None:
                out[key] = "".join(lines)
            key, lines = line[len(_MARK):].strip(), []
        elif key is not None:
            lines.append(line)
    if key is not None:
        out[key] = "".join(lines)
    return out


def _fetch_index(feed: opkg.Feed) -> str:
    """A shell line printing a feed's current index without touching the guest (check mode + update_cache)."""
    url = feed.url.rstrip("/") + ("/Packages.gz" if feed.gzip else "/Packages")
    get = f"cat {shlex.quote(url[len('file://'):])}" if url.startswith("file://") else \
        f"wget -q -O - {shlex.quote(url)}"
    return f"{get} | gunzip -c" if feed.gzip else get


def _control_of(item: str) -> str:
    """A shell line printing the control file of a package file (a gzip'd tar holding control.tar.gz) or URL."""
    q = shlex.quote
    if _URL.match(item):
        src = f"cat {q(item[len('file://'):])}" if item.startswith("file://") else f"wget -q -O - {q(item)}"
    else:
        src = f"cat {q(item)}"
    return f"{src} | tar -xzOf - ./control.tar.gz | tar -xzOf - ./control"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def _run(self, line: str, **kw) -> api.Ran:
        return api.run(self._low_level_execute_command, line, **kw)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec=ARGS, mutually_exclusive=[["dest", "offline_root"]])
        result.update(changed=False, commands=[])
        with reported(result):
            self._apply(args, result)
        if not result.get("warnings"):
            result.pop("warnings", None)
        return result

    def _apply(self, args: dict, result: dict):
        names = [n.strip() for n in args["name"]]
        if not names or any(not n for n in names):
            raise SpecError("name", "give at least one package name, file or URL (no empty items)")
        for item in names:
            if not _is_file(item) and not _NAME.match(item):
                raise SpecError("name", f"{item!r} is not a package name, nor a path or URL of a .opk file")
            if _is_file(item) and not (item.startswith("/") or _URL.match(item)):
                raise SpecError("name", f"{item!r}: package files must be absolute paths on the guest or URLs")
        if args["offline_root"] is not None and not args["offline_root"].startswith("/"):
            raise SpecError("offline_root", f"{args['offline_root']!r} must be an absolute path on the guest")
        if args["feed"] is not None and args["state"] == "absent":
            raise SpecError("feed", "only applies to state=present and state=latest")
        conf_path = args["conf"]

        read = self._run(f"cat {shlex.quote(conf_path)}", ok_rc=None)
        if read.rc != 0:
            raise SpecError("conf", f"cannot read {conf_path} on the guest: {read.stderr.strip()}")
        conf = opkg.parse_conf(read.stdout)
        flags = [] if conf_path == opkg.DEFAULT_CONF else ["-f", conf_path]
        if args["dest"]:
            flags += ["-d", args["dest"]]
        if args["offline_root"]:
            flags += ["-o", args["offline_root"]]
        lists = opkg.lists_dir(conf, args["dest"], args["offline_root"])
        feed = None
        if args["feed"] is not None:
            feed = conf.feed(args["feed"])
            if feed is None:
                raise SpecError("feed", f"no feed named {args['feed']!r} in {conf_path} (configured: "
                                        f"{', '.join(f.name for f in conf.feeds) or 'none'})")
        files = [n for n in names if _is_file(n)]
        pkg_names = [n for n in names if not _is_file(n)]
        if files and args["state"] == "latest":
            raise SpecError("name", "state=latest takes package names, not package files")

        # One round trip: the installed set, each package file's control, each feed's list (or, in check mode
        # with update_cache, its current index read over the network without writing anything).
        opkg_cmd = " ".join(shlex.quote(w) for w in ["opkg", *flags])
        parts = [f"echo {_MARK}installed", f"{opkg_cmd} list-installed"]
        for k, item in enumerate(files):
            parts += [f"echo {_MARK}file{k}", f"{_control_of(item)} 2>&1 || echo {_MARK}error"]
        refresh = args["update_cache"] and not self._task.check_mode
        warnings = result.setdefault("warnings", [])
        if refresh:
            result["commands"].append(f"{opkg_cmd} update")
            update = self._run(f"{opkg_cmd} update", ok_rc=None)
            result["cache_updated"] = True
            if update.rc != 0:  # one unreachable feed: opkg still updates the others' lists
                warnings.append(f"opkg update exited with {update.rc}: {(update.stderr or update.stdout).strip()}")
        for f in conf.feeds:
            path = shlex.quote(posixpath.join(lists, f.name))
            current = f"if [ -f {path} ]; then cat {path}; fi"
            if args["update_cache"] and self._task.check_mode:
                # the index as `opkg update` would fetch it now; the downloaded list if the feed is unreachable
                tmp_index = f"i=$(mktemp) && if {_fetch_index(f)} >\"$i\"; then cat \"$i\"; else " \
                            f"echo {_MARK}stale:{f.name}; {current}; fi; rm -f \"$i\""
                parts += [f"echo {_MARK}list:{f.name}", tmp_index]
            else:
                parts += [f"echo {_MARK}list:{f.name}", current]
        sections = _sections(self._run("; ".join(parts), what="reading opkg's state").stdout)
        for key in sections:
            if key.startswith("stale:"):
                warnings.append(f"check mode: cannot read the index of feed {key[6:]} now; "
                                "planned with its downloaded list")
        installed = opkg.installed_versions(sections.get("installed", ""))

        given = []
        for k, item in enumerate(files):
            text = sections.get(f"file{k}", "")
            stanzas = opkg.parse_stanzas(text)
            if _MARK + "error" in text or not stanzas:
                raise SpecError("name", f"{item} is not a readable package file on the guest: {text.strip()[-300:]}")
            s = stanzas[0]
            given.append(opkg.Candidate(s["package"], s.get("version", ""), item, s.get("depends", ""), True))
        index = {f.name: sections.get(f"list:{f.name}", "") + sections.get(f"stale:{f.name}", "")
                 for f in conf.feeds}
        if feed is not None and not index.get(feed.name, "").strip():
            raise SpecError("feed", f"feed {feed.name!r} has no downloaded list in {lists} (run with update_cache)")
        available = opkg.candidates_from_lists(index)

        the_plan = opkg.plan(args["state"], pkg_names, installed, available, given,
                             feed.name if feed else None, args["force_reinstall"])
        predicted = dict(installed)
        for c in the_plan.install:
            predicted[c.name] = c.version
        for c, _unused in the_plan.upgrade:
            predicted[c.name] = c.version
        for n, _unused in the_plan.remove:
            predicted.pop(n, None)
        commands = self._commands(args, flags, feed, conf_path, the_plan, pkg_names, installed, given)
        result.update(changed=the_plan.changed, plan=the_plan.summary(),
                      commands=result["commands"] + [c for c, _unused in commands])
        if self._task.diff and the_plan.changed:
            result["diff"] = {"before": opkg.installed_lines(installed), "after": opkg.installed_lines(predicted),
                              "before_header": "installed packages", "after_header": "installed packages (after)"}
        if self._task.check_mode or not the_plan.changed:
            result.update(the_plan.summary())
            if the_plan.changed:
                result["msg"] = "check mode: " + "; ".join(
                    f"would {what} {', '.join(p['name'] for p in items)}"
                    for what, items in the_plan.summary().items() if items)
            return

        outputs = []
        for line, shown in commands:
            ran = self._run(line, ok_rc=None)
            outputs.append(f"$ {shown}\n{ran.stdout}{ran.stderr}")
            result.update(rc=ran.rc)
        result.update(stdout="".join(outputs), stdout_lines="".join(outputs).splitlines())
        after = opkg.installed_versions(self._run(f"{opkg_cmd} list-installed").stdout)
        result.update(opkg.changes(installed, after), changed=after != installed or args["force_reinstall"])
        if self._task.diff:
            result["diff"]["after"] = opkg.installed_lines(after)
        wanted = {c.name: c.version for c in the_plan.install if c.name in pkg_names or c.is_file}
        wanted.update({c.name: c.version for c, _unused in the_plan.upgrade})
        wrong = [n for n, v in wanted.items() if after.get(n) != v] + [n for n, _unused in the_plan.remove if n in after]
        if wrong:
            raise opkg.OpkgError(f"opkg left {', '.join(sorted(set(wrong)))} not as planned "
                                 f"(wanted: {the_plan.summary()}); its output:\n" + "".join(outputs)[-3000:])

    @staticmethod
    def _commands(args, flags, feed, conf_path, the_plan, pkg_names, installed, given):
        """(shell line, line to show) pairs that carry out ``the_plan``."""
        def opkg_line(words, restrict=True):
            argv = " ".join(shlex.quote(w) for w in words)
            base = " ".join(shlex.quote(w) for w in flags)
            if feed is None or not restrict:
                line = f"opkg {base} {argv}".replace("  ", " ")
                return line, line
            # opkg 0.1.8 has no per-feed install: give it a copy of its configuration with this feed's line only,
            # so that the package and its dependencies come from that feed's list.
            others = flags[2:] if flags[:1] == ["-f"] else flags
            rest = " ".join(shlex.quote(w) for w in others)
            line = (f"c=$(mktemp /tmp/opkg-conf.XXXXXX) || exit 1; "
                    f"grep -v -E '^[[:space:]]*src(/gz)?[[:space:]]' {shlex.quote(conf_path)} >\"$c\"; "
                    f"echo {shlex.quote(feed.line)} >>\"$c\"; opkg -f \"$c\" {rest} {argv}; rc=$?; "
                    f"rm -f \"$c\"; exit $rc")
            return line, f"opkg -f <{conf_path} with only feed {feed.name}> {rest} {argv}".replace("  ", " ")

        out = []
        if the_plan.remove:
            out.append(opkg_line(["remove", *[n for n, _unused in the_plan.remove]], restrict=False))
            return out
        upgrade_names = [c.name for c, _unused in the_plan.upgrade if not c.is_file]
        new_names = [n for n in pkg_names if n not in installed]
        file_items = [c.source for c in given
                      if any(c is i for i in the_plan.install) or any(c is u for u, _unused in the_plan.upgrade)]
        if args["force_reinstall"]:
            words = [*upgrade_names, *new_names, *file_items]
            if words:
                out.append(opkg_line(["--force-reinstall", "install", *words]))
            return out
        if new_names or file_items:
            out.append(opkg_line(["install", *new_names, *file_items]))
        if upgrade_names:
            out.append(opkg_line(["upgrade", *upgrade_names]))
        return out
