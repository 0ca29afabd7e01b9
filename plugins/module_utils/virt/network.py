# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``vm_network`` module's logic: isolated guest-only libvirt networks.

The network has no <ip> and no <forward>: the host gets no address on it, so no host traffic can reach a
private-range address through it. Guests give themselves addresses (static, or a DHCP server in a guest).
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import NotManagedError, SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.spec import check_name, stable_uuid

BRIDGE_PREFIX = "bsbr-"


def bridge_name(name: str) -> str:
    """Linux bridge names are at most 15 characters: a stable hash of the network's name."""
    return BRIDGE_PREFIX + hashlib.sha256(name.encode()).hexdigest()[:8]


def network_xml(name: str, mtu: int | None = None) -> str:
    root = ET.Element("network")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "uuid").text = stable_uuid("network/" + name)
    ET.SubElement(root, "bridge", name=bridge_name(name), stp="on", delay="0")
    if mtu:
        ET.SubElement(root, "mtu", size=str(mtu))
    return ET.tostring(root, encoding="unicode")


def network_facts(xml: str) -> dict:
    root = ET.fromstring(xml)
    bridge = root.find("bridge")
    mtu = root.find("mtu")
    return {"name": root.findtext("name"), "bridge": bridge.get("name") if bridge is not None else None,
            "mtu": int(mtu.get("size")) if mtu is not None else None,
            "forward": root.find("forward").get("mode") if root.find("forward") is not None else None,
            "host_addresses": [ip.get("address") for ip in root.findall("ip")],
            # Buildstrap's networks carry a UUID derived from their name; every driver keeps the UUID.
            "managed": root.findtext("uuid") == stable_uuid("network/" + (root.findtext("name") or ""))}


def ensure(params: dict, check_mode: bool = False) -> dict:
    name = check_name(params.get("name"), "name")
    state = params.get("state") or "present"
    if state not in ("present", "absent"):
        raise SpecError("state", f"{state!r} is not valid; use present or absent")
    mtu = params.get("mtu")
    if mtu is not None and not 576 <= int(mtu) <= 65535:
        raise SpecError("mtu", f"{mtu} is out of range; use 576-65535")
    result = {"changed": False, "name": name, "actions": []}
    with api.connection(params.get("uri") or api.DEFAULT_URI) as conn:
        net = api.lookup_network(conn, name)
        current = network_facts(api.network_definition(net)) if net is not None else None
        if current is not None and not current["managed"]:
            raise NotManagedError(f"name: a libvirt network called {name!r} exists and was not created by "
                                  "Buildstrap; choose another name")
        if state == "absent":
            if net is not None:
                result.update(changed=True, actions=["destroy and undefine"])
                if not check_mode:
                    api.remove_network(net)
            return result
        wanted_xml = network_xml(name, mtu)
        wanted = network_facts(wanted_xml)
        if current != wanted:
            result["changed"] = True
            result["actions"].append("define" if net is None else "redefine")
            result["diff"] = {"before": "" if current is None else _text(current), "after": _text(wanted)}
            if not check_mode:
                if net is not None:
                    api.remove_network(net)
                net = api.define_network(conn, wanted_xml)
        if net is not None and not api.network_is_active(net):
            result["changed"] = True
            result["actions"].append("start")
            if not check_mode:
                api.start_network(net, autostart=True)
        result["network"] = wanted
        return result


def _text(facts: dict) -> str:
    return "".join(f"{k}: {facts[k]}\n" for k in sorted(facts))
