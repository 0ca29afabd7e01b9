# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Manage one ``src``/``src/gz`` feed line of opkg.conf on a Python-less guest: read the file, compute the new
text on the controller, and (outside check mode) write it atomically on the guest (a temporary file beside
it that keeps the file's mode and owner, then mv)."""

from __future__ import annotations

import posixpath
import re
import shlex

from ansible.plugins.action import ActionBase

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError, reported
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import opkg

ARGS = {
    "name": {"type": "str", "required": True},
    "url": {"type": "str"},
    "gzip": {"type": "bool", "default": False},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "path": {"type": "str", "default": opkg.DEFAULT_CONF},
}
_URL = re.compile(r"^(https?|ftp|file)://\S+$")
_MISSING = "buildstrap-opkg-feed:missing"


def _read_command(path: str) -> str:
    q = shlex.quote(path)
    return f"if [ -f {q} ]; then cat {q}; else echo {_MISSING}; fi"


def _write_command(path: str, size: int) -> str:
    """Write stdin to ``path`` atomically: a temporary file in the same directory (a copy of the old file, so
    mode and owner stay), filled, checked to hold all ``size`` bytes (a broken transfer must not truncate the
    configuration), then renamed over it."""
    q = shlex.quote(path)
    return (f"umask 022; tmp=$(mktemp {shlex.quote(path + '.XXXXXX')}) || exit 1; "
            f"if [ -e {q} ]; then cp -p {q} \"$tmp\"; else chmod 644 \"$tmp\"; fi && cat >\"$tmp\" && "
            f"[ \"$(wc -c <\"$tmp\")\" -eq {size} ] && mv -f \"$tmp\" {q} || {{ rm -f \"$tmp\"; exit 1; }}")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec=ARGS, required_if=[["state", "present", ["url"]]])
        name, path, present = args["name"], args["path"], args["state"] == "present"
        result.update(name=name, path=path, changed=False)
        with reported(result):
            if not re.match(r"^[^\s#]+$", name):
                raise SpecError("name", f"{name!r} is not a feed name (no spaces or #)")
            if present and not _URL.match(args["url"]):
                raise SpecError("url", f"{args['url']!r} is not an http://, https://, ftp:// or file:// URL "
                                       "without spaces")
            if not path.startswith("/"):
                raise SpecError("path", f"{path!r} must be an absolute path on the guest")
            ran = api.run(self._low_level_execute_command, _read_command(path), what=f"reading {path}")
            missing = ran.stdout.strip() == _MISSING
            before = "" if missing else ran.stdout
            if missing and present:
                probe = api.run(self._low_level_execute_command,
                                f"test -d {shlex.quote(posixpath.dirname(path))}", ok_rc=None)
                if probe.rc != 0:
                    raise SpecError("path", f"{posixpath.dirname(path)} does not exist on the guest")
            after = opkg.set_feed(before, name, args["url"], args["gzip"], present)
            changed = after != before
            feeds = opkg.parse_conf(after).feeds
            result.update(changed=changed, feeds=[{"name": f.name, "url": f.url, "gzip": f.gzip} for f in feeds])
            if present:
                result["line"] = opkg.Feed(name, args["url"], args["gzip"]).line
            if self._task.diff and changed:
                result["diff"] = {"before": before, "after": after,
                                  "before_header": f"{path} (guest)" if not missing else f"{path} (absent)",
                                  "after_header": f"{path} (after)"}
            if not changed or self._task.check_mode:
                return result
            api.run(self._low_level_execute_command, _write_command(path, len(after.encode("utf-8"))), in_data=after, what=f"writing {path}")
            check = api.run(self._low_level_execute_command, _read_command(path), what=f"reading {path} back")
            if check.stdout != after:
                raise opkg.OpkgError(f"{path} on the guest does not hold what was written")
        return result
