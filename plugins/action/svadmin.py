# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Manage a runit service of a Python-less Aloofix/minifix guest with svadmin and sv: enabled in a runlevel,
started/stopped/restarted. Reads the state in one round trip, computes the change (check mode stops there),
applies it, and reads the state again for the result and the diff."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError, reported
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import svadmin as sv

ARGS = {
    "name": {"type": "str", "required": True},
    "enabled": {"type": "bool"},
    "runlevel": {"type": "str"},
    "state": {"type": "str", "choices": ["started", "stopped", "restarted"]},
    "wait": {"type": "int", "default": 30},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def _probe(self, name: str, runlevel: str | None) -> sv.ServiceState:
        ran = api.run(self._low_level_execute_command, sv.probe_script(name, runlevel),
                      what=f"reading the state of service {name}")
        return sv.parse_probe(ran.stdout)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec=ARGS, required_one_of=[["enabled", "state"]])
        name = args["name"]
        result.update(name=name, changed=False, commands=[])
        with reported(result):
            sv.check_name("name", name)
            if args["runlevel"] is not None:
                sv.check_name("runlevel", args["runlevel"])
            if args["wait"] < 1:
                raise SpecError("wait", "must be at least 1 second")
            before = self._probe(name, args["runlevel"])
            if not before.defined:
                raise SpecError("name", f"no service {name!r} on the guest (no /etc/sv/all/{name})")
            if before.runlevel not in before.runlevels:
                raise SpecError("runlevel", f"no runlevel {before.runlevel!r} on the guest "
                                            f"(known: {', '.join(before.runlevels) or 'none'})")
            wanted_enabled = args["enabled"]
            will_be_linked = before.linked or bool(wanted_enabled)
            if args["state"] and not (before.runlevel == before.current and will_be_linked):
                raise SpecError("state", f"service {name} is not supervised: runit runs only the services of the "
                                         f"current runlevel {before.current!r}"
                                + ("" if before.runlevel == before.current else f", not {before.runlevel!r}")
                                + ("" if will_be_linked else "; enable it there first"))
            argv = sv.commands(before, name, wanted_enabled, args["state"], args["wait"])
            planned = sv.predict(before, wanted_enabled, args["state"])
            result.update(runlevel=before.runlevel, current_runlevel=before.current,
                          commands=[api.argv_line(a) for a in argv], changed=bool(argv))
            if self._task.diff:
                result["diff"] = {"before": before.view(), "after": planned,
                                  "before_header": f"service {name} in runlevel {before.runlevel}",
                                  "after_header": f"service {name} in runlevel {before.runlevel}"}
            if self._task.check_mode or not argv:
                result.update(status=planned, enabled=planned["enabled"], state=planned["state"])
                if argv and self._task.check_mode:
                    result["msg"] = "check mode: would run " + "; ".join(result["commands"])
                return result
            for a in argv:
                api.run(self._low_level_execute_command, f"{sv.SVDIR}; {api.argv_line(a)}")
            after = self._probe(name, args["runlevel"])
            result.update(status=after.view(), enabled=after.enabled, state=after.state, sv_status=after.sv_line)
            if self._task.diff:
                result["diff"]["after"] = after.view()
            if wanted_enabled is not None and after.enabled != wanted_enabled:
                raise sv.ServiceError(f"service {name} is still {'dis' if wanted_enabled else 'en'}abled in "
                                      f"{before.runlevel} after {'; '.join(result['commands'])}")
            if args["state"] and after.state != planned["state"]:
                raise sv.ServiceError(f"service {name} is {after.state} after {'; '.join(result['commands'])}: "
                                      f"{after.sv_line}")
        return result
