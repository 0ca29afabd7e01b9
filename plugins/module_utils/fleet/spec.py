# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fleet of client VMs from the inventory: validation of every client's variables into one plan. Pure.

The plan fixes, before any VM or disk is touched, what each client is: its domain name
(``<fleet>-<inventory host>``), its 127.0.0.1 ports (``port_base + 10 * index``: SSH, then each of its
forwards in order, so two clients never race for a port and a client keeps its ports from run to run), its
role, provisioning method, hardware, the files that are its own (known_hosts) and its hypervisor. Every error
names the host and the variable, and says what would be valid.

Placement on several hypervisors (the inventory group ``hypervisors``; each host has ``hypervisor_uri``,
``hypervisor_vcpus`` and ``hypervisor_memory`` in MiB), deterministic and documented in the README:
  1. clients that name a ``client_hypervisor`` go there, in ``client_index`` order;
  2. every other client, in ``client_index`` order, goes to the hypervisor that is least loaded once it holds
     the client (load: the larger of the fractions of vCPUs and memory in use), ties to the first by name;
  3. a client that fits on no hypervisor (or exceeds its named one) is an error that names the free capacity.
Without a ``hypervisors`` group every client is on the fleet's ``uri``, with no capacity limit.
"""

from __future__ import annotations

import re

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.hypervisor import jump_from_uri

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


def client(host: str, hostvars: dict, fleet: dict, recipe_vm: dict, roles: set[str], state_dir: str,
           role_required: bool = True) -> dict:
    """The plan of one client from its (templated) inventory variables. Without ``role_required`` (molecule's
    instances, whose scenario names the role) a client may leave ``client_role`` unset."""
    if not HOSTNAME_RE.match(host):
        raise SpecError(_field(host, "inventory_hostname"), "a client's inventory name is its hostname: lower-case "
                                                            "letters, digits and inner hyphens, at most 63")
    role = hostvars.get("client_role")
    if not role and not role_required:
        role = None
    elif not role:
        raise SpecError(_field(host, "client_role"), "is not set; put the host in a role group whose group_vars set "
                                                     f"client_role (one of: {', '.join(sorted(roles)) or 'none'})")
    elif not isinstance(role, str) or not ROLE_RE.match(role) or role not in roles:
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
    return {
        "host": host, "hostname": host, "index": index, "role": role, "provision": provision,
        "vm_name": f"{fleet['name']}-{host}", "disk_volume": f"{fleet['name']}-{host}.qcow2",
        "hardware": _hardware(host, hostvars.get("client_hardware"), recipe_vm),
        "ssh_port": ssh_port, "forwards": ports,
        "known_hosts": f"{state_dir}/fleet/{fleet['name']}/{host}.known_hosts",
        "metadata": {"pipeline": "clients", "fleet": fleet["name"], "role": role, "host": host,
                     "provision": provision},
    }


def hypervisors(raw: dict[str, dict], default_uri: str) -> dict[str, dict]:
    """The hypervisors group's hosts as {name: {name, uri, vcpus, memory, jump}}; without any, one ``local``
    hypervisor at ``default_uri`` with no capacity limit."""
    if not raw:
        return {"local": {"name": "local", "uri": default_uri, "vcpus": None, "memory": None,
                          "jump": jump_from_uri(default_uri, "uri")}}
    out = {}
    for name in sorted(raw):
        hv = raw[name] or {}
        uri = hv.get("hypervisor_uri")
        if not uri:
            raise SpecError(_field(name, "hypervisor_uri"), "is not set; give the libvirt URI of this hypervisor, "
                                                            "e.g. qemu:///system or qemu+ssh://user@host/system")
        out[name] = {"name": name, "uri": uri, "jump": jump_from_uri(uri, _field(name, "hypervisor_uri")),
                     "vcpus": _int(name, "hypervisor_vcpus", hv.get("hypervisor_vcpus"), 1, 4096),
                     "memory": _int(name, "hypervisor_memory", hv.get("hypervisor_memory"), 64, 1 << 24)}
    seen = {}
    for name, hv in out.items():
        if hv["uri"] in seen:
            raise SpecError(_field(name, "hypervisor_uri"), f"{hv['uri']} is also {seen[hv['uri']]}'s; each host "
                                                            "of the hypervisors group is one hypervisor")
        seen[hv["uri"]] = name
    return out


def _load(hv: dict, used: dict, extra: dict | None = None) -> float:
    extra = extra or {"vcpus": 0, "memory": 0}
    if hv["vcpus"] is None:
        return 0.0
    return max((used["vcpus"] + extra["vcpus"]) / hv["vcpus"], (used["memory"] + extra["memory"]) / hv["memory"])


def _free(hvs: dict, used: dict) -> str:
    return ", ".join(f"{n} {hv['vcpus'] - used[n]['vcpus']} vCPUs and {hv['memory'] - used[n]['memory']} MiB"
                     for n, hv in hvs.items())


def place(entries: dict[str, dict], wanted: dict[str, str | None], hvs: dict[str, dict]) -> dict[str, str]:
    """host -> hypervisor name, by the rule in this module's docstring."""
    used = {n: {"vcpus": 0, "memory": 0} for n in hvs}
    placed = {}
    order = sorted(entries, key=lambda h: (wanted.get(h) is None, entries[h]["index"], h))
    for host in order:
        need = {"vcpus": entries[host]["hardware"]["vcpus"], "memory": entries[host]["hardware"]["memory"]}
        name = wanted.get(host)
        if name is not None:
            if name not in hvs:
                raise SpecError(_field(host, "client_hypervisor"), f"{name!r} is not a host of the hypervisors "
                                                                   f"group; use one of: {', '.join(hvs)}")
            if _load(hvs[name], used[name], need) > 1:
                raise SpecError(_field(host, "client_hypervisor"), f"{name} has no room for {need['vcpus']} vCPUs "
                                                                   f"and {need['memory']} MiB; free: "
                                                                   f"{_free(hvs, used)}")
        else:
            fits = [n for n in hvs if _load(hvs[n], used[n], need) <= 1]
            if not fits:
                raise SpecError(_field(host, "client_hardware"), f"{need['vcpus']} vCPUs and {need['memory']} MiB "
                                                                 f"fit on no hypervisor; free: {_free(hvs, used)}. "
                                                                 "Add capacity or a hypervisor")
            name = min(fits, key=lambda n: (_load(hvs[n], used[n], need), n))
        used[name]["vcpus"] += need["vcpus"]
        used[name]["memory"] += need["memory"]
        placed[host] = name
    return placed


