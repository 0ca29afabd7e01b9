"""The resource modules for Python-less guests (guest_file, guest_group, guest_user) against the native build
server, each in three runs (check mode: changed and nothing changed on the guest; real: changed; again: not
changed), with --diff, and clear failures for bad input. Every test puts the guest back as it found it: other
tests share the build server. Everything they make is named bstest*: files under /tmp/bstest*, accounts bstest*.

The ``server`` fixture (tests/integration/conftest.py) yields: ``inventory`` (an inventory file with the
build server's host and connection vars) and ``host`` (its inventory name)."""

from __future__ import annotations

import hashlib

import pytest

from tests.integration.guest import Guest

pytestmark = pytest.mark.vm

# The account files' content, owner and mode (the module writes them anew; a restored file must be the same).
ACCOUNT_FILES = "sha256sum /etc/passwd /etc/group /etc/shadow; stat -c '%a %U %G %n' /etc/passwd /etc/group /etc/shadow"


@pytest.fixture(scope="module")
def guest(server):
    return Guest(server.inventory, server.host)


def file_state(guest, path: str) -> str:
    """The file's mode, owner, group, size and content as the guest reports them ('absent' when it is not)."""
    return guest.sh(f"if [ -e {path} ]; then stat -c '%a %U %G %s' {path}; cat {path}; else echo absent; fi")


# --- guest_file -------------------------------------------------------------------------------------------

def test_guest_file_writes_changes_and_removes_a_file(guest, tmp_path):
    top = "/tmp/bstest-file"
    path = f"{top}/sub/conf"
    assert guest.sh(f"ls -d {top} 2>/dev/null; true") == ""
    content = "listen 80\n# bstest\n"
    args = {"path": path, "content": content, "parents": True}
    try:
        check = guest.module("guest_file", args, check=True, diff=True)
        assert not check.failed and check["changed"], check.result
        assert check["changes"] == ["parents", "content"] and check["mode"] == "0644"
        assert check["sha256"] == hashlib.sha256(content.encode()).hexdigest()
        (entry,) = check["diff"]
        assert (entry["before"], entry["after"]) == ("", content)
        assert entry["before_header"] == f"{path} (absent)"
        assert guest.sh(f"ls -d {top} 2>/dev/null; true") == ""  # check mode changed nothing

        real = guest.module("guest_file", args, diff=True)
        assert not real.failed and real["changed"], real.result
        assert (real["owner"], real["group"], real["mode"], real["size"]) == ("root", "root", "0644", len(content))
        assert file_state(guest, path) == f"644 root root {len(content)}\n" + content
        for check_mode in (True, False):
            again = guest.module("guest_file", args, check=check_mode)
            assert not again.failed and not again["changed"], again.result

        # new content and mode, another owner: the diff shows the text and the attribute lines that change
        changed = {"path": path, "content": "listen 8080\n", "mode": "0640", "owner": "web", "group": "web"}
        check = guest.module("guest_file", changed, check=True, diff=True)
        assert check["changed"] and check["changes"] == ["content", "owner", "group", "mode"], check.result
        text, attrs = check["diff"]
        assert (text["before"], text["after"]) == (content, "listen 8080\n")
        assert attrs["before"] == "owner: root\ngroup: root\nmode: 0644\n"
        assert attrs["after"] == "owner: web\ngroup: web\nmode: 0640\n"
        assert file_state(guest, path) == f"644 root root {len(content)}\n" + content
        real = guest.module("guest_file", changed, diff=True)
        assert real["changed"] and (real["owner"], real["mode"]) == ("web", "0640"), real.result
        assert file_state(guest, path) == "640 web web 12\nlisten 8080\n"
        assert not guest.module("guest_file", changed)["changed"]
        # a rewrite keeps the owner and mode; only the mode, in place
        assert guest.module("guest_file", {"path": path, "content": "x\n"})["changed"]
        assert file_state(guest, path) == "640 web web 2\nx\n"
        mode_only = guest.module("guest_file", {"path": path, "mode": "0600"}, diff=True)
        assert mode_only["changed"] and mode_only["changes"] == ["mode"], mode_only.result
        assert mode_only["diff"] == [{"before": "mode: 0640\n", "after": "mode: 0600\n",
                                      "before_header": f"{path} (owner, group, mode)",
                                      "after_header": f"{path} (after)"}]

        # a template on the controller, rendered with the task's variables
        template = tmp_path / "conf.j2"
        template.write_text("host={{ inventory_hostname }}\n")
        rendered = guest.module("guest_file", {"path": path, "src": str(template)})
        assert rendered["changed"] and guest.sh(f"cat {path}") == f"host={guest.host}\n", rendered.result
        assert not guest.module("guest_file", {"path": path, "src": str(template)})["changed"]

        # validate runs on the guest against the new content; a refusal leaves the file and no temporary file
        before = file_state(guest, path)
        refused = guest.module("guest_file", {"path": path, "content": "bad\n",
                                              "validate": "grep -q good %s || { echo 'no good line'; exit 3; }"})
        assert refused.failed and refused["msg"].startswith("validate: "), refused.result
        assert "exit 3" in refused["msg"] and "no good line" in refused["msg"] and "unchanged" in refused["msg"]
        assert file_state(guest, path) == before
        assert guest.sh(f"ls -A {top}/sub") == "conf\n"
        accepted = guest.module("guest_file", {"path": path, "content": "good\n", "validate": "grep -q good %s"})
        assert accepted["changed"] and guest.sh(f"cat {path}") == "good\n", accepted.result

        # large and non-UTF-8 content is summarised by sha256 in the diff
        big = "y" * (70 * 1024)
        summarised = guest.module("guest_file", {"path": path, "content": big}, diff=True)
        assert summarised["diff"][0]["before"] == "good\n", summarised.result
        big_sha = hashlib.sha256(big.encode()).hexdigest()
        assert summarised["diff"][0]["after"] == f"(sha256 {big_sha}, {len(big)} bytes)\n"
        guest.sh(f"printf '\\377\\376\\n' >{path}")
        binary = guest.module("guest_file", {"path": path, "content": "text\n"}, diff=True)
        not_utf8 = hashlib.sha256(b"\xff\xfe\n").hexdigest()
        assert binary["diff"][0]["before"] == f"(sha256 {not_utf8}, 3 bytes)\n", binary.result

        # bad input fails naming the field, before anything is written
        for bad, field in [({"path": "tmp/bstest-rel", "content": "x"}, "path"),
                           ({"path": path, "content": "x", "mode": "u+x"}, "mode"),
                           ({"path": path, "content": "x", "owner": "bstest-nouser"}, "owner"),
                           ({"path": path, "content": "x", "group": "bstest-nogroup"}, "group"),
                           ({"path": f"{top}/missing/conf", "content": "x"}, "parents"),
                           ({"path": path, "content": "x", "validate": "sh -n"}, "validate"),
                           ({"path": path, "content": "x", "src": str(template)}, "content|src"),
                           ({"path": top, "content": "x"}, "path")]:
            failed = guest.module("guest_file", bad)
            assert failed.failed and field in failed["msg"], (bad, failed.result)
        assert guest.sh(f"cat {path}") == "text\n"

        gone = guest.module("guest_file", {"path": path, "state": "absent"}, diff=True)
        assert gone["changed"] and gone["diff"][0]["before"] == "text\n" and gone["diff"][0]["after"] == ""
        assert file_state(guest, path) == "absent\n"
        assert not guest.module("guest_file", {"path": path, "state": "absent"})["changed"]
    finally:
        guest.module("guest_command", {"cmd": ["rm", "-rf", top]})
    assert guest.sh(f"ls -d {top} 2>/dev/null; true") == ""


