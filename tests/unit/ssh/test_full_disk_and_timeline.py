"""What a failed guest command and a failed run say about their cause: a full guest disk (from df), and the
timeline's last lines (the failed stage, its task and the first line of its message)."""

from __future__ import annotations

import pytest

from ansible_collections.aloofix.buildstrap.plugins.callback import timeline
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.session import full_disk_note

HEADER = "Filesystem           1K-blocks      Used Available Use% Mounted on\n"


@pytest.mark.parametrize("line, expect", [
    ("/dev/vda3 1947840 1947840 0 100% /", "the guest's file system / (/dev/vda3) is full: 0 KiB free of 1947840 KiB"),
    ("/dev/vda3 1947840 1850000 500 100% /usr", "the guest's file system /usr (/dev/vda3) is full: 500 KiB free"),
    ("/dev/vda3 1947840 77256 1753440 4% /", None),
    ("/dev/vda1 15225 15000 225 99% /boot", "the guest's file system /boot (/dev/vda1) is full: 225 KiB free"),
    ("df: /nonexistent: No such file or directory", None),
])
def test_full_disk_note(line, expect):
    note = full_disk_note(HEADER + line + "\n")
    assert note == expect if expect is None else note.startswith(expect)


def test_failed_stages_are_named_with_their_task_and_cause():
    stages = [
        {"name": "Stage 1 - first ISO", "status": "ok", "tasks": [{"name": "Build", "status": "ok"}]},
        {"name": "Native - rebuild", "status": "failed", "tasks": [
            {"name": "Push", "status": "ok"},
            {"name": "Run the native rebuild", "status": "failed", "msg": "native: the SSH connection was lost\nmore"},
        ]},
    ]
    assert timeline._failures(stages) == [
        "FAILED stage 'Native - rebuild', task 'Run the native rebuild': native: the SSH connection was lost"]


def test_run_directories_started_in_the_same_second_differ(tmp_path):
    first = timeline._new_dir(str(tmp_path / "logs" / "20261202-010000-buildstrap"))
    second = timeline._new_dir(str(tmp_path / "logs" / "20261202-010000-buildstrap"))
    assert first != second and second.endswith("-2")
