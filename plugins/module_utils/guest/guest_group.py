# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure pieces of managing the accounts of a Python-less guest by editing /etc/group and /etc/passwd: the probe
that reads both (and their sha256) in one round trip, their parsers, id allocation, the plan of a group, and the
steps that write the files back. guest_user builds on this module.

Debian's busybox, which minifix ships, has no adduser/addgroup/deluser/delgroup applets (and there is no
shadow-utils), so the account files are edited the way minifix's own packages do it: the new text is computed
on the controller and written atomically (a temporary file that keeps the file's owner and mode, then mv),
refusing to write when the file changed on the guest since it was read. Lines of other accounts, comments and
their order are kept as they were."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import BuildstrapError, SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import guest_file

MARK = "buildstrap-accounts:"
PASSWD = "/etc/passwd"
GROUP = "/etc/group"
SHADOW = "/etc/shadow"
# busybox adduser/addgroup's ranges (CONFIG_FIRST_SYSTEM_ID, CONFIG_LAST_SYSTEM_ID, then up to 64999).
SYSTEM_IDS = range(100, 1000)
NORMAL_IDS = range(1000, 65000)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")


class AccountError(BuildstrapError):
    """The account files on the guest are not what was written."""


def check_name(field: str, value: str) -> str:
    """A user or group name busybox accepts: letters, digits, _ . -, not starting with a digit, . or -."""
    if not _NAME.match(value or ""):
        raise SpecError(field, f"{value!r} is not a user or group name (a letter or _ first, then letters, "
                               "digits, _ . -; at most 32)")
    return value


def check_id(field: str, value: int | None) -> int | None:
    if value is not None and not 0 <= value <= 65534:
        raise SpecError(field, f"{value} is out of range (0 to 65534)")
    return value


# --- reading ----------------------------------------------------------------------------------------------

@dataclass
class GroupEntry:
    name: str
    gid: int
    members: list


@dataclass
class UserEntry:
    name: str
    uid: int
    gid: int
    gecos: str
    home: str
    shell: str


def _fields(line: str) -> list[str] | None:
    """A line's fields, None for comments, blank and NIS (+/-) lines, which are kept as written."""
    if not line.strip() or line.startswith(("#", "+", "-")):
        return None
    return line.split(":")


def parse_group(text: str) -> list[GroupEntry]:
    entries = []
    for line in text.splitlines():
        f = _fields(line)
        if f and len(f) >= 3 and f[2].isdigit():
            members = [m for m in (f[3] if len(f) > 3 else "").split(",") if m]
            entries.append(GroupEntry(f[0], int(f[2]), members))
    return entries


def parse_passwd(text: str) -> list[UserEntry]:
    entries = []
    for line in text.splitlines():
        f = _fields(line)
        if f and len(f) >= 7 and f[2].isdigit() and f[3].isdigit():
            entries.append(UserEntry(f[0], int(f[2]), int(f[3]), f[4], f[5], ":".join(f[6:])))
    return entries


def probe_script(user: str | None = None, home: str | None = None) -> str:
    """A shell script printing the sha256 of /etc/passwd and /etc/group, whether /etc/shadow exists, for
    ``user`` the owner of its home directory and whether its home after the change exists (``home``, else its
    current one, else /home/USER), then both files (each after a ``buildstrap-accounts:FILE`` line, a missing
    last newline added)."""
    q = shlex.quote
    lines = [f'echo "{MARK}{key}_sha=$(sha256sum <{path} | cut -c1-64)"' for key, path in
             (("passwd", PASSWD), ("group", GROUP))]
    lines.append(f'if [ -f {SHADOW} ]; then echo "{MARK}shadow=yes"; fi')
    if user:
        lines += [f"h=$(awk -F: -v u={q(user)} '$1 == u {{ print $6; exit }}' {PASSWD})",
                  f'if [ -n "$h" ] && [ -d "$h" ] && [ ! -L "$h" ]; then echo "{MARK}home_uid=$(stat -c %u "$h")"; fi',
                  f"w={q(home or '')}", f'[ -n "$w" ] || w=${{h:-{q("/home/" + user)}}}',
                  f'if [ -e "$w" ]; then echo "{MARK}home_exists=yes"; fi']
    lines += [f'echo "{MARK}passwd"', f"awk 1 {PASSWD}", f'echo "{MARK}group"', f"awk 1 {GROUP}"]
    return "; ".join(lines)


@dataclass
class Accounts:
    passwd_text: str
    group_text: str
    passwd_sha: str
    group_sha: str
    shadow: bool = False
    home_uid: int | None = None      # the owner of the probed user's current home (None: not a directory)
    home_exists: bool = False        # whether the probed user's home after the change exists

    @property
    def users(self) -> list[UserEntry]:
        return parse_passwd(self.passwd_text)

    @property
    def groups(self) -> list[GroupEntry]:
        return parse_group(self.group_text)

    def user(self, name: str) -> UserEntry | None:
        return next((u for u in self.users if u.name == name), None)

    def group(self, name: str) -> GroupEntry | None:
        return next((g for g in self.groups if g.name == name), None)

    def group_by_gid(self, gid: int) -> GroupEntry | None:
        return next((g for g in self.groups if g.gid == gid), None)

    def resolve_group(self, field: str, value: str) -> GroupEntry:
        """A group given by name or gid; SpecError naming ``field`` when the guest has none."""
        found = self.group_by_gid(int(value)) if str(value).isdigit() else self.group(str(value))
        if found is None:
            raise SpecError(field, f"no group {value!r} on the guest; create it first (aloofix.buildstrap.guest_group)")
        return found


def parse_probe(text: str) -> Accounts:
    values, sections, current = {}, {"passwd": [], "group": []}, None
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip("\n")
        if stripped in (f"{MARK}passwd", f"{MARK}group"):
            current = stripped[len(MARK):]
        elif current:
            sections[current].append(line)
        elif stripped.startswith(MARK):
            key, _unused, value = stripped[len(MARK):].partition("=")
            values[key] = value
    home_uid = values.get("home_uid", "")
    return Accounts("".join(sections["passwd"]), "".join(sections["group"]), values.get("passwd_sha", ""),
                    values.get("group_sha", ""), shadow=values.get("shadow") == "yes",
                    home_uid=int(home_uid) if home_uid.isdigit() else None,
                    home_exists=values.get("home_exists") == "yes")


# --- editing ----------------------------------------------------------------------------------------------

def set_line(text: str, name: str, line: str | None) -> str:
    """``text`` with the line of account ``name`` replaced by ``line`` (where it stands), appended when there
    was none, or dropped when ``line`` is None. Every other line is kept as written."""
    out, done = [], False
    for old in text.splitlines():
        if old.split(":", 1)[0] == name and _fields(old):
            if line is not None and not done:
                out.append(line)
            done = True
        else:
            out.append(old)
    if line is not None and not done:
        out.append(line)
    return "".join(f"{x}\n" for x in out)


def group_line(entry: GroupEntry) -> str:
    return f"{entry.name}:x:{entry.gid}:{','.join(entry.members)}"


def replace_group_line(text: str, entry: GroupEntry) -> str:
    """``text`` with ``entry``'s line, keeping the password field of an existing line."""
    for old in text.splitlines():
        f = _fields(old)
        if f and f[0] == entry.name and len(f) >= 3:
            return set_line(text, entry.name, f"{entry.name}:{f[1]}:{entry.gid}:{','.join(entry.members)}")
    return set_line(text, entry.name, group_line(entry))


def free_id(used: set, system: bool, prefer: int | None = None) -> int:
    """The id ``prefer`` when it is free, else the lowest free one of busybox's system or normal range."""
    if prefer is not None and prefer not in used:
        return prefer
    for candidate in SYSTEM_IDS if system else NORMAL_IDS:
        if candidate not in used:
            return candidate
    raise SpecError("system", f"no free id left in {'the system' if system else 'the normal'} range")


def group_view(entry: GroupEntry | None) -> dict:
    if entry is None:
        return {"state": "absent"}
    return {"state": "present", "name": entry.name, "gid": entry.gid, "members": list(entry.members)}


@dataclass
class GroupPlan:
    group_text: str
    before: dict
    after: dict
    changes: list

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def plan_group(acc: Accounts, name: str, gid: int | None, system: bool, present: bool) -> GroupPlan:
    """The new /etc/group for group ``name``. An existing group keeps its members; a gid that differs from the
    existing group's is refused (renumbering leaves files owned by the old gid), so is removing a group that is
    a user's primary group."""
    existing = acc.group(name)
    before = group_view(existing)
    if not present:
        if existing is None:
            return GroupPlan(acc.group_text, before, before, [])
        users = [u.name for u in acc.users if u.gid == existing.gid]
        if users and not any(g.gid == existing.gid for g in acc.groups if g.name != name):
            raise SpecError("name", f"group {name} is the primary group of {', '.join(users)}; change or remove "
                                    "those users first")
        return GroupPlan(set_line(acc.group_text, name, None), before, group_view(None), ["absent"])
    if existing is not None:
        if gid is not None and gid != existing.gid:
            raise SpecError("gid", f"group {name} has gid {existing.gid} on the guest, not {gid}; buildstrap does "
                                   "not renumber groups (files keep the old gid): remove the group first or drop gid")
        return GroupPlan(acc.group_text, before, before, [])
    used = {g.gid for g in acc.groups}
    if gid is not None and gid in used:
        raise SpecError("gid", f"gid {gid} belongs to group {acc.group_by_gid(gid).name} on the guest")
    entry = GroupEntry(name, gid if gid is not None else free_id(used, system), [])
    return GroupPlan(set_line(acc.group_text, name, group_line(entry)), before, group_view(entry), ["created"])


# --- writing ----------------------------------------------------------------------------------------------

@dataclass
class Step:
    """One round trip that applies part of a plan: ``what`` for the result, the shell ``line``, its stdin."""
    what: str
    line: str
    in_data: str | None = None


def write_step(path: str, text: str, expect_sha: str) -> Step:
    """Replace account file ``path`` with ``text``: atomically, keeping its owner and mode, and only when it
    still has the sha256 it had when it was read."""
    data = text.encode("utf-8")
    return Step(f"write {path}", guest_file.write_script(path, len(data), None, None, expect_sha=expect_sha,
                                                         preserve=True), text)
