# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Manage a user of a Python-less guest by editing /etc/passwd, /etc/group and /etc/shadow (busybox on minifix
has no adduser/deluser/usermod). Reads the account files in one round trip, computes the change (check mode
stops there), writes each file atomically, and reads them again for the result and the diff."""

from __future__ import annotations

import time

from ansible.plugins.action import ActionBase

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError, reported
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import guest_group as gg
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import guest_user as gu

ARGS = {
    "name": {"type": "str", "required": True},
    "uid": {"type": "int"},
    "group": {"type": "str"},
    "groups": {"type": "list", "elements": "str"},
    "append": {"type": "bool", "default": False},
    "home": {"type": "str"},
    "shell": {"type": "str"},
    "comment": {"type": "str"},
    "create_home": {"type": "bool", "default": True},
    "system": {"type": "bool", "default": False},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "remove": {"type": "bool", "default": False},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def _probe(self, name: str, home: str | None) -> gg.Accounts:
        ran = api.run(self._low_level_execute_command, gg.probe_script(name, home),
                      what="reading /etc/passwd and /etc/group")
        return gg.parse_probe(ran.stdout)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec=ARGS)
        name, present = args["name"], args["state"] == "present"
        result.update(name=name, changed=False, state=args["state"], commands=[])
        with reported(result):
            gg.check_name("name", name)
            if not present:
                for option in ("uid", "group", "groups", "home", "shell", "comment"):
                    if args[option] is not None:
                        raise SpecError(option, "is for state=present only")
            want = gu.Wanted(name, present=present, uid=gg.check_id("uid", args["uid"]), group=args["group"],
                             groups=args["groups"], append=args["append"],
                             home=gu.check_path_field("home", args["home"]),
                             shell=gu.check_path_field("shell", args["shell"]),
                             comment=gu.check_comment(args["comment"]), create_home=args["create_home"],
                             system=args["system"], remove=args["remove"])
            before = self._probe(name, want.home)
            planned = gu.plan_user(before, want)
            steps = gu.steps(before, planned, name, int(time.time() // 86400))
            result.update(changed=planned.changed, changes=planned.changes, commands=[s.what for s in steps])
            if planned.warnings:
                result["warnings"] = planned.warnings
            if self._task.diff and planned.changed:
                result["diff"] = {"before": planned.before, "after": planned.after,
                                  "before_header": f"user {name}", "after_header": f"user {name}"}
            if self._task.check_mode or not planned.changed:
                result.update({k: v for k, v in planned.after.items() if k != "name"})
                if planned.changed:
                    result["msg"] = "check mode: would " + "; ".join(result["commands"])
                return result
            result["changed"] = False  # until the guest has been changed
            for step in steps:
                api.run(self._low_level_execute_command, step.line, in_data=step.in_data, what=step.what)
                result["changed"] = True
            after_acc = self._probe(name, want.home)
            after = gu.user_view(after_acc, after_acc.user(name))
            result.update({k: v for k, v in after.items() if k != "name"})
            if after != planned.after:
                raise gg.AccountError(f"user {name} on the guest is {after}, not {planned.after}")
            if planned.make_home and not after_acc.home_exists:
                raise gg.AccountError(f"{planned.after['home']} was not created on the guest")
            if self._task.diff:
                result["diff"]["after"] = after
        return result
