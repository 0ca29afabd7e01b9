# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure pieces of managing an Aloofix runit service with ``svadmin`` and ``sv``: the probe script that reads a
service's state in one round trip, its parser, and the commands that move it to the wanted state.

Aloofix's layout: definitions in /etc/sv/all/<svc>, a runlevel is a directory /etc/sv/<rl> of links to them,
/var/service points at the current runlevel (supervised by runsvdir). ``svadmin enable`` links the service
into a runlevel and removes /etc/sv/all/<svc>/down; ``svadmin disable`` creates that ``down`` file (runit's
"do not start") and stops the service in the current runlevel. So a service is enabled in a runlevel when it
is linked there and has no ``down`` file."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import BuildstrapError, SpecError


class ServiceError(BuildstrapError):
    """The service did not reach the asked state."""


_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]*$")
_MARK = "buildstrap-svadmin:"
# sv finds services by name under SVDIR; busybox's default is not Aloofix's /var/service (svadmin sets it too).
SVDIR = "SVDIR=/var/service; export SVDIR"


def check_name(field: str, value: str) -> str:
    if not _NAME.match(value or ""):
        raise SpecError(field, f"{value!r} is not a service or runlevel name (letters, digits, _ . @ -)")
    return value


def probe_script(name: str, runlevel: str | None) -> str:
    """A shell script printing ``buildstrap-svadmin:key=value`` lines about service ``name`` in ``runlevel``
    (the current one when None): current runlevel, known runlevels, whether the definition exists, is linked,
    has a down file, and ``sv status`` when the service is in the current runlevel."""
    q = shlex.quote
    rl = q(runlevel) if runlevel else '"$current"'
    return "; ".join([
        SVDIR,
        "current=$(svadmin runlevel)",
        f'echo "{_MARK}current=$current"',
        f'echo "{_MARK}runlevels=$(svadmin runlevels | tr "\\n" " ")"',
        f"rl={rl}",
        f'echo "{_MARK}runlevel=$rl"',
        f'if [ -d /etc/sv/all/{q(name)} ]; then echo "{_MARK}defined=yes"; fi',
        f'if [ -e "/etc/sv/$rl/"{q(name)} ]; then echo "{_MARK}linked=yes"; fi',
        f'if [ -e /etc/sv/all/{q(name)}/down ]; then echo "{_MARK}down_file=yes"; fi',
        f'if [ -e /var/service/{q(name)} ]; then echo "{_MARK}sv=$(sv status {q(name)} 2>&1 | head -n 1)"; fi',
        "true",
    ])


@dataclass
class ServiceState:
    current: str
    runlevels: list
    runlevel: str
    defined: bool
    linked: bool
    down_file: bool
    sv_status: str | None  # the first word of `sv status` (run, down, finish, fail, warning), None if unsupervised
    sv_line: str = ""

    @property
    def enabled(self) -> bool:
        return self.linked and not self.down_file

    @property
    def state(self) -> str | None:
        """started/stopped for a supervised service (run counts as started), None when runit does not
        supervise it (not in the current runlevel)."""
        if self.sv_status is None:
            return None
        return "started" if self.sv_status == "run" else "stopped"

    def view(self) -> dict:
        return {"enabled": self.enabled, "state": self.state}


def parse_probe(text: str) -> ServiceState:
    values = {}
    for line in text.splitlines():
        if line.startswith(_MARK):
            key, _unused, value = line[len(_MARK):].partition("=")
            values[key] = value.strip()
    sv_line = values.get("sv")
    sv_status = None
    if sv_line is not None:
        word = sv_line.split(":", 1)[0].strip()
        # "warning: x: unable to open supervise/ok": linked but runsv has not picked it up yet
        sv_status = word if word in ("run", "down", "finish", "fail") else "down" if word else None
    return ServiceState(current=values.get("current", ""), runlevels=values.get("runlevels", "").split(),
                        runlevel=values.get("runlevel", ""), defined=values.get("defined") == "yes",
                        linked=values.get("linked") == "yes", down_file=values.get("down_file") == "yes",
                        sv_status=sv_status, sv_line=sv_line or "")


def predict(before: ServiceState, enabled: bool | None, state: str | None) -> dict:
    """The {enabled, state} the service will have after the change (for check mode and the diff's after)."""
    view = before.view()
    in_current = before.runlevel == before.current
    if enabled is not None and enabled != view["enabled"]:
        view["enabled"] = enabled
        if in_current:  # svadmin enable/disable also start/stop it in the current runlevel
            view["state"] = "started" if enabled else "stopped"
    if state in ("started", "restarted"):
        view["state"] = "started"
    elif state == "stopped":
        view["state"] = "stopped"
    return view


def commands(before: ServiceState, name: str, enabled: bool | None, state: str | None,
             wait: int) -> list[list[str]]:
    """The argv lists that move the service from ``before`` to what is asked, in order."""
    argv: list[list[str]] = []
    view = before.view()
    rl = before.runlevel
    toggled = enabled is not None and enabled != view["enabled"]
    if toggled:
        argv.append(["svadmin", "enable" if enabled else "disable", name, rl])
    # after an enable/disable, start/stop anyway: sv waits until runit reports the service up/down. A service
    # that is stopped, or was just enabled (started with the configuration as it is now), is started rather
    # than restarted: a restart right after the start would stop it again before it is up.
    if state == "restarted" and (view["state"] != "started" or (toggled and enabled)):
        state = "started"
    if state == "restarted":
        argv.append(["sv", "-w", str(wait), "restart", name])
    elif state == "started" and (toggled or view["state"] != "started"):
        argv.append(["sv", "-w", str(wait), "start", name])
    elif state == "stopped" and (toggled or view["state"] != "stopped"):
        argv.append(["sv", "-w", str(wait), "stop", name])
    return argv