# --- guest_group ------------------------------------------------------------------------------------------

def test_guest_group_creates_and_removes_a_group(guest):
    original = guest.sh(ACCOUNT_FILES)
    name = "bstestgrp"
    assert f"\n{name}:" not in "\n" + guest.sh("cat /etc/group")
    try:
        check = guest.module("guest_group", {"name": name, "system": True}, check=True, diff=True)
        assert not check.failed and check["changed"], check.result
        assert check["diff"]["before"] == {"state": "absent"} and check["diff"]["after"]["name"] == name
        assert 100 <= check["gid"] < 1000
        assert guest.sh(ACCOUNT_FILES) == original  # check mode changed nothing

        real = guest.module("guest_group", {"name": name, "system": True}, diff=True)
        assert not real.failed and real["changed"] and real["gid"] == check["gid"], real.result
        assert guest.sh(f"grep '^{name}:' /etc/group") == f"{name}:x:{real['gid']}:\n"
        for check_mode in (True, False):
            again = guest.module("guest_group", {"name": name, "gid": real["gid"]}, check=check_mode)
            assert not again.failed and not again["changed"], again.result

        for bad, field in [({"name": name, "gid": real["gid"] + 1}, "gid: group bstestgrp has gid"),
                           ({"name": "bstest-new", "gid": 0}, "gid: gid 0 belongs to group root"),
                           ({"name": "bad name"}, "name: "),
                           ({"name": "root", "state": "absent"}, "name: group root is the primary group of root")]:
            failed = guest.module("guest_group", bad)
            assert failed.failed and field in failed["msg"], (bad, failed.result)

        gone = guest.module("guest_group", {"name": name, "state": "absent"}, diff=True)
        assert gone["changed"] and gone["diff"]["after"] == {"state": "absent"}, gone.result
        assert not guest.module("guest_group", {"name": name, "state": "absent"})["changed"]
    finally:
        guest.module("guest_group", {"name": name, "state": "absent"})
    assert guest.sh(ACCOUNT_FILES) == original


# --- guest_user -------------------------------------------------------------------------------------------

