"""Pinned known_hosts handling, key pairs, install2hd argv mapping, console dialogue steps: pure parts."""

from __future__ import annotations

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.expect import ExpectSession, clean_text
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.install2hd import install_argv, validate
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.keypair import ensure_keypair
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.known_hosts import fingerprint, pin, pinned
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.dialogue import parse_steps

ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJx0bWCsQBQY3jZ2m2b8t5vCwH0Q3qv3b1Zs4i1n3kPq"
RSA = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7"


def test_pin_replaces_only_that_host_port(tmp_path):
    path = str(tmp_path / "known_hosts")
    assert pin(path, "127.0.0.1", 22001, [ED]) is True
    assert pin(path, "127.0.0.1", 22002, [RSA]) is True
    assert pin(path, "127.0.0.1", 22001, [ED]) is False
    assert pin(path, "127.0.0.1", 22001, [RSA]) is True
    assert pinned(path, "127.0.0.1", 22001) == [RSA] and pinned(path, "127.0.0.1", 22002) == [RSA]
    assert open(path).read().splitlines() == [f"[127.0.0.1]:22002 {RSA}", f"[127.0.0.1]:22001 {RSA}"]


@pytest.mark.parametrize("keys", [[], ["ssh-foo AAAA"], ["ssh-ed25519 not*base64"]])
def test_pin_refuses_nonsense(tmp_path, keys):
    with pytest.raises(SpecError, match=r"^host_keys: "):
        pin(str(tmp_path / "kh"), "127.0.0.1", 22, keys)


def test_keypair_made_once(tmp_path):
    first = ensure_keypair(str(tmp_path / "k" / "id"), "bs")
    second = ensure_keypair(str(tmp_path / "k" / "id"), "bs")
    assert first["changed"] and not second["changed"] and first["public_key"] == second["public_key"]
    assert (tmp_path / "k" / "id").stat().st_mode & 0o777 == 0o600
    assert first["fingerprint"] == fingerprint(first["public_key"]) and first["public_key"].endswith(" bs")


@pytest.mark.parametrize("opts, argv", [
    ({}, ["install2hd"]),
    ({"force_fdisk": True, "swapsize": 64}, ["install2hd", "--swapsize=64", "--force-fdisk"]),
    ({"hddev": "/dev/vdb", "fstype": "ext4", "bootsize": 16, "pkgsets": ["base", "toolchain"]},
     ["install2hd", "--hddev=/dev/vdb", "--fstype=ext4", "--bootsize=16", "--pkgsets=base toolchain"]),
])
def test_install_argv_maps_options_one_to_one(opts, argv):
    assert install_argv(opts) == argv


@pytest.mark.parametrize("opts, field", [
    ({"root_password": ""}, "root_password"), ({}, "root_password"),
    ({"root_password": "a\nb"}, "root_password"),
    ({"root_password": "x", "hddev": "vda"}, "hddev"),
    ({"root_password": "x", "swapsize": 0}, "swapsize"),
    ({"root_password": "x", "fstype": "ext4; rm -rf /"}, "fstype"),
])
def test_install_validation(opts, field):
    with pytest.raises(SpecError) as err:
        validate(opts)
    assert err.value.field == field


def test_dialogue_steps():
    steps = parse_steps([{"expect": "login:"}, {"sendline": "root"}, {"key": "enter"}, {"secret": "pw"}],
                        {"pw": "hunter2"})
    assert [s["action"] for s in steps] == ["expect", "sendline", "key", "secret"]
    assert steps[2]["text"] == "\r" and steps[3]["text"] == "hunter2"


@pytest.mark.parametrize("steps, secrets, field", [
    ([], {}, "steps"), ([{"expect": "("}], {}, "steps[0].expect"), ([{"key": "f13"}], {}, "steps[0].key"),
    ([{"secret": "pw"}], {}, "steps[0].secret"), ([{"secret": "pw"}], {"pw": ""}, "secrets.pw"),
    ([{"expect": "a", "send": "b"}], {}, "steps[0]"), ([{"expect": "a", "timeout": "ten"}], {}, "steps[0].timeout"),
])
def test_bad_dialogues(steps, secrets, field):
    with pytest.raises(SpecError) as err:
        parse_steps(steps, secrets)
    assert err.value.field == field


class _Loopback(ExpectSession):
    """An expect session whose transport echoes what is typed (what a terminal does)."""

    def _write(self, data):
        self.feed(data)

    def _shutdown(self):
        pass


def test_transcript_masks_secrets_and_escape_sequences_split_across_reads(tmp_path):
    transcript = tmp_path / "t.log"
    with _Loopback("guest", transcript=str(transcript)) as session:
        session.feed(b"\x1b[2J\x1b[1;")
        session.feed(b"1HNew password: ")
        index, _unused = session.expect([r"New password: $"], 1)
        session.sendline("hunter2", secret=True)
        session.feed(b"\r\nPassword for root changed by root\r\n")
        session.expect("changed by root", 1)
        assert "hunter2" not in session.screen()
    text = transcript.read_text()
    assert "hunter2" not in text and "********" in text and "sent a secret" in text
    assert "\x1b" not in text and clean_text("a\r\nb\x1b[0m") == "a\nb"


@pytest.mark.parametrize("count, total, elapsed, eta, expected", [
    (1, None, 5, None, "[make] gcc (1), elapsed 5s"),
    (3, 10, 20, None, "[make] gcc (3/10), elapsed 20s, ETA 80s"),  # 10 s an item so far, 8 items to go
    (3, 10, 20, 50, "[make] gcc (3/10), elapsed 20s, ETA 30s (last run 50s)"),
    # slower than the last run: the last run's time says nothing more; this run's pace does
    (3, 10, 60, 50, "[make] gcc (3/10), elapsed 60s, ETA 240s"),
])
def test_progress_line_counts_and_estimates(count, total, elapsed, eta, expected):
    from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.session import _progress_line

    assert _progress_line("make", "gcc", count, total, elapsed, eta) == expected
