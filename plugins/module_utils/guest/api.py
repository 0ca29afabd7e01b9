# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The thin layer between the guest-side action plugins and a Python-less guest: one shell line through the
host's own connection (the action's ``_low_level_execute_command``), PATH stated, errors typed."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import BuildstrapError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.client import explicit_path


class GuestCommandError(BuildstrapError):
    """A command on the guest exited with an unexpected code."""

    def __init__(self, line: str, rc: int, stdout: str, stderr: str, what: str = ""):
        self.line, self.rc, self.stdout, self.stderr = line, rc, stdout, stderr
        detail = (stderr.strip() or stdout.strip())[-2000:]
        super().__init__(f"{what or line!r} exited with {rc}" + (f": {detail}" if detail else ""))

    def to_result(self) -> dict:
        return dict(super().to_result(), rc=self.rc, stdout=self.stdout, stderr=self.stderr)


@dataclass
class Ran:
    cmd: str
    rc: int
    stdout: str
    stderr: str


def argv_line(*argvs: list) -> str:
    """Argv lists as one shell line (each word quoted), joined with ``&&``."""
    return " && ".join(" ".join(shlex.quote(str(w)) for w in argv) for argv in argvs)


def run(execute, line: str, in_data: str | None = None, ok_rc=(0,), what: str = "") -> Ran:
    """Run ``line`` (a shell line) on the guest with the guest PATH set; raise GuestCommandError unless its exit
    code is in ``ok_rc`` (None accepts any)."""
    cmd = explicit_path(line)
    res = execute(cmd, sudoable=False, in_data=in_data.encode("utf-8") if isinstance(in_data, str) else in_data)
    ran = Ran(cmd, res.get("rc", -1), res.get("stdout", ""), res.get("stderr", ""))
    if ok_rc is not None and ran.rc not in ok_rc:
        raise GuestCommandError(line, ran.rc, ran.stdout, ran.stderr, what)
    return ran
