# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A long command on a guest under a pty: prompts answered from secrets, progress shown as it goes."""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import mask, reported
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import session
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.timeouts import scaled

display = Display()

ARGS = {
    "command": {"type": "str", "required": True},
    "user": {"type": "str"},
    "chdir": {"type": "str"},
    "prompts": {"type": "list", "elements": "dict", "default": []},
    "secrets": {"type": "dict", "default": {}, "no_log": True},
    "success": {"type": "str"},
    "failure": {"type": "list", "elements": "str", "default": []},
    "progress": {"type": "dict"},
    "progress_total": {"type": "int"},
    "eta_seconds": {"type": "float"},
    "timeout": {"type": "float", "default": 600},
    "transcript": {"type": "path"},
    "name": {"type": "str"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec=ARGS)
        name = args["name"] or task_vars.get("inventory_hostname")
        secrets = args["secrets"]
        with reported(result, secrets.values()):
            conn = session.connection_params(task_vars, self._templar.template)
            table = session.compile_dialogue(args["prompts"], secrets, args["success"], args["failure"],
                                             args["progress"])
            line = session.wrap(args["command"], args["user"], args["chdir"])
            result["cmd"] = line
            if self._task.check_mode:
                result.update(changed=True, skipped=True, msg="check mode: the command was not run")
                return result
            if args["transcript"]:
                os.makedirs(os.path.dirname(args["transcript"]), exist_ok=True)
            client = session.connect_guest(conn)
            try:
                run = session.run_dialogue(client, line, name, table, secrets, scaled(args["timeout"], conn["accel"]),
                                           args["transcript"], report=display.display,
                                           progress_total=args["progress_total"], eta_seconds=args["eta_seconds"])
                failed = run["rc"] != 0 or run["failures"] or (args["success"] and not run["success"])
                disk = session.full_disk(client, args["chdir"]) if failed else None
            finally:
                client.close()
        if result.get("failed"):
            return result
        screen = run.pop("screen")
        result.update(changed=True, **run)
        if failed:
            why = (f"it printed {run['failures'][0]!r}" if run["failures"] else
                   f"exit status {run['rc']}" if run["rc"] != 0 else f"no line matched {args['success']!r}")
            if disk:
                why += f" ({disk})"
            last = run["progress"][-1]["item"] if run["progress"] else "(none)"
            result.update(failed=True, msg=mask(f"{name}: {args['command']} failed: {why}; last progress item "
                                                f"{last}; transcript {args['transcript']}\n--- last lines ---\n"
                                                f"{screen}", secrets.values()))
        return result
