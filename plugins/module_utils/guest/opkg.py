# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions over what opkg 0.1.8 reads and prints: opkg.conf, Packages/status/control stanzas, the
output of ``list``, ``list-installed`` and ``list-upgradable``, version comparison, and the plan of an
install/upgrade/remove. No I/O: the action plugins fetch the text from the guest and pass it in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import BuildstrapError, SpecError

DEFAULT_CONF = "/etc/opkg/opkg.conf"
# opkg 0.1.8's OPKG_CONF_LISTS_DIR: lists live under the (offline or destination) root.
DEFAULT_LISTS_DIR = "/usr/lib/opkg/lists"


class OpkgError(BuildstrapError):
    """opkg on the guest failed, or left the packages in another state than the one asked for."""


# --- opkg.conf ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Feed:
    name: str
    url: str
    gzip: bool = False

    @property
    def line(self) -> str:
        return f"{'src/gz' if self.gzip else 'src'} {self.name} {self.url}"


@dataclass
class Conf:
    feeds: list = field(default_factory=list)
    dests: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)

    def feed(self, name: str) -> Feed | None:
        return next((f for f in self.feeds if f.name == name), None)


def _conf_words(line: str) -> list[str]:
    stripped = line.strip()
    return [] if not stripped or stripped.startswith("#") else stripped.split()


def parse_conf(text: str) -> Conf:
    """The feeds (``src``/``src/gz``, first line per name wins as in opkg), destinations and options."""
    conf = Conf()
    for line in text.splitlines():
        words = _conf_words(line)
        if len(words) >= 3 and words[0] in ("src", "src/gz"):
            if conf.feed(words[1]) is None:
                conf.feeds.append(Feed(words[1], words[2], words[0] == "src/gz"))
        elif len(words) >= 3 and words[0] == "dest":
            conf.dests.setdefault(words[1], words[2])
        elif len(words) >= 2 and words[0] == "option":
            conf.options[words[1]] = words[2] if len(words) > 2 else ""
    return conf


def set_feed(text: str, name: str, url: str | None = None, gzip: bool = False, present: bool = True) -> str:
    """opkg.conf ``text`` with feed ``name`` as asked: present with exactly one line ``src[/gz] name url``
    (an existing line for that name is replaced in place, duplicates dropped, else the line is appended), or
    absent (every ``src``/``src/gz`` line of that name dropped). Comments and other lines are kept as written."""
    wanted = Feed(name, url or "", gzip).line if present else None
    out, placed = [], False
    for line in text.splitlines(keepends=True):
        words = _conf_words(line)
        if len(words) >= 2 and words[0] in ("src", "src/gz") and words[1] == name:
            if wanted is not None and not placed:
                out.append(line if words[:3] == wanted.split() else wanted + "\n")
                placed = True
            continue
        out.append(line)
    if wanted is not None and not placed:
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        out.append(wanted + "\n")
    return "".join(out)


def lists_dir(conf: Conf, dest: str | None = None, offline_root: str | None = None) -> str:
    """Where ``opkg update`` leaves the feeds' lists: ``option lists_dir`` or /usr/lib/opkg/lists, under the
    offline root (-o) or, with -d, under that destination's root (opkg 0.1.8 restricts to the default dest)."""
    base = conf.options.get("lists_dir") or DEFAULT_LISTS_DIR
    if offline_root:
        root = offline_root
    elif dest:
        if dest not in conf.dests:
            raise SpecError("dest", f"no destination {dest!r} in opkg.conf (known: {', '.join(conf.dests) or 'none'})")
        root = conf.dests[dest]
    else:
        root = ""
    return root.rstrip("/") + base


# --- stanzas and command output ----------------------------------------------------------------------

def parse_stanzas(text: str) -> list[dict]:
    """Packages, status, control or ``opkg info``/``status`` text as dicts with lower-case field names;
    continuation lines (leading space) are joined to their field with a newline."""
    stanzas, current, last = [], {}, None
    for line in text.splitlines():
        if not line.strip():
            if current:
                stanzas.append(current)
            current, last = {}, None
        elif line[0] in " \t" and last:
            current[last] += "\n" + line.strip()
        elif ":" in line:
            key, _unused, value = line.partition(":")
            last = key.strip().lower()
            current[last] = value.strip()
    if current:
        stanzas.append(current)
    return [s for s in stanzas if s.get("package")]


