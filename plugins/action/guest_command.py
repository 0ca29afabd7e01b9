# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a command on a guest that has no Python, through the host's own connection (like ansible.builtin.raw),
with argv quoting, creates/removes, rc checks and real check-mode handling."""

from __future__ import annotations

import shlex

from ansible.plugins.action import ActionBase

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import reported
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest.api import GuestCommandError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.client import explicit_path

ARGS = {
    "cmd": {"type": "raw", "required": True},
    "chdir": {"type": "str"},
    "creates": {"type": "str"},
    "removes": {"type": "str"},
    "stdin": {"type": "str"},
    "ok_rc": {"type": "list", "elements": "int", "default": [0]},
    "changes": {"type": "bool", "default": True},
    "run_in_check_mode": {"type": "bool", "default": False},
}


def build_command(cmd, chdir: str | None = None) -> str:
    """A shell command line from an argv list (each word quoted) or a string (used as written), with the guest
    PATH stated: Aloofix's dropbear gives root only /usr/bin:/bin."""
    line = " ".join(shlex.quote(str(word)) for word in cmd) if isinstance(cmd, list) else str(cmd)
    if chdir:
        line = f"cd {shlex.quote(chdir)} && {line}"
    return explicit_path(line)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def _test(self, flag: str, path: str) -> bool:
        res = self._low_level_execute_command(explicit_path(f"test {flag} {shlex.quote(path)}"), sudoable=False)
        return res["rc"] == 0

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec=ARGS)
        command = build_command(args["cmd"], args["chdir"])
        result.update(cmd=command, changed=False)
        if args["creates"] and self._test("-e", args["creates"]):
            result.update(msg=f"skipped: {args['creates']} exists", rc=0)
            return result
        if args["removes"] and not self._test("-e", args["removes"]):
            result.update(msg=f"skipped: {args['removes']} does not exist", rc=0)
            return result
        if self._task.check_mode and not args["run_in_check_mode"]:
            result.update(changed=args["changes"], skipped=True, msg="check mode: the command was not run")
            return result
        res = self._low_level_execute_command(command, sudoable=False, in_data=args["stdin"])
        stdout = res.get("stdout", "")
        stderr = res.get("stderr", "")
        result.update(rc=res["rc"], stdout=stdout, stderr=stderr, stdout_lines=stdout.splitlines(),
                      stderr_lines=stderr.splitlines(), changed=args["changes"])
        result["failed"] = False  # Ansible takes a result with a non-zero rc and no 'failed' for a failure
        with reported(result):
            if res["rc"] not in args["ok_rc"]:
                raise GuestCommandError(command, res["rc"], stdout, stderr)
        return result