def test_guest_user_creates_changes_and_removes_a_user(guest):
    original = guest.sh(ACCOUNT_FILES)
    name, group, home = "bstestuser", "bstestgrp2", "/tmp/bstest-home"
    assert f"\n{name}:" not in "\n" + guest.sh("cat /etc/passwd")
    args = {"name": name, "home": home, "comment": "Buildstrap test", "groups": ["web"]}
    try:
        check = guest.module("guest_user", args, check=True, diff=True)
        assert not check.failed and check["changed"], check.result
        assert check["diff"]["before"] == {"state": "absent"}
        after = check["diff"]["after"]
        assert (after["group"], after["groups"], after["home"], after["shell"], after["comment"]) == (
            name, ["web"], home, "/bin/sh", "Buildstrap test")
        assert check["commands"] == ["write /etc/group", "write /etc/passwd", f"add the /etc/shadow line of {name}",
                                     f"create {home}"]
        assert guest.sh(ACCOUNT_FILES) == original and guest.sh(f"ls -d {home} 2>/dev/null; true") == ""

        real = guest.module("guest_user", args, diff=True)
        assert not real.failed and real["changed"] and real["uid"] == after["uid"], real.result
        uid = real["uid"]
        assert guest.sh(f"grep '^{name}:' /etc/passwd") == f"{name}:x:{uid}:{uid}:Buildstrap test:{home}:/bin/sh\n"
        assert guest.sh(f"grep '^{name}:' /etc/shadow | cut -d: -f1,2") == f"{name}:!\n"
        assert guest.sh(f"id {name}").split()[2] == f"groups={uid}({name}),24(web)"
        assert guest.sh(f"stat -c '%a %U %G' {home}") == f"755 {name} {name}\n"
        for check_mode in (True, False):
            again = guest.module("guest_user", args, check=check_mode)
            assert not again.failed and not again["changed"], again.result

        # shell and GECOS change in /etc/passwd; groups: exactly these, or at least these with append
        assert guest.module("guest_group", {"name": group})["changed"]
        changed = guest.module("guest_user", {"name": name, "shell": "/bin/false", "comment": "Changed",
                                              "groups": [group]}, diff=True)
        assert changed["changed"] and changed["changes"] == ["comment", "shell", "groups"], changed.result
        assert changed["diff"]["before"]["groups"] == ["web"] and changed["diff"]["after"]["groups"] == [group]
        assert guest.sh(f"grep '^{name}:' /etc/passwd") == f"{name}:x:{uid}:{uid}:Changed:{home}:/bin/false\n"
        appended = guest.module("guest_user", {"name": name, "groups": ["web"], "append": True})
        assert appended["changed"] and appended["groups"] == sorted(["web", group]), appended.result
        assert not guest.module("guest_user", {"name": name, "groups": [group], "append": True})["changed"]
        primary = guest.module("guest_user", {"name": name, "group": group, "groups": []})
        assert primary["changed"] and (primary["group"], primary["groups"]) == (group, []), primary.result

        for bad, field in [({"name": name, "uid": uid + 1}, f"uid: user {name} has uid {uid}"),
                           ({"name": name, "group": "bstest-nogroup"}, "group: no group 'bstest-nogroup'"),
                           ({"name": name, "groups": ["web", "bstest-nogroup"]}, "groups: no group 'bstest-nogroup'"),
                           ({"name": "bstest-new", "uid": 0}, "uid: uid 0 belongs to user root"),
                           ({"name": name, "shell": "bin/sh"}, "shell: "),
                           ({"name": name, "comment": "a:b"}, "comment: "),
                           ({"name": group, "state": "absent", "uid": 5}, "uid: is for state=present only")]:
            failed = guest.module("guest_user", bad)
            assert failed.failed and field in failed["msg"], (bad, failed.result)
        # its primary group cannot go while it exists
        refused = guest.module("guest_group", {"name": group, "state": "absent"})
        assert refused.failed and f"primary group of {name}" in refused["msg"], refused.result

        check = guest.module("guest_user", {"name": name, "state": "absent", "remove": True}, check=True, diff=True)
        assert check["changed"] and check["diff"]["after"] == {"state": "absent"}, check.result
        assert guest.sh(f"grep -c '^{name}:' /etc/passwd") == "1\n"
        gone = guest.module("guest_user", {"name": name, "state": "absent", "remove": True})
        assert gone["changed"] and "home_removed" in gone["changes"], gone.result
        assert guest.sh(f"grep -c '^{name}:' /etc/passwd /etc/shadow /etc/group; ls -d {home} 2>/dev/null; true") \
            == "/etc/passwd:0\n/etc/shadow:0\n/etc/group:0\n"
        assert not guest.module("guest_user", {"name": name, "state": "absent"})["changed"]
    finally:
        guest.module("guest_user", {"name": name, "state": "absent", "remove": True})
        guest.module("guest_group", {"name": group, "state": "absent"})
        guest.module("guest_group", {"name": name, "state": "absent"})
        guest.module("guest_command", {"cmd": ["rm", "-rf", home]})
    assert guest.sh(ACCOUNT_FILES) == original
