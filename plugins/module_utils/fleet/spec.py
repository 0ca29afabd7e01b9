# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fleet of client VMs from the inventory: validation of every client's variables into one plan. Pure.

The plan fixes, before any VM or disk is touched, what each client is: its domain name
(``<fleet>-<inventory host>``), its 127.0.0.1 ports (``port_base + 10 * index``: SSH, then each of its
forwards in order, so two clients never race for a port and a client keeps its ports from run to run), its
role, provisioning method, hardware and the files that are its own (known_hosts). Every error names the host
and the variable, and says what would be valid.
"""

from __future__ import annotations

import re

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError

PROVISION_METHODS = ("clone", "install")
PROTOS = ("tcp", "udp")
HOSTNAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
FLEET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$")
ROLE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PORTS_PER_CLIENT = 10
HARDWARE_KEYS = {"memory": int, "vcpus": int, "disk_size": str}
# What a client's VM is when the inventory says nothing: the recipe's VM, smaller.
DEFAULT_HARDWARE = {"memory": 192, "vcpus": 1}


def _field(host: str, name: str) -> str:
    return f"{host}: {name}"


def _int(host: str, name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise SpecError(_field(host, name), f"{value!r} is not a whole number; use one from {low} to {high}")
    number = int(value)
    if not low <= number <= high:
        raise SpecError(_field(host, name), f"{number} is out of range; use one from {low} to {high}")
    return number


def _forwards(host: str, value) -> list[dict]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise SpecError(_field(host, "client_forwards"), "must be a list of {guest: PORT, proto: tcp|udp}")
    out = []
    for i, item in enumerate(value):
        name = f"client_forwards[{i}]"
        if isinstance(item, (int, str)):
            item = {"guest": item}
        if not isinstance(item, dict) or set(item) - {"guest", "proto"}:
            raise SpecError(_field(host, name), f"{item!r}: give {{guest: PORT}} and optionally proto: tcp|udp")
        guest = _int(host, f"{name}.guest", item.get("guest"), 1, 65535)
        proto = item.get("proto", "tcp")
        if proto not in PROTOS:
            raise SpecError(_field(host, f"{name}.proto"), f"{proto!r} is not one of {', '.join(PROTOS)}")
        if guest == 22 and proto == "tcp":
            raise SpecError(_field(host, name), "SSH's port 22 is always forwarded; leave it out")
        out.append({"guest": guest, "proto": proto})
    if len(out) > PORTS_PER_CLIENT - 1:
        raise SpecError(_field(host, "client_forwards"), f"at most {PORTS_PER_CLIENT - 1} forwards per client")
    return out


def _hardware(host: str, value, recipe_vm: dict) -> dict:
    if value in (None, ""):
        value = {}
    if not isinstance(value, dict):
        raise SpecError(_field(host, "client_hardware"), "must be a mapping such as {memory: 192, vcpus: 1}")
    unknown = set(value) - set(HARDWARE_KEYS)
    if unknown:
        raise SpecError(_field(host, "client_hardware"), f"unknown key(s) {', '.join(sorted(unknown))}; "
                                                         f"use {', '.join(HARDWARE_KEYS)}")
    hardware = {k: recipe_vm[k] for k in ("arch", "machine", "cpu", "memory", "vcpus", "disk_size", "disk_bus",
                                          "cdrom_bus") if k in recipe_vm}
    hardware.update(DEFAULT_HARDWARE)
    if "memory" in value:
        hardware["memory"] = _int(host, "client_hardware.memory", value["memory"], 64, 65536)
    if "vcpus" in value:
        hardware["vcpus"] = _int(host, "client_hardware.vcpus", value["vcpus"], 1, 64)
    if "disk_size" in value:
        hardware["disk_size"] = str(value["disk_size"])
    return hardware


def client(host: str, hostvars: dict, fleet: dict, recipe_vm: dict, roles: set[str], state_dir: str) -> dict:
    """The plan of one client from its (templated) inventory variables."""
    if not HOSTNAME_RE.match(host):
        raise SpecError(_field(host, "inventory_hostname"), "a client's inventory name is its hostname: lower-case "
                                                            "letters, digits and inner hyphens, at most 63")
    role = hostvars.get("client_role")
    if not role:
        raise SpecError(_field(host, "client_role"), "is not set; put the host in a role group whose group_vars set "
                                                     f"client_role (one of: {', '.join(sorted(roles)) or 'none'})")
    if not isinstance(role, str) or not ROLE_RE.match(role) or role not in roles:
        raise SpecError(_field(host, "client_role"), f"{role!r} is not a role of roles/; use one of: "
                                                     f"{', '.join(sorted(roles))}")
    provision = hostvars.get("client_provision") or "clone"
    if provision not in PROVISION_METHODS:
        raise SpecError(_field(host, "client_provision"), f"{provision!r} is not one of "
                                                          f"{', '.join(PROVISION_METHODS)}")
    index = _int(host, "client_index", hostvars.get("client_index"), 1, fleet["max_index"])
    forwards = _forwards(host, hostvars.get("client_forwards"))
    ssh_port = fleet["port_base"] + PORTS_PER_CLIENT * index
    ports = [{"guest": 22, "host": ssh_port, "proto": "tcp"}]
    ports += [dict(fwd, host=ssh_port + 1 + i) for i, fwd in enumerate(forwards)]
    uri = hostvars.get("client_uri") or fleet["uri"]
    if not isinstance(uri, str):
        raise SpecError(_field(host, "client_uri"), f"{uri!r} is not a libvirt URI such as qemu:///system")
    return {
        "host": host, "hostname": host, "index": index, "role": role, "provision": provision, "uri": uri,
        "vm_name": f"{fleet['name']}-{host}", "disk_volume": f"{fleet['name']}-{host}.qcow2",
        "hardware": _hardware(host, hostvars.get("client_hardware"), recipe_vm),
        "ssh_port": ssh_port, "forwards": ports,
        "known_hosts": f"{state_dir}/fleet/{fleet['name']}/{host}.known_hosts",
        "metadata": {"pipeline": "clients", "fleet": fleet["name"], "role": role, "host": host,
                     "provision": provision},
    }


def plan(fleet_name, port_base, uri: str, clients: dict[str, dict], recipe_vm: dict, roles: set[str],
         state_dir: str) -> dict:
    """The whole fleet's plan; clients maps inventory host -> its variables. Ports and indexes are unique."""
    if not isinstance(fleet_name, str) or not FLEET_RE.match(fleet_name):
        raise SpecError("fleet_name", f"{fleet_name!r} is not a name (letters, digits, . _ -, at most 41); it "
                                      "prefixes every client's domain and disk")
    base = _int("fleet", "fleet_port_base", port_base, 1024, 65000)
    fleet = {"name": fleet_name, "port_base": base, "uri": uri,
             "max_index": (65535 - base) // PORTS_PER_CLIENT - 1}
    hosts, by_index = {}, {}
    for host in sorted(clients):
        entry = client(host, clients[host], fleet, recipe_vm, roles, state_dir)
        other = by_index.get((entry["uri"], entry["index"]))
        if other:
            raise SpecError(_field(host, "client_index"), f"{entry['index']} is also {other}'s; each client of a "
                                                          "hypervisor needs its own index (its ports follow from it)")
        by_index[(entry["uri"], entry["index"])] = host
        hosts[host] = entry
    return {"name": fleet_name, "port_base": base, "uri": uri, "hosts": hosts}


def udp_port(entry: dict, guest_port: int) -> int | None:
    """The 127.0.0.1 port of a client's UDP forward to ``guest_port`` (a log host's syslog), else None."""
    for fwd in entry["forwards"]:
        if fwd["guest"] == guest_port and fwd["proto"] == "udp":
            return fwd["host"]
    return None