def parse_list(text: str) -> list[tuple[str, str, str]]:
    """``opkg list``/``list-installed`` lines ``name - version[ - description]`` as (name, version, description).
    Other lines (continuations of multi-line descriptions, messages) are skipped."""
    rows = []
    for line in text.splitlines():
        parts = line.split(" - ", 2)
        if len(parts) >= 2 and parts[0] and " " not in parts[0] and " " not in parts[1].strip():
            rows.append((parts[0], parts[1].strip(), parts[2].strip() if len(parts) == 3 else ""))
    return rows


def parse_list_upgradable(text: str) -> list[tuple[str, str, str]]:
    """``opkg list-upgradable`` lines ``name - installed - candidate``."""
    return [(n, old, new) for n, old, new in parse_list(text) if new and " " not in new]


def installed_versions(list_installed: str) -> dict[str, str]:
    return {name: version for name, version, _unused in parse_list(list_installed)}


def status_installed(stanzas: list[dict]) -> dict[str, str]:
    """Name -> version of the stanzas of a status file (or ``opkg status``) whose state is installed."""
    return {s["package"]: s.get("version", "") for s in stanzas
            if s.get("status", "").split()[-1:] == ["installed"]}


_DEP_NAME = re.compile(r"^\s*([^\s(]+)")


def parse_depends(value: str) -> list[list[str]]:
    """``Depends`` as a list of alternatives (version constraints dropped, as opkg's resolver mostly does)."""
    deps = []
    for clause in (value or "").split(","):
        alts = [m.group(1) for m in (_DEP_NAME.match(a) for a in clause.split("|")) if m]
        if alts:
            deps.append(alts)
    return deps


# --- versions (opkg's pkg_compare_versions: epoch, then dpkg's verrevcmp on version and revision) -----

