"""Pure guest_file layer: input checks, the probe's parser, the plan, the prediction and the diff, table-driven;
then the probe and write scripts run by the controller's own /bin/sh on a scratch directory (the commands they
use, stat -c, sha256sum, mktemp, behave as busybox's do)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import guest_file as gf

M = gf.MARK
SHA_A = hashlib.sha256(b"a\n").hexdigest()


def probe(kind="file", mode="644", content=None, uid=0, owner="root", sha=SHA_A, size=2, extra=()):
    lines = [f"{M}kind={kind}"]
    if kind == "file":
        lines += [f"{M}stat={uid}:{uid}:{owner}:{owner}:{mode}:{size}", f"{M}sha256={sha}"]
    lines += [f"{M}parent=yes", *extra]
    text = "\n".join(lines) + "\n"
    if content is not None:
        text += f"{M}content\n{content}"
    return gf.parse_probe(text)


@pytest.mark.parametrize("value, mode", [("0644", 0o644), ("644", 0o644), ("2755", 0o2755), (420, 0o644),
                                         (None, None), ("0600 ", 0o600)])
def test_parse_mode(value, mode):
    assert gf.parse_mode(value) == mode


@pytest.mark.parametrize("value", ["u+x", "rw-r--r--", "0888", "99999", 0o17777, -1, True, "0o644"])
def test_parse_mode_refuses(value):
    with pytest.raises(SpecError, match="^mode: "):
        gf.parse_mode(value)


@pytest.mark.parametrize("field, value, check", [
    ("path", "etc/motd", gf.check_path), ("path", "/etc/", gf.check_path), ("path", "/", gf.check_path),
    ("path", "/a\nb", gf.check_path), ("owner", "a b", gf.check_id), ("group", "-x", gf.check_id),
    ("validate", "sh -n", lambda field, value: gf.check_validate(value)),
])
def test_input_checks_name_the_field(field, value, check):
    with pytest.raises(SpecError, match=f"^{field}: "):
        check(field, value)


def test_parse_probe_reads_stat_and_content():
    state = probe(mode="4755", uid=24, owner="web", content="line\nno newline")
    assert (state.kind, state.uid, state.owner, state.mode, state.size) == ("file", 24, "web", 0o4755, 2)
    assert state.content == "line\nno newline" and state.parent
    assert state.view() == {"state": "present", "sha256": SHA_A, "size": 2, "owner": "web", "group": "web",
                            "mode": "4755"}
    assert gf.parse_probe(f"{M}kind=absent\n").view()["state"] == "absent"


def want(data=b"a\n", **kw):
    return gf.Wanted("/etc/x", data=data, **kw)


@pytest.mark.parametrize("before, wanted, changes, chown, chmod, write", [
    # the same content, owner and mode: nothing
    (probe(), want(), [], None, None, False),
    (probe(extra=[f"{M}group_id=0"]), want(owner="0", group="root", mode=0o644), [], None, None, False),
    # new content keeps the old file's owner and mode (the temporary file gets them)
    (probe(uid=24, owner="web", mode="600"), want(b"b\n"), ["content"], "24:24", 0o600, True),
    # attributes only: chown/chmod in place, no write
    (probe(), want(None, mode=0o600), ["mode"], None, 0o600, False),
    (probe(extra=[f"{M}owner_id=24"]), want(owner="web"), ["owner"], "24:0", None, False),
    (probe(extra=[f"{M}group_id=24"]), want(group="web"), ["group"], "0:24", None, False),
    # a new file: 0644 unless asked, owner only when asked
    (probe("absent"), want(), ["content"], None, 0o644, True),
    (probe("absent", extra=[f"{M}owner_id=24"]), want(owner="web", mode=0o600), ["content", "owner"], "24:", 0o600,
     True),
])
def test_plan(before, wanted, changes, chown, chmod, write):
    planned = gf.plan(before, wanted)
    assert (planned.changes, planned.chown, planned.chmod, planned.write) == (changes, chown, chmod, write)


def test_plan_absent_and_missing_directory():
    assert gf.plan(probe(), gf.Wanted("/etc/x", present=False)).remove
    assert not gf.plan(probe("absent"), gf.Wanted("/etc/x", present=False)).changed
    orphan = gf.parse_probe(f"{M}kind=absent\n")
    with pytest.raises(SpecError, match="^parents: /etc does not exist"):
        gf.plan(orphan, want())
    planned = gf.plan(orphan, want(parents=True))
    assert planned.mkdir and planned.changes == ["parents", "content"]


@pytest.mark.parametrize("before, wanted, message", [
    (probe("link", extra=[f"{M}target=/etc/y"]), want(), "^path: /etc/x is a symbolic link"),
    (probe("directory"), want(), "^path: /etc/x is a directory"),
    (probe("absent"), want(None, mode=0o600), "^content: "),
    (probe(extra=[f"{M}owner_id="]), want(owner="nobody"), "^owner: no user 'nobody' on the guest"),
    (probe(extra=[f"{M}group_id="]), want(group="nogroup"), "^group: no group 'nogroup' on the guest"),
])
def test_plan_refuses(before, wanted, message):
    with pytest.raises(SpecError, match=message):
        gf.plan(before, wanted)


def test_predict():
    before = probe(uid=24, owner="web", mode="600")
    wanted = want(b"bb\n", mode=0o640)
    after = gf.predict(before, wanted, gf.plan(before, wanted))
    assert after == {"state": "present", "sha256": hashlib.sha256(b"bb\n").hexdigest(), "size": 3, "owner": "web",
                     "group": "web", "mode": "0640"}
    assert gf.predict(before, gf.Wanted("/etc/x", present=False), gf.Plan())["state"] == "absent"


def test_diff_text_and_attributes():
    before = probe(content="a\n")
    wanted = want(b"b\n", mode=0o600)
    planned = gf.plan(before, wanted)
    content, attrs = gf.diff("/etc/x", before, before.view(), gf.predict(before, wanted, planned), wanted.data,
                             planned.changes)
    assert (content["before"], content["after"]) == ("a\n", "b\n")
    assert content["before_header"] == "/etc/x (guest)" and content["after_header"] == "/etc/x (after)"
    assert (attrs["before"], attrs["after"]) == ("mode: 0644\n", "mode: 0600\n")


def test_diff_summarises_large_and_binary_content():
    big = b"x" * (gf.DIFF_LIMIT + 1)
    binary = b"\xff\xfe\n"
    before = probe(sha=hashlib.sha256(binary).hexdigest(), size=3, content=binary.decode("utf-8", "surrogateescape"))
    wanted = want(big)
    planned = gf.plan(before, wanted)
    (entry,) = gf.diff("/etc/x", before, before.view(), gf.predict(before, wanted, planned), big, planned.changes)
    assert entry["before"] == f"(sha256 {hashlib.sha256(binary).hexdigest()}, 3 bytes)\n"
    assert entry["after"] == f"(sha256 {hashlib.sha256(big).hexdigest()}, {len(big)} bytes)\n"
    # text that does not hash to the file's sha256 (mangled on the way) is not shown as the file's
    mangled = probe(content="not it\n")
    (entry,) = gf.diff("/etc/x", mangled, mangled.view(), {"sha256": "s", "size": 1}, b"b\n", ["content"])
    assert entry["before"].startswith("(sha256 ")


def test_diff_of_a_removal_and_a_new_file():
    (gone,) = gf.diff("/etc/x", probe(content="a\n"), probe().view(), {"state": "absent"}, None, ["absent"])
    assert (gone["before"], gone["after"], gone["after_header"]) == ("a\n", "", "/etc/x (absent)")
    (new,) = gf.diff("/etc/x", probe("absent"), {}, {"sha256": "s", "size": 2}, b"a\n", ["content"])
    assert (new["before"], new["after"], new["before_header"]) == ("", "a\n", "/etc/x (absent)")


def test_validate_output_and_scripts_quote():
    assert gf.parse_validate_output("rc=2\nline 1: syntax error\n") == (2, "line 1: syntax error")
    script = gf.write_script("/etc/it's", 3, "0:0", 0o600, validate="sh -n %s")
    assert "'/etc/it'\"'\"'s'" in script and 'sh -n "$tmp"' in script and "chmod 0600" in script
    assert gf.attributes_script("/etc/x", "24:24", 0o600) == "chown 24:24 /etc/x && chmod 0600 /etc/x"


# --- the scripts, run by a real shell -----------------------------------------------------------------------

needs_sh = pytest.mark.skipif(not all(shutil.which(c) for c in ("sh", "sha256sum", "stat", "mktemp", "awk")),
                              reason="needs sh, sha256sum, stat, mktemp and awk")


def sh(script: str, data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", "-c", script], input=data, capture_output=True, timeout=30, check=False)


@needs_sh
def test_scripts_write_probe_validate_and_remove(tmp_path):
    path = str(tmp_path / "sub" / "conf")
    state = gf.parse_probe(sh(gf.probe_script(path)).stdout.decode())
    assert state.kind == "absent" and not state.parent

    data = b"one\ntwo\n"
    ran = sh(gf.write_script(path, len(data), None, 0o640, mkdir=True), data)
    assert ran.returncode == 0, ran.stderr
    state = gf.parse_probe(sh(gf.probe_script(path, want_sha="x", with_content=True)).stdout.decode())
    assert (state.kind, state.mode, state.size, state.sha256) == ("file", 0o640, 8, hashlib.sha256(data).hexdigest())
    assert state.content == "one\ntwo\n" and state.uid == os.getuid()

    # a refused validation leaves the file and no temporary file behind, and reports the validator's output
    ran = sh(gf.write_script(path, 4, None, 0o640, validate="grep -q three %s || { echo no three; exit 3; }"),
             b"new\n")
    assert ran.returncode == gf.VALIDATE_RC
    assert gf.parse_validate_output(ran.stdout.decode()) == (3, "no three")
    assert open(path, "rb").read() == data and os.listdir(tmp_path / "sub") == ["conf"]
    # a short transfer never replaces the file
    assert sh(gf.write_script(path, 99, None, 0o640), b"short\n").returncode == 1
    assert open(path, "rb").read() == data and os.listdir(tmp_path / "sub") == ["conf"]
    # the guard of the account files: a file changed since it was read is not overwritten
    assert sh(gf.write_script(path, 2, None, None, expect_sha="0" * 64, preserve=True), b"x\n").returncode == 1
    ran = sh(gf.write_script(path, 2, None, None, expect_sha=hashlib.sha256(data).hexdigest(), preserve=True), b"x\n")
    assert ran.returncode == 0 and open(path, "rb").read() == b"x\n" and os.stat(path).st_mode & 0o7777 == 0o640

    assert sh(gf.remove_script(path)).returncode == 0 and not os.path.exists(path)
