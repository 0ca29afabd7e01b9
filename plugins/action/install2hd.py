# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""install2hd on a live guest: a pty over SSH (paramiko, pinned host key), prompts answered one by one."""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import host_file_error, reported
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import session
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import install2hd as i2h
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.timeouts import scaled

ARGS = {
    "root_password": {"type": "str", "required": True, "no_log": True},
    "force_fdisk": {"type": "bool", "default": False},
    "hddev": {"type": "list", "elements": "str"},
    "fstype": {"type": "str"},
    "bootsize": {"type": "int"},
    "swapsize": {"type": "int"},
    "pkgsets": {"type": "list", "elements": "str"},
    "prepare": {"type": "bool", "default": True},
    "serial_console": {"type": "bool", "default": True},
    "authorized_keys": {"type": "list", "elements": "str"},
    "log_dir": {"type": "path"},
    "command": {"type": "str", "default": "install2hd"},
    "timeout": {"type": "float", "default": 300},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False  # it opens its own pty session with paramiko

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec=ARGS)
        log_dir = args["log_dir"] or os.path.join(
            self._templar.template(task_vars.get("buildstrap_run_dir", "logs")), "install2hd")
        with reported(result, [args.get("root_password")]):
            i2h.validate(args)
            argv = i2h.install_argv(args, args["command"])  # checks the command before anything connects
            conn = session.connection_params(task_vars, self._templar.template)
            keys = args["authorized_keys"]
            if keys is None:
                try:
                    with open(conn["key_file"] + ".pub", encoding="utf-8") as handle:
                        keys = [handle.read().strip()]
                except OSError as exc:
                    raise host_file_error("reading the controller's public key for the installed system", exc) from None
            client = session.connect_guest(conn)
            try:
                plan = i2h.preflight(client, args)
                result.update(disk=plan["disk"], existing_partitions=plan["existing_partitions"], argv=argv)
                if self._task.check_mode:
                    result.update(changed=True, msg=f"check mode: would run {' '.join(argv)}, wiping {plan['disk']}")
                    return result
                os.makedirs(log_dir, exist_ok=True)  # not in check mode, which writes nothing
                run = i2h.run_install(client, args, task_vars.get("inventory_hostname"), log_dir,
                                      scaled(args["timeout"], conn["accel"]), args["command"])
                run["logs"] = i2h.fetch_step_logs(client, log_dir, run["steps"])
                result.update(changed=True, **{k: v for k, v in run.items() if k != "screen"})
                if "failed_step" in run:
                    result.update(failed=True, msg=(
                        f"install2hd failed (rc {run['rc']}) in step {run['failed_step']!r}; its output and the "
                        f"transcript are in {log_dir}\n--- last lines ---\n{run.get('screen', '')}"))
                    return result
                if args["prepare"]:
                    result.update(i2h.prepare_disk(client, plan["disk"], keys, args["serial_console"]))
            finally:
                client.close()
        return result