def _order(c: str) -> int:
    if c == "~":
        return -1
    if not c or c.isdigit():
        return 0
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def _verrevcmp(val: str, ref: str) -> int:
    i = j = 0
    while i < len(val) or j < len(ref):
        first_diff = 0
        while (i < len(val) and not val[i].isdigit()) or (j < len(ref) and not ref[j].isdigit()):
            vc = _order(val[i] if i < len(val) else "")
            rc = _order(ref[j] if j < len(ref) else "")
            if vc != rc:
                return vc - rc
            i, j = i + 1, j + 1
        while i < len(val) and val[i] == "0":
            i += 1
        while j < len(ref) and ref[j] == "0":
            j += 1
        while i < len(val) and j < len(ref) and val[i].isdigit() and ref[j].isdigit():
            if not first_diff:
                first_diff = ord(val[i]) - ord(ref[j])
            i, j = i + 1, j + 1
        if i < len(val) and val[i].isdigit():
            return 1
        if j < len(ref) and ref[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def _split_version(version: str) -> tuple[int, str, str]:
    epoch, _unused, rest = version.partition(":") if ":" in version else ("0", "", version)
    upstream, _unused, revision = rest.rpartition("-") if "-" in rest else (rest, "", "")
    return int(epoch or 0) if epoch.isdigit() else 0, upstream, revision


def compare_versions(a: str, b: str) -> int:
    """<0, 0 or >0 as ``a`` is older than, equal to or newer than ``b``."""
    ea, va, ra = _split_version(a)
    eb, vb, rb = _split_version(b)
    if ea != eb:
        return ea - eb
    return _verrevcmp(va, vb) or _verrevcmp(ra, rb)


# --- plans -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    name: str
    version: str
    source: str          # a feed name, or the path/URL of a package file
    depends: str = ""
    is_file: bool = False


def candidates_from_lists(lists: dict[str, str]) -> dict[str, list[Candidate]]:
    """Feed name -> list text, as name -> every candidate (best first: highest version, then feed order)."""
    found: dict[str, list[Candidate]] = {}
    for feed_name, text in lists.items():
        for stanza in parse_stanzas(text):
            found.setdefault(stanza["package"], []).append(
                Candidate(stanza["package"], stanza.get("version", ""), feed_name, stanza.get("depends", "")))
    for name, cands in found.items():
        best_first = []
        for cand in cands:  # stable insertion sort by version, newest first
            pos = next((k for k, c in enumerate(best_first) if compare_versions(cand.version, c.version) > 0),
                       len(best_first))
            best_first.insert(pos, cand)
        found[name] = best_first
    return found


@dataclass
class Plan:
    install: list = field(default_factory=list)    # [Candidate], dependencies first
    upgrade: list = field(default_factory=list)    # [(Candidate, installed version)]
    remove: list = field(default_factory=list)     # [(name, installed version)]
    unchanged: list = field(default_factory=list)  # [(name, installed version)]

    @property
    def changed(self) -> bool:
        return bool(self.install or self.upgrade or self.remove)

    def summary(self) -> dict:
        return {
            "install": [{"name": c.name, "version": c.version, "source": c.source} for c in self.install],
            "upgrade": [{"name": c.name, "from": old, "to": c.version, "source": c.source}
                        for c, old in self.upgrade],
            "remove": [{"name": n, "version": v} for n, v in self.remove],
        }


def plan(state: str, names: list[str], installed: dict[str, str], available: dict[str, list[Candidate]],
         files: list[Candidate] = (), feed: str | None = None, reinstall: bool = False) -> Plan:
    """What opkg will do for ``state`` of ``names`` (package names) and ``files`` (package files/URLs read
    already), given the installed name -> version and the feeds' candidates. With ``feed``, names and their
    dependencies come from that feed only. Raises SpecError naming the package (and the feed) that cannot be had."""
    result = Plan()
    if state == "absent":
        for name in list(names) + [f.name for f in files]:
            if name in installed:
                if name not in [n for n, _unused in result.remove]:
                    result.remove.append((name, installed[name]))
            else:
                result.unchanged.append((name, None))
        return result

    def pick(name: str) -> Candidate | None:
        for cand in available.get(name, []):
            if feed is None or cand.source == feed:
                return cand
        return None

    given = {f.name: f for f in files}
    queued: dict[str, Candidate] = {}

    def need(name: str, wanted_by: str | None):
        if name in queued or (name in installed and name not in given):
            return
        cand = given.get(name) or pick(name)
        if cand is None:
            where = f"feed {feed!r}" if feed else "any configured feed (run with update_cache?)"
            if wanted_by:
                raise SpecError("name", f"{wanted_by} depends on {name}, which is not in {where} nor installed")
            if feed and available.get(name):
                raise SpecError("feed", f"package {name} is not in the list of feed {feed!r} "
                                        f"(it is in: {', '.join(sorted({c.source for c in available[name]}))})")
            raise SpecError("name" if not feed else "feed", f"package {name} is not in {where}")
        queued[name] = cand
        for alternatives in parse_depends(cand.depends):
            chosen = next((a for a in alternatives if a in installed or a in given or a in queued or pick(a)),
                          alternatives[0])
            need(chosen, name)
        if name in installed:  # a package file of an installed package
            if installed[name] != cand.version or reinstall:
                result.upgrade.append((cand, installed[name]))
            else:
                result.unchanged.append((name, installed[name]))
        else:
            result.install.append(cand)

    for name in names:
        if name in installed:
            best = pick(name)
            if reinstall and best is not None:
                result.upgrade.append((best, installed[name]))
            elif state == "latest" and best is not None and compare_versions(best.version, installed[name]) > 0:
                result.upgrade.append((best, installed[name]))
                for alternatives in parse_depends(best.depends):
                    chosen = next((a for a in alternatives if a in installed or a in queued or pick(a)),
                                  alternatives[0])
                    need(chosen, name)
            elif state == "latest" and best is None and feed:
                raise SpecError("feed", f"package {name} is not in the list of feed {feed!r}")
            else:
                result.unchanged.append((name, installed[name]))
        else:
            need(name, None)
    for f in files:
        need(f.name, None)
    return result


def installed_lines(installed: dict[str, str]) -> str:
    """The installed set as ``name version`` lines, sorted: the before/after of the module's diff."""
    return "".join(f"{name} {version}\n" for name, version in sorted(installed.items()))


def changes(before: dict[str, str], after: dict[str, str]) -> dict:
    """What happened between two installed sets, in the shape of Plan.summary()."""
    return {
        "install": [{"name": n, "version": after[n]} for n in sorted(set(after) - set(before))],
        "upgrade": [{"name": n, "from": before[n], "to": after[n]} for n in sorted(set(after) & set(before))
                    if before[n] != after[n]],
        "remove": [{"name": n, "version": before[n]} for n in sorted(set(before) - set(after))],
    }