def plan(fleet_name, port_base, uri: str, clients: dict[str, dict], recipe_vm: dict, roles: set[str],
         state_dir: str, role_required: bool = True, hypervisor_vars: dict[str, dict] | None = None) -> dict:
    """The whole fleet's plan; clients maps inventory host -> its variables, hypervisor_vars the hypervisors
    group's hosts -> theirs. Ports and indexes are unique in the fleet (every hypervisor's forwards may share
    one loopback, as this machine's two do)."""
    if not isinstance(fleet_name, str) or not FLEET_RE.match(fleet_name):
        raise SpecError("fleet_name", f"{fleet_name!r} is not a name (letters, digits, . _ -, at most 41); it "
                                      "prefixes every client's domain and disk")
    base = _int("fleet", "fleet_port_base", port_base, 1024, 65000)
    fleet = {"name": fleet_name, "port_base": base, "uri": uri,
             "max_index": (65535 - base) // PORTS_PER_CLIENT - 1}
    hvs = hypervisors(hypervisor_vars or {}, uri)
    hosts, by_index = {}, {}
    for host in sorted(clients):
        if clients[host].get("client_uri"):
            raise SpecError(_field(host, "client_uri"), "is replaced by client_hypervisor: name a host of the "
                                                        "hypervisors group (whose hypervisor_uri is the URI)")
        entry = client(host, clients[host], fleet, recipe_vm, roles, state_dir, role_required)
        other = by_index.get(entry["index"])
        if other:
            raise SpecError(_field(host, "client_index"), f"{entry['index']} is also {other}'s; each client of the "
                                                          "fleet needs its own index (its ports follow from it)")
        by_index[entry["index"]] = host
        hosts[host] = entry
    wanted = {h: clients[h].get("client_hypervisor") or None for h in hosts}
    for host, name in place(hosts, wanted, hvs).items():
        hv = hvs[name]
        hosts[host].update(hypervisor=name, uri=hv["uri"], jump=hv["jump"])
        hosts[host]["metadata"]["hypervisor"] = name
    for name, hv in hvs.items():
        hv["clients"] = sorted((h for h in hosts if hosts[h]["hypervisor"] == name), key=lambda h: hosts[h]["index"])
    return {"name": fleet_name, "port_base": base, "uri": uri, "hosts": hosts, "hypervisors": hvs}


def udp_port(entry: dict, guest_port: int) -> int | None:
    """The 127.0.0.1 port of a client's UDP forward to ``guest_port`` (a log host's syslog), else None."""
    for fwd in entry["forwards"]:
        if fwd["guest"] == guest_port and fwd["proto"] == "udp":
            return fwd["host"]
    return None
