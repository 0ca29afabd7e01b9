# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Manage a group of a Python-less guest by editing /etc/group (busybox on minifix has no addgroup/delgroup).
Reads /etc/passwd and /etc/group in one round trip, computes the new /etc/group (check mode stops there),
writes it atomically, and reads the files again for the result and the diff."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import reported
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import guest_group as gg

ARGS = {
    "name": {"type": "str", "required": True},
    "gid": {"type": "int"},
    "system": {"type": "bool", "default": False},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def _probe(self) -> gg.Accounts:
        ran = api.run(self._low_level_execute_command, gg.probe_script(), what="reading /etc/passwd and /etc/group")
        return gg.parse_probe(ran.stdout)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec=ARGS)
        name, present = args["name"], args["state"] == "present"
        result.update(name=name, changed=False, state=args["state"], commands=[])
        with reported(result):
            gg.check_name("name", name)
            gg.check_id("gid", args["gid"])
            before = self._probe()
            planned = gg.plan_group(before, name, args["gid"], args["system"], present)
            steps = [gg.write_step(gg.GROUP, planned.group_text, before.group_sha)] if planned.changed else []
            result.update(changed=planned.changed, changes=planned.changes, commands=[s.what for s in steps])
            if self._task.diff and planned.changed:
                result["diff"] = {"before": planned.before, "after": planned.after,
                                  "before_header": f"group {name}", "after_header": f"group {name}"}
            if self._task.check_mode or not planned.changed:
                result.update({k: v for k, v in planned.after.items() if k != "name"})
                if planned.changed:
                    result["msg"] = f"check mode: would {'create' if present else 'remove'} group {name}"
                return result
            result["changed"] = False  # until the guest has been changed
            for step in steps:
                api.run(self._low_level_execute_command, step.line, in_data=step.in_data, what=step.what)
                result["changed"] = True
            after = gg.group_view(self._probe().group(name))
            result.update({k: v for k, v in after.items() if k != "name"})
            if after != planned.after:
                raise gg.AccountError(f"group {name} on the guest is {after}, not {planned.after}")
            if self._task.diff:
                result["diff"]["after"] = after
        return result
