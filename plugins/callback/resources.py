# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: resources
type: aggregate
short_description: Per host, the resources a run changed (or, in check mode, that drifted) and the time per role
version_added: 0.1.0
description:
  - A Puppet-style report of a run on guests. Every task result that changed something (in check mode -
    would change it) is one resource of a host, named by its kind and key - C(file /etc/motd),
    C(service lighttpd), C(package lighttpd), C(user ops), C(feed minifix), or C(command TASK) - with the role
    that manages it.
  - At the end it prints, per host, the resources that changed, under C(DRIFT) in check mode (C(--check
    --diff) is a drift check - nothing is changed, the report says what differs from the description) and
    C(CHANGED) otherwise, and hosts with nothing to report as C(in sync); then the time each role took per
    host. The same goes to C(resources.json) in the run's log directory (see the timeline callback).
  - Only hosts reached over SSH (guests) are reported; the controller's own tasks (VMs, files) are not
    resources of a guest.
requirements:
  - enabled in ansible.cfg (callbacks_enabled)
"""

import json
import os
import time

from ansible import context
from ansible.plugins.callback import CallbackBase

# module -> the result key (or argument) that names the resource, and the resource's kind
KINDS = {
    "guest_file": ("path", "file"), "svadmin": ("name", "service"), "opkg": ("name", "package"),
    "opkg_feed": ("name", "feed"), "guest_user": ("name", "user"), "guest_group": ("name", "group"),
}


def resource_of(action: str, args: dict, result: dict, task_name: str) -> str:
    """``kind key`` of a task's resource: ``file /etc/motd``, ``service lighttpd``, ``command Apply ...``."""
    short = action.rsplit(".", 1)[-1]
    if short in KINDS:
        key, kind = KINDS[short]
        value = result.get(key, args.get(key))
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        return f"{kind} {value}"
    return f"{short} {task_name}"


# Modules that act on the hypervisor or the controller, never resources of a guest.
CONTROLLER_SIDE = {"vm", "vm_volume", "vm_network", "vm_checkpoint", "console", "guest_hostkey", "guest_reachable",
                   "fleet", "recipe", "stage_cache"}


def role_path(task) -> str:
    """The roles a task runs in, outermost first (``role_web > profile_webserver > web > service``)."""
    names, node = [], task
    while node is not None:
        role = getattr(node, "_role", None)
        if role is not None and (not names or names[-1] != role.get_name()):
            names.append(role.get_name())
        node = getattr(node, "_parent", None)
    return " > ".join(reversed(names))


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "aloofix.buildstrap.resources"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.check = False
        self.hosts = {}      # host -> {"changed": [..], "failed": [..], "roles": {role: seconds}}
        self.started = {}    # (host, task uuid) -> monotonic start

    def v2_playbook_on_start(self, playbook):
        self.check = bool(context.CLIARGS.get("check"))

    def v2_runner_on_start(self, host, task):
        self.started[(host.get_name(), task._uuid)] = time.monotonic()

    @staticmethod
    def _is_guest(result) -> bool:
        """A task of this collection that ran on a guest (not delegated to the controller)."""
        if result._host.get_name() == "localhost" or result._result.get("_ansible_delegated_vars"):
            return False
        action = result._task.action
        return action.startswith("aloofix.buildstrap.") and action.rsplit(".", 1)[-1] not in CONTROLLER_SIDE

    def _record_time(self, result) -> dict:
        host = result._host.get_name()
        task = result._task
        role = task._role.get_name() if task._role else ""
        entry = self.hosts.setdefault(host, {"changed": [], "failed": [], "roles": {}})
        start = self.started.pop((host, task._uuid), None)
        if start is not None and role:
            entry["roles"][role] = round(entry["roles"].get(role, 0.0) + time.monotonic() - start, 2)
        return entry

    def _record(self, result, status: str) -> None:
        task = result._task
        role = task._role.get_name() if task._role else ""
        entry = self._record_time(result) if status != "item" else \
            self.hosts.setdefault(result._host.get_name(), {"changed": [], "failed": [], "roles": {}})
        if not self._is_guest(result):
            return
        res = result._result
        name = resource_of(task.action, task.args or {}, res, task.name or task.get_name())
        if status == "failed":
            entry["failed"].append({"resource": name, "role": role, "roles": role_path(task)})
        elif res.get("changed"):
            entry["changed"].append({"resource": name, "role": role, "roles": role_path(task),
                                     "task": task.name or task.get_name()})

    def v2_runner_on_ok(self, result):
        if "results" in result._result:  # a loop's summary: its items were recorded one by one
            self._record_time(result)
            return
        self._record(result, "ok")

    def v2_runner_item_on_ok(self, result):
        self._record(result, "item")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self.started.pop((result._host.get_name(), result._task._uuid), None)

    def v2_playbook_on_stats(self, stats):
        guests = {h: e for h, e in self.hosts.items() if h != "localhost"}
        if not guests:
            return
        title = "DRIFT" if self.check else "CHANGED"
        lines = [f"Resources per host ({'check mode: what differs from the description' if self.check else 'what this run changed'}):"]
        for host in sorted(guests):
            entry = guests[host]
            if not entry["changed"] and not entry["failed"]:
                lines.append(f"  {host}: in sync")
                continue
            for item in entry["changed"]:
                lines.append(f"  {host}: {title} {item['resource']} ({item['roles'] or 'no role'})")
            for item in entry["failed"]:
                lines.append(f"  {host}: FAILED {item['resource']} ({item['roles'] or 'no role'})")
        lines.append("Time per role (seconds, per host):")
        for host in sorted(guests):
            roles = guests[host]["roles"]
            lines.append(f"  {host}: " + ", ".join(f"{r} {s:.1f}" for r, s in sorted(roles.items(), key=lambda i: -i[1])))
        self._display.display("\n".join(lines))
        run_dir = os.environ.get("BUILDSTRAP_RUN_DIR")
        if run_dir and os.path.isdir(run_dir):
            with open(os.path.join(run_dir, "resources.json"), "w", encoding="utf-8") as handle:
                json.dump({"check_mode": self.check, "hosts": guests}, handle, indent=2, sort_keys=True)
