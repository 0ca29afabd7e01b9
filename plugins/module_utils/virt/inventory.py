# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure transforms for the ``libvirt`` inventory plugin: a Buildstrap domain's XML -> an SSH-ready inventory host.

No libvirt and no I/O: the plugin lists the domains and hands each one's name, state and XML to
``domain_record()``, then ``inventory_host()`` turns that record (also what the plugin caches) into the host's
name, variables, groups and warnings. Guests are reached only through a QEMU user-network forward on 127.0.0.1
with a pinned known_hosts file; nothing here ever yields another address or turns host key checking off.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import profiles
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.hypervisor import jump_from_uri, openssh_jump_args
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.transform import META_NS, QEMU_NS

LOOPBACK = "127.0.0.1"
NO_PYTHON = "/nonexistent/guests-have-no-python"
# virDomainState numbers, named as `virsh list` names them (what a user compares against).
STATE_NAMES = {0: "no state", 1: "running", 2: "idle", 3: "paused", 4: "in shutdown", 5: "shut off",
               6: "crashed", 7: "pmsuspended"}
# States in which the guest's QEMU process, and so its forwards, are up.
RUNNING_STATES = ("running", "idle")
# Metadata keys that put a host into a group of their own: key -> group name prefix.
GROUP_KEYS = (("pipeline", "buildstrap_"), ("recipe", "recipe_"), ("stage", "stage_"), ("role", "role_"),
              ("fleet", "fleet_"))
# QEMU's hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport. An empty hostaddr means every interface.
# Parsed here rather than with transform's stricter reader, which skips what Buildstrap would not write and so
# could not tell a forward open to the LAN from no forward at all.
_HOSTFWD_RE = re.compile(r"^(tcp|udp)?:([^:]*):(\d+)-[^:]*:(\d+)$")
_GROUP_CHARS_RE = re.compile(r"[^A-Za-z0-9_]")


def state_name(code: int) -> str:
    return STATE_NAMES.get(code, "unknown")


def group_name(prefix: str, value: str) -> str:
    """A valid Ansible group name: every character but letters, digits and '_' becomes '_'."""
    return _GROUP_CHARS_RE.sub("_", f"{prefix}{value}")


def hostfwds(xml: str) -> list[dict]:
    """Every QEMU user-network forward in the domain's qemu:commandline: [{proto, host_addr, host, guest}]."""
    root = ET.fromstring(xml)
    forwards = []
    for arg in root.findall(f"{{{QEMU_NS}}}commandline/{{{QEMU_NS}}}arg"):
        for option in (arg.get("value") or "").split(","):
            if not option.startswith("hostfwd="):
                continue
            match = _HOSTFWD_RE.match(option[len("hostfwd="):])
            if match:
                forwards.append({"proto": match.group(1) or "tcp", "host_addr": match.group(2) or "0.0.0.0",
                                 "host": int(match.group(3)), "guest": int(match.group(4))})
    return forwards


def buildstrap_metadata(xml: str) -> dict[str, str] | None:
    """The domain's Buildstrap metadata, or None when Buildstrap did not create it."""
    meta = ET.fromstring(xml).find(f"metadata/{{{META_NS}}}vm")
    if meta is None:
        return None
    return {child.tag.split("}", 1)[1]: (child.text or "").strip() for child in meta}


def domain_record(name: str, state_code: int, xml: str) -> dict | None:
    """What the inventory keeps of a domain (JSON-safe, so it can be cached), or None for a foreign domain."""
    metadata = buildstrap_metadata(xml)
    if metadata is None:
        return None
    return {"domain": name, "state": state_name(state_code), "metadata": metadata, "forwards": hostfwds(xml)}


def ssh_common_args(known_hosts: str | None, ssh_profile: str | None, jump: dict | None = None) -> str:
    """OpenSSH options as guest_vm's add_host writes them: pinned known_hosts (when known), strict host key
    checking always, only the given key, no shared master connection, then the profile's algorithms, and for a
    guest of a remote hypervisor the jump through it (virt/hypervisor.py)."""
    pinned = f"-o UserKnownHostsFile={known_hosts} " if known_hosts else ""
    return (f"{pinned}-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o ControlMaster=no -o ControlPath=none "
            + profiles.openssh_args(ssh_profile) + " " + openssh_jump_args(jump)).strip()


def inventory_host(record: dict, uri: str) -> dict:
    """{name, vars, groups, warnings} of one domain record from ``uri``."""
    domain, metadata = record["domain"], record["metadata"]
    warnings = []
    name = metadata.get("host") or domain
    ssh_profile = metadata.get("ssh_profile") or profiles.MODERN
    known_hosts = metadata.get("known_hosts") or None
    try:
        profiles.profile(ssh_profile, "ssh_profile")
    except SpecError as exc:
        warnings.append(f"domain {domain} on {uri}: metadata {exc}; its SSH connection gets no legacy algorithms")
        ssh_profile = profiles.MODERN
    loopback = [f for f in record["forwards"] if f["host_addr"] == LOOPBACK]
    elsewhere = [f for f in record["forwards"] if f["host_addr"] != LOOPBACK]
    ssh_port = next((f["host"] for f in loopback if f["proto"] == "tcp" and f["guest"] == 22), None)
    no_port = "; it gets no ansible_port" if ssh_port is None else ""
    if elsewhere:
        listed = ", ".join(f"{f['proto']}:{f['host_addr']}:{f['host']}->{f['guest']}" for f in elsewhere)
        warnings.append(f"domain {domain} on {uri} forwards ports on addresses other than {LOOPBACK} ({listed}): "
                        f"refused, guests are reached only through {LOOPBACK}{no_port}")
    elif no_port:
        warnings.append(f"domain {domain} on {uri} has no SSH forward (tcp guest port 22) on {LOOPBACK}{no_port}")
    try:
        jump = jump_from_uri(uri)
    except SpecError as exc:
        warnings.append(f"domain {domain} on {uri}: {exc}; it gets no ansible_port")
        jump, ssh_port = None, None
    if known_hosts is None:
        warnings.append(f"domain {domain} on {uri} has no known_hosts in its metadata; its host key is checked "
                        "against your own known_hosts files (StrictHostKeyChecking=yes still)")
    hostvars = {
        "ansible_host": LOOPBACK,
        "ansible_user": metadata.get("ssh_user") or "root",
        "ansible_connection": "ssh",
        "ansible_ssh_common_args": ssh_common_args(known_hosts, ssh_profile, jump),
        "ansible_python_interpreter": NO_PYTHON,
        "buildstrap_known_hosts": known_hosts,
        "buildstrap_ssh_profile": metadata.get("ssh_profile") or profiles.MODERN,
        "buildstrap_uri": uri,
        "buildstrap_domain": domain,
        "buildstrap_state": record["state"],
        "buildstrap_metadata": dict(metadata),
        "buildstrap_forwards": [{"guest": f["guest"], "host": f["host"], "proto": f["proto"]} for f in loopback],
    }
    if ssh_port is not None:
        hostvars["ansible_port"] = ssh_port
    if metadata.get("private_key"):
        hostvars["ansible_ssh_private_key_file"] = metadata["private_key"]
    groups = ["buildstrap"]
    for key, prefix in GROUP_KEYS:
        if metadata.get(key):
            groups.append(group_name(prefix, metadata[key]))
    if record["state"] in RUNNING_STATES:
        groups.append("buildstrap_running")
    return {"name": name, "vars": hostvars, "groups": groups, "warnings": warnings}
