# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Minimal facts from a guest with no Python, gathered with one raw command (busybox-compatible)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import reported
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest.api import GuestCommandError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.client import explicit_path

# One round trip; each section is tagged so the parser does not depend on the output of the others.
PROBE = (
    "echo '@@hostname'; (hostname || uname -n) 2>/dev/null; "
    "echo '@@uname'; uname -srm; "
    "echo '@@release'; cat /etc/minifix-release /etc/aloofix-release /etc/os-release 2>/dev/null | head -5; "
    "echo '@@mem'; grep MemTotal /proc/meminfo; "
    "echo '@@mounts'; grep -E ' / | /boot ' /proc/mounts; "
    "echo '@@partitions'; cat /proc/partitions; "
    "echo '@@services'; ls /var/service 2>/dev/null; "
    "echo '@@id'; id -u; echo '@@end'"
)


def parse(output: str) -> dict:
    sections, current = {}, None
    for line in output.splitlines():
        if line.startswith("@@"):
            current = line[2:].strip()
            sections[current] = []
        elif current:
            sections[current].append(line.rstrip())
    uname = (sections.get("uname") or [""])[0].split()
    mem = (sections.get("mem") or [""])[0].split()
    partitions = [ln.split() for ln in sections.get("partitions", [])[1:] if len(ln.split()) == 4]
    return {
        "guest_hostname": (sections.get("hostname") or [""])[0].strip(),
        "guest_kernel": uname[1] if len(uname) > 1 else None,
        "guest_arch": uname[2] if len(uname) > 2 else None,
        "guest_release": " ".join(x for x in sections.get("release", []) if x).strip(),
        "guest_memtotal_kib": int(mem[1]) if len(mem) > 1 and mem[1].isdigit() else None,
        "guest_root_device": next((ln.split()[0] for ln in sections.get("mounts", []) if ln.split()[1:2] == ["/"]),
                                  None),
        "guest_block_devices": {p[3]: int(p[2]) * 1024 for p in partitions if p[2].isdigit()},
        "guest_services": [s for s in sections.get("services", []) if s],
        "guest_uid": int(sections["id"][0]) if sections.get("id") and sections["id"][0].isdigit() else None,
    }


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.validate_argument_spec(argument_spec={})
        result["changed"] = False
        with reported(result):
            res = self._low_level_execute_command(explicit_path(PROBE), sudoable=False)
            if res["rc"] != 0 or "@@end" not in res.get("stdout", ""):
                raise GuestCommandError(PROBE, res["rc"], res.get("stdout", ""), res.get("stderr", ""),
                                        what="gathering guest facts" + ("" if res["rc"] else " (output cut short)"))
            result["ansible_facts"] = parse(res["stdout"])
        return result
