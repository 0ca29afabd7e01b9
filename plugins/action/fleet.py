# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check every client of the inventory and plan the fleet (module_utils/fleet/spec.py) before anything starts.
An action plugin: it reads the clients' host variables, which a module on the controller could not see."""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError, reported
from ansible_collections.aloofix.buildstrap.plugins.module_utils.fleet import spec

ARGS = {
    "name": {"type": "str", "required": True},
    "group": {"type": "str", "default": "clients"},
    "port_base": {"type": "raw", "required": True},
    "uri": {"type": "str", "required": True},
    "roles_dir": {"type": "path", "required": True},
    "recipe_vm": {"type": "dict", "required": True},
    "state_dir": {"type": "path", "required": True},
    "loghost": {"type": "str"},
    "syslog_port": {"type": "int", "default": 514},
    "role_required": {"type": "bool", "default": True},
    "hypervisors_group": {"type": "str", "default": "hypervisors"},
}
CLIENT_VARS = ("client_role", "client_provision", "client_index", "client_forwards", "client_hardware",
               "client_hypervisor", "client_uri")
HYPERVISOR_VARS = ("hypervisor_uri", "hypervisor_vcpus", "hypervisor_memory")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec=ARGS)
        result["changed"] = False
        with reported(result):
            members = task_vars.get("groups", {}).get(args["group"], [])
            hostvars = task_vars["hostvars"]
            clients = {h: {k: hostvars[h].get(k) for k in CLIENT_VARS} for h in members}
            hv_hosts = task_vars.get("groups", {}).get(args["hypervisors_group"], [])
            hv_vars = {h: {k: hostvars[h].get(k) for k in HYPERVISOR_VARS} for h in hv_hosts}
            roles = {d for d in os.listdir(args["roles_dir"]) if d.startswith("role_")
                     and os.path.isdir(os.path.join(args["roles_dir"], d))}
            plan = spec.plan(args["name"], args["port_base"], args["uri"], clients, args["recipe_vm"], roles,
                             args["state_dir"], args["role_required"], hv_vars)
            loghost = args.get("loghost")
            if loghost:
                if loghost not in plan["hosts"]:
                    raise SpecError("fleet_loghost", f"{loghost!r} is not a client of the group {args['group']}; "
                                                     "name the client whose role receives remote syslog")
                port = spec.udp_port(plan["hosts"][loghost], args["syslog_port"])
                if port is None:
                    raise SpecError(f"{loghost}: client_forwards", f"the log host forwards no UDP port to its "
                                                                   f"syslog port {args['syslog_port']}; add "
                                                                   f"{{guest: {args['syslog_port']}, proto: udp}}")
                plan["loghost"] = {"host": loghost, "port": port}
            where = ", ".join(f"{n}: {', '.join(hv['clients']) or '-'}" for n, hv in plan["hypervisors"].items())
            result.update(fleet=plan, msg=f"{len(plan['hosts'])} client(s) in fleet {plan['name']} ({where})",
                          ansible_facts={"buildstrap_fleet": plan})
        return result
