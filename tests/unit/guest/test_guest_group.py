"""Pure guest_group layer: the account files' parsers and editing, id allocation, and the plan of a group,
table-driven on minifix's own /etc/passwd and /etc/group."""

from __future__ import annotations

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import guest_group as gg

M = gg.MARK
PASSWD = """root:x:0:0:root:/root:/bin/sh
web:x:24:24:Web:/srv/www:/bin/false
build:x:999:999:Build:/home/build:/bin/sh
ntpd:x:25:25:OpenNTPD:/var/run/openntpd:/bin/false
"""
GROUP = """root:x:0:
tty:x:5:
disk:x:6:
kmem:x:9:
web:x:24:build
build:x:999:
ntpd:x:25:
"""


def accounts(passwd=PASSWD, group=GROUP, shadow=True, extra=()) -> gg.Accounts:
    lines = [f"{M}passwd_sha=p", f"{M}group_sha=g", *([f"{M}shadow=yes"] if shadow else []), *extra,
             f"{M}passwd", passwd.rstrip("\n"), f"{M}group", group.rstrip("\n")]
    return gg.parse_probe("\n".join(lines) + "\n")


def test_parse_probe_and_files():
    acc = accounts(extra=[f"{M}home_uid=999", f"{M}home_exists=yes"])
    assert (acc.passwd_text, acc.group_text) == (PASSWD, GROUP)
    assert (acc.passwd_sha, acc.group_sha, acc.shadow, acc.home_uid, acc.home_exists) == ("p", "g", True, 999, True)
    assert acc.user("web") == gg.UserEntry("web", 24, 24, "Web", "/srv/www", "/bin/false")
    assert acc.group("web").members == ["build"] and acc.group_by_gid(999).name == "build"
    assert acc.resolve_group("group", "25").name == "ntpd"
    with pytest.raises(SpecError, match="^groups: no group 'nope'"):
        acc.resolve_group("groups", "nope")


def test_set_line_keeps_every_other_line():
    text = "# comment\nroot:x:0:\n+nis\nweb:x:24:\n"
    assert gg.set_line(text, "web", "web:x:24:a") == "# comment\nroot:x:0:\n+nis\nweb:x:24:a\n"
    assert gg.set_line(text, "new", "new:x:1000:") == text + "new:x:1000:\n"
    assert gg.set_line(text, "root", None) == "# comment\n+nis\nweb:x:24:\n"
    assert gg.set_line("a:x:1:", "b", "b:x:2:") == "a:x:1:\nb:x:2:\n"  # a missing last newline is added
    assert gg.replace_group_line("web:!:24:\n", gg.GroupEntry("web", 24, ["a", "b"])) == "web:!:24:a,b\n"


@pytest.mark.parametrize("used, system, prefer, chosen", [
    ({0, 5, 6, 9, 24, 25, 999}, False, None, 1000),
    ({0, 5, 6, 9, 24, 25, 999}, True, None, 100),
    ({100, 101}, True, None, 102),
    ({1000}, False, 1000, 1001),
    ({1000}, False, 1500, 1500),
])
def test_free_id(used, system, prefer, chosen):
    assert gg.free_id(used, system, prefer) == chosen


@pytest.mark.parametrize("name, gid, system, present, changes, line, after", [
    ("bstest", None, False, True, ["created"], "bstest:x:1000:", {"state": "present", "name": "bstest",
                                                                  "gid": 1000, "members": []}),
    ("bstest", None, True, True, ["created"], "bstest:x:100:", None),
    ("bstest", 4242, False, True, ["created"], "bstest:x:4242:", None),
    ("web", None, False, True, [], None, {"state": "present", "name": "web", "gid": 24, "members": ["build"]}),
    ("web", 24, False, True, [], None, None),
    ("ntpd", None, False, False, None, None, None),
    ("bstest", None, False, False, [], None, {"state": "absent"}),
])
def test_plan_group(name, gid, system, present, changes, line, after):
    acc = accounts(passwd="root:x:0:0:root:/root:/bin/sh\n") if name == "ntpd" else accounts()
    planned = gg.plan_group(acc, name, gid, system, present)
    if changes is not None:
        assert planned.changes == changes
    if line:
        assert planned.group_text == GROUP + line + "\n"
    if after:
        assert planned.after == after
    if name == "ntpd":  # nobody's primary group any more: removed, every other line kept
        assert planned.changes == ["absent"] and planned.group_text == GROUP.replace("ntpd:x:25:\n", "")


@pytest.mark.parametrize("name, gid, present, message", [
    ("web", 1000, True, "^gid: group web has gid 24 on the guest, not 1000"),
    ("bstest", 999, True, "^gid: gid 999 belongs to group build"),
    ("build", None, False, "^name: group build is the primary group of build"),
])
def test_plan_group_refuses(name, gid, present, message):
    with pytest.raises(SpecError, match=message):
        gg.plan_group(accounts(), name, gid, False, present)


@pytest.mark.parametrize("value", ["", "1abc", "-x", "a b", "a:b", "x" * 33])
def test_check_name_refuses(value):
    with pytest.raises(SpecError, match="^name: "):
        gg.check_name("name", value)


def test_write_step_guards_and_keeps_owner_and_mode():
    step = gg.write_step(gg.GROUP, "root:x:0:\n", "abc")
    assert step.in_data == "root:x:0:\n" and step.what == "write /etc/group"
    assert "= abc ]" in step.line and "cp -p /etc/group" in step.line and "mv -f" in step.line


def test_probe_script():
    script = gg.probe_script("bstest", None)
    assert "u=bstest" in script and "w=${h:-/home/bstest}" in script and "awk 1 /etc/group" in script
    assert "w=/srv/x" in gg.probe_script("bstest", "/srv/x")
