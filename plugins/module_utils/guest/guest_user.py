# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure pieces of managing a user of a Python-less guest by editing /etc/passwd, /etc/group and /etc/shadow
(busybox on minifix has no adduser/deluser/usermod; see guest_group): the plan of a user's passwd line, primary
and supplementary groups, shadow line and home directory, the steps that apply it, and the user's view for the
result and the diff.

What busybox's adduser -D would do is kept where it applies: a new user without ``group`` gets a group of its
own name (gid = uid when free), its shadow line is locked (``!``, no password), its home is created 0755 and
owned by it. /etc/shadow is never read back to the controller: its line is added or dropped on the guest."""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import guest_group as gg

DEFAULT_SHELL = "/bin/sh"
HOME_MODE = "0755"
_FIELD = re.compile(r"^[^:\n]*$")


def check_path_field(field_name: str, value: str | None) -> str | None:
    if value is not None and (not value.startswith("/") or not _FIELD.match(value)):
        raise SpecError(field_name, f"{value!r} must be an absolute path without ':' or newlines")
    return value


def check_comment(value: str | None) -> str | None:
    if value is not None and not _FIELD.match(value):
        raise SpecError("comment", f"{value!r} must not hold ':' or newlines (it is a field of /etc/passwd)")
    return value


@dataclass
class Wanted:
    name: str
    present: bool = True
    uid: int | None = None
    group: str | None = None           # a name or a gid
    groups: list | None = None         # supplementary groups; None leaves them as they are
    append: bool = False
    home: str | None = None
    shell: str | None = None
    comment: str | None = None
    create_home: bool = True
    system: bool = False
    remove: bool = False


def user_view(acc: gg.Accounts, user: gg.UserEntry | None) -> dict:
    """The user as the result and the diff show it."""
    if user is None:
        return {"state": "absent"}
    primary = acc.group_by_gid(user.gid)
    view = {"state": "present", "name": user.name, "uid": user.uid, "group": primary.name if primary else user.gid,
            "groups": sorted(g.name for g in acc.groups if user.name in g.members),
            "home": user.home, "shell": user.shell, "comment": user.gecos}
    return view


@dataclass
class UserPlan:
    passwd_text: str
    group_text: str
    before: dict
    after: dict
    changes: list = field(default_factory=list)
    shadow: str | None = None          # add or remove the shadow line
    make_home: str | None = None       # uid:gid of a home directory to create
    remove_home: str | None = None
    warnings: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _memberships(acc: gg.Accounts, name: str, wanted: set) -> str:
    """/etc/group with ``name`` a member of exactly the groups ``wanted``."""
    text = acc.group_text
    for g in acc.groups:
        if (name in g.members) != (g.name in wanted):
            members = [m for m in g.members if m != name] + ([name] if g.name in wanted else [])
            text = gg.replace_group_line(text, gg.GroupEntry(g.name, g.gid, members))
    return text


def plan_user(acc: gg.Accounts, want: Wanted) -> UserPlan:
    """The new /etc/passwd and /etc/group, the shadow and home-directory changes, and the before/after views for
    user ``want.name``, from the account files ``acc`` read on the guest."""
    user = acc.user(want.name)
    before = user_view(acc, user)
    if not want.present:
        return _plan_absent(acc, user, want, before)
    wanted_groups = None if want.groups is None else {acc.resolve_group("groups", g).name for g in want.groups}
    if user is not None:
        if want.uid is not None and want.uid != user.uid:
            raise SpecError("uid", f"user {want.name} has uid {user.uid} on the guest, not {want.uid}; buildstrap "
                                   "does not renumber users (files keep the old uid): remove the user first or "
                                   "drop uid")
        gid = user.gid if want.group is None else acc.resolve_group("group", want.group).gid
        new = gg.UserEntry(user.name, user.uid, gid, user.gecos if want.comment is None else want.comment,
                           user.home if want.home is None else want.home,
                           user.shell if want.shell is None else want.shell)
        group_text, changes = acc.group_text, [k for k, a, b in (
            ("group", new.gid, user.gid), ("comment", new.gecos, user.gecos), ("home", new.home, user.home),
            ("shell", new.shell, user.shell)) if a != b]
    else:
        used_uids = {u.uid for u in acc.users}
        if want.uid is not None and want.uid in used_uids:
            taken = next(u.name for u in acc.users if u.uid == want.uid)
            raise SpecError("uid", f"uid {want.uid} belongs to user {taken} on the guest")
        group_text, changes = acc.group_text, ["created"]
        if want.group is not None:
            uid = want.uid if want.uid is not None else gg.free_id(used_uids, want.system)
            gid = acc.resolve_group("group", want.group).gid
        elif acc.group(want.name) is not None:  # a group of the user's name, made beforehand: its own
            uid = want.uid if want.uid is not None else gg.free_id(used_uids, want.system)
            gid = acc.group(want.name).gid
        else:  # a group of its own, gid = uid when both are free (busybox adduser)
            used_gids = {g.gid for g in acc.groups}
            uid = want.uid if want.uid is not None else gg.free_id(used_uids | used_gids, want.system)
            gid = gg.free_id(used_gids, want.system, prefer=uid)
            group_text = gg.set_line(group_text, want.name, gg.group_line(gg.GroupEntry(want.name, gid, [])))
        new = gg.UserEntry(want.name, uid, gid, want.comment or "", want.home or f"/home/{want.name}",
                           want.shell or DEFAULT_SHELL)
    line = f"{new.name}:x:{new.uid}:{new.gid}:{new.gecos}:{new.home}:{new.shell}"
    if user is not None:  # keep the password field as it is ('x' with shadow, or whatever the line holds)
        old = next(x for x in acc.passwd_text.splitlines() if x.split(":", 1)[0] == want.name)
        line = f"{new.name}:{old.split(':')[1]}:{new.uid}:{new.gid}:{new.gecos}:{new.home}:{new.shell}"
    passwd_text = gg.set_line(acc.passwd_text, want.name, line)

    if wanted_groups is not None:
        current = {g.name for g in acc.groups if want.name in g.members}
        target = current | wanted_groups if want.append else wanted_groups
        if target != current:
            changes.append("groups")
            draft = gg.Accounts(passwd_text, group_text, "", "")
            group_text = _memberships(draft, want.name, target)

    plan = UserPlan(passwd_text, group_text, before, {}, changes)
    if user is None and acc.shadow:
        plan.shadow = "add"
    # as with Ansible's user module, the home is made for a new user or a new home path, not for a user whose
    # home went missing (a system user's home may be created by its service)
    if want.create_home and not acc.home_exists and (user is None or new.home != user.home):
        plan.make_home = f"{new.uid}:{new.gid}"
        plan.changes.append("home_created")
    after_acc = gg.Accounts(passwd_text, group_text, "", "")
    plan.after = user_view(after_acc, after_acc.user(want.name))
    return plan


def _plan_absent(acc: gg.Accounts, user: gg.UserEntry | None, want: Wanted, before: dict) -> UserPlan:
    if user is None:
        return UserPlan(acc.passwd_text, acc.group_text, before, before)
    passwd_text = gg.set_line(acc.passwd_text, user.name, None)
    rest = gg.Accounts(passwd_text, acc.group_text, "", "")
    group_text = _memberships(rest, user.name, set())
    plan = UserPlan(passwd_text, group_text, before, {"state": "absent"}, ["absent"], shadow="remove" if acc.shadow
                    else None)
    own = acc.group(user.name)
    # busybox deluser drops the group of the user's name too, unless it is another user's primary group; it is
    # kept here also while it has other members
    if own is not None and not [m for m in own.members if m != user.name] \
            and not any(u.gid == own.gid for u in rest.users):
        plan.group_text = gg.set_line(group_text, own.name, None)
        plan.changes.append("group_removed")
    if want.remove:
        if acc.home_uid == user.uid and posixpath.normpath(user.home) not in ("/", "") and user.home.startswith("/"):
            plan.remove_home = user.home
            plan.changes.append("home_removed")
        elif acc.home_uid is not None:
            plan.warnings.append(f"kept {user.home}: it is owned by uid {acc.home_uid}, not by {user.name}")
    return plan


def steps(acc: gg.Accounts, plan: UserPlan, name: str, today: int) -> list[gg.Step]:
    """The round trips that apply ``plan``, in an order that never leaves a user without its primary group: a new
    group before the passwd line that names it, the passwd line dropped before its group."""
    q = shlex.quote
    group_step = [gg.write_step(gg.GROUP, plan.group_text, acc.group_sha)] if plan.group_text != acc.group_text \
        else []
    passwd_step = [gg.write_step(gg.PASSWD, plan.passwd_text, acc.passwd_sha)] \
        if plan.passwd_text != acc.passwd_text else []
    result = []
    if plan.shadow == "remove":
        result += passwd_step + [shadow_step(name, None)] + group_step
    else:
        result += group_step + passwd_step
        if plan.shadow == "add":
            result.append(shadow_step(name, f"{name}:!:{today}:0:99999:7:::"))
    if plan.make_home:
        home = q(plan.after["home"])
        result.append(gg.Step(f"create {plan.after['home']}", f"umask 022 && mkdir -p {home} && "
                              f"chown {q(plan.make_home)} {home} && chmod {HOME_MODE} {home}"))
    if plan.remove_home:
        result.append(gg.Step(f"remove {plan.remove_home}", f"rm -rf {q(plan.remove_home)}"))
    return result


def shadow_step(name: str, line: str | None) -> gg.Step:
    """Add (``line``) or drop (None) the shadow line of ``name`` on the guest, atomically and keeping the file's
    owner and mode; the hashes in /etc/shadow never leave the guest."""
    q = shlex.quote
    shadow = gg.SHADOW
    has_line = f"awk -F: -v u={q(name)} '$1 == u {{ found = 1 }} END {{ exit !found }}' {shadow}"
    if line is None:
        edit = f"awk -F: -v u={q(name)} '$1 != u' {shadow} >\"$tmp\""
        guard = has_line
    else:
        edit = f'awk 1 {shadow} >"$tmp" && printf "%s\\n" {q(line)} >>"$tmp"'
        guard = f"! {has_line}"
    return gg.Step(f"{'add' if line else 'drop'} the {shadow} line of {name}",
                   f"if [ -f {shadow} ] && {guard}; then tmp=$(mktemp /etc/.shadow.XXXXXX) || exit 1; "
                   f'cp -p {shadow} "$tmp" && {edit} && mv -f "$tmp" {shadow} || {{ rm -f "$tmp"; exit 1; }}; fi')
