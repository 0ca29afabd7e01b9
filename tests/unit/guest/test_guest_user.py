"""Pure guest_user layer: the plan of a user (passwd line, groups, shadow, home) and its steps, table-driven on
minifix's own account files."""

from __future__ import annotations

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import guest_user as gu
from tests.unit.guest.test_guest_group import GROUP, PASSWD, accounts

M = "buildstrap-accounts:"
TODAY = 20000


def plan(acc=None, **kw) -> gu.UserPlan:
    return gu.plan_user(acc or accounts(), gu.Wanted("bstest", **kw))


def test_new_user_gets_its_own_group_shadow_line_and_home():
    planned = plan()
    assert planned.changes == ["created", "home_created"]
    assert planned.passwd_text == PASSWD + "bstest:x:1000:1000::/home/bstest:/bin/sh\n"
    assert planned.group_text == GROUP + "bstest:x:1000:\n"
    assert planned.shadow == "add" and planned.make_home == "1000:1000"
    assert planned.before == {"state": "absent"}
    assert planned.after == {"state": "present", "name": "bstest", "uid": 1000, "group": "bstest", "groups": [],
                             "home": "/home/bstest", "shell": "/bin/sh", "comment": ""}
    steps = gu.steps(accounts(), planned, "bstest", TODAY)
    assert [s.what for s in steps] == ["write /etc/group", "write /etc/passwd", "add the /etc/shadow line of bstest",
                                       "create /home/bstest"]
    assert "'bstest:!:20000:0:99999:7:::'" in steps[2].line
    assert steps[3].line == ("umask 022 && mkdir -p /home/bstest && chown 1000:1000 /home/bstest && "
                             "chmod 0755 /home/bstest")


@pytest.mark.parametrize("kw, line, group_line, changes", [
    # a primary group given: no group of its own
    ({"group": "web", "create_home": False}, "bstest:x:1000:24::/home/bstest:/bin/sh", None, ["created"]),
    # a system user, every field given, supplementary groups
    ({"system": True, "uid": 150, "home": "/var/lib/bstest", "shell": "/bin/false", "comment": "Test, 1",
      "groups": ["web", "ntpd"]},
     "bstest:x:150:150:Test, 1:/var/lib/bstest:/bin/false", "bstest:x:150:", ["created", "groups", "home_created"]),
    # gid = uid only when free: uid 999 is build's
    ({"system": True}, "bstest:x:100:100::/home/bstest:/bin/sh", "bstest:x:100:", ["created", "home_created"]),
])
def test_new_users(kw, line, group_line, changes):
    planned = plan(**kw)
    assert planned.passwd_text.splitlines()[-1] == line
    assert planned.changes == changes
    if group_line:
        assert group_line in planned.group_text.splitlines()
    if "groups" in kw:
        assert planned.after["groups"] == ["ntpd", "web"]
        assert "web:x:24:build,bstest" in planned.group_text and "ntpd:x:25:bstest" in planned.group_text


def test_new_user_uses_an_existing_group_of_its_name():
    acc = accounts(group=GROUP + "bstest:x:1234:\n")
    planned = gu.plan_user(acc, gu.Wanted("bstest", create_home=False))
    assert planned.passwd_text.endswith("bstest:x:1000:1234::/home/bstest:/bin/sh\n")
    assert planned.group_text == acc.group_text


USER = "bstest:x:1000:1000:Old:/home/bstest:/bin/sh\n"
WITH_USER = dict(passwd=PASSWD + USER, group=GROUP.replace("web:x:24:build", "web:x:24:build,bstest")
                 + "bstest:x:1000:\n", extra=[f"{M}home_uid=1000", f"{M}home_exists=yes"])


@pytest.mark.parametrize("kw, changes, passwd_line, group_lines", [
    ({}, [], USER, None),
    ({"comment": "Old", "shell": "/bin/sh", "group": "bstest", "groups": ["web"]}, [], USER, None),
    ({"shell": "/bin/false", "comment": "New"}, ["comment", "shell"],
     "bstest:x:1000:1000:New:/home/bstest:/bin/false\n", None),
    ({"group": "web"}, ["group"], "bstest:x:1000:24:Old:/home/bstest:/bin/sh\n", None),
    # exactly these groups: out of web, into ntpd; at least these: into ntpd only
    ({"groups": ["ntpd"]}, ["groups"], USER, ["web:x:24:build", "ntpd:x:25:bstest"]),
    ({"groups": ["ntpd"], "append": True}, ["groups"], USER, ["web:x:24:build,bstest", "ntpd:x:25:bstest"]),
    ({"groups": []}, ["groups"], USER, ["web:x:24:build"]),
    # a new home path is made (the probe said it does not exist); the old one is not moved
    ({"home": "/srv/bstest"}, ["home", "home_created"], "bstest:x:1000:1000:Old:/srv/bstest:/bin/sh\n", None),
])
def test_existing_user(kw, changes, passwd_line, group_lines):
    extra = WITH_USER["extra"] if "home" not in kw else [f"{M}home_uid=1000"]
    acc = accounts(passwd=WITH_USER["passwd"], group=WITH_USER["group"], extra=extra)
    planned = gu.plan_user(acc, gu.Wanted("bstest", **kw))
    assert planned.changes == changes
    assert planned.passwd_text.splitlines(keepends=True)[-1] == passwd_line
    for line in group_lines or []:
        assert line in planned.group_text.splitlines()
    assert planned.shadow is None  # an existing user's shadow line is left alone
    if not changes:
        assert planned.after == planned.before
        assert gu.steps(acc, planned, "bstest", TODAY) == []


def test_existing_user_keeps_a_missing_home_missing():
    acc = accounts(passwd=WITH_USER["passwd"], group=WITH_USER["group"])
    assert not gu.plan_user(acc, gu.Wanted("bstest")).changed


@pytest.mark.parametrize("kw, message", [
    ({"uid": 1001}, "^uid: user bstest has uid 1000 on the guest, not 1001"),
    ({"group": "nope"}, "^group: no group 'nope' on the guest"),
    ({"groups": ["web", "nope"]}, "^groups: no group 'nope' on the guest"),
])
def test_existing_user_refuses(kw, message):
    acc = accounts(passwd=WITH_USER["passwd"], group=WITH_USER["group"])
    with pytest.raises(SpecError, match=message):
        gu.plan_user(acc, gu.Wanted("bstest", **kw))


def test_new_user_refuses_a_taken_uid():
    with pytest.raises(SpecError, match="^uid: uid 999 belongs to user build"):
        plan(uid=999)


def test_removal_leaves_groups_drops_own_group_and_shadow_line():
    acc = accounts(passwd=WITH_USER["passwd"], group=WITH_USER["group"], extra=WITH_USER["extra"])
    planned = gu.plan_user(acc, gu.Wanted("bstest", present=False, remove=True))
    assert planned.changes == ["absent", "group_removed", "home_removed"]
    assert (planned.passwd_text, planned.group_text) == (PASSWD, GROUP)
    assert planned.after == {"state": "absent"} and planned.remove_home == "/home/bstest"
    steps = gu.steps(acc, planned, "bstest", TODAY)
    assert [s.what for s in steps] == ["write /etc/passwd", "drop the /etc/shadow line of bstest", "write /etc/group",
                                       "remove /home/bstest"]
    assert steps[-1].line == "rm -rf /home/bstest"


def test_removal_keeps_a_home_it_does_not_own_and_a_shared_group():
    passwd = WITH_USER["passwd"] + "other:x:1001:1000::/home/other:/bin/sh\n"
    acc = accounts(passwd=passwd, group=WITH_USER["group"], extra=[f"{M}home_uid=0"])
    planned = gu.plan_user(acc, gu.Wanted("bstest", present=False, remove=True))
    assert planned.changes == ["absent"] and planned.remove_home is None
    assert "bstest:x:1000:" in planned.group_text and planned.warnings
    assert not gu.plan_user(accounts(), gu.Wanted("bstest", present=False)).changed


@pytest.mark.parametrize("field, value, check", [
    ("home", "home/x", gu.check_path_field), ("shell", "/bin/sh:x", gu.check_path_field),
    ("comment", "a:b", lambda field, value: gu.check_comment(value)),
    ("comment", "a\nb", lambda field, value: gu.check_comment(value)),
])
def test_field_checks(field, value, check):
    with pytest.raises(SpecError, match=f"^{field}: "):
        check(field, value)


def test_shadow_step_keeps_hashes_on_the_guest():
    add = gu.shadow_step("bstest", "bstest:!:1:0:99999:7:::")
    drop = gu.shadow_step("bstest", None)
    assert add.in_data is None and drop.in_data is None
    assert "cp -p /etc/shadow" in add.line and "'$1 != u'" in drop.line and "mv -f" in drop.line
