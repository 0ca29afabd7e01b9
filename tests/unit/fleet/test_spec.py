"""The fleet's plan from inventory variables (pure): names, deterministic ports, and errors naming host and field."""

from __future__ import annotations

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.fleet import spec

VM = {"arch": "i686", "machine": "pc", "cpu": "kvm32", "memory": 384, "vcpus": 1, "disk_size": "2G",
      "disk_bus": "virtio", "cdrom_bus": "ide", "forwards": [80]}
ROLES = {"role_web", "role_ldap", "role_log"}


def clients(**over):
    base = {"web1": {"client_role": "role_web", "client_index": 1, "client_forwards": [{"guest": 80}]},
            "log1": {"client_role": "role_log", "client_index": 4,
                     "client_forwards": [{"guest": 514, "proto": "udp"}]}}
    for host, values in over.items():
        base.setdefault(host, {}).update(values)
    return base


def plan(cl=None, **kw):
    args = dict(fleet_name="fleet", port_base=22300, uri="qemu:///system", clients=cl or clients(),
                recipe_vm=VM, roles=ROLES, state_dir="/s")
    args.update(kw)
    return spec.plan(**args)


def test_names_ports_and_hardware_follow_from_the_inventory():
    p = plan()
    web = p["hosts"]["web1"]
    assert web["vm_name"] == "fleet-web1" and web["disk_volume"] == "fleet-web1.qcow2"
    assert web["forwards"] == [{"guest": 22, "host": 22310, "proto": "tcp"}, {"guest": 80, "host": 22311, "proto": "tcp"}]
    assert web["hardware"]["memory"] == 192 and web["hardware"]["arch"] == "i686"
    assert web["known_hosts"] == "/s/fleet/fleet/web1.known_hosts" and web["provision"] == "clone"
    assert web["metadata"] == {"pipeline": "clients", "fleet": "fleet", "role": "role_web", "host": "web1",
                               "provision": "clone"}
    assert spec.udp_port(p["hosts"]["log1"], 514) == 22341 and spec.udp_port(web, 514) is None


def test_hardware_override():
    p = plan(clients(web1={"client_hardware": {"memory": 256, "vcpus": 2}}))
    assert p["hosts"]["web1"]["hardware"]["memory"] == 256 and p["hosts"]["web1"]["hardware"]["vcpus"] == 2


@pytest.mark.parametrize("over, field, words", [
    ({"web1": {"client_role": None}}, "web1: client_role", "is not set"),
    ({"web1": {"client_role": "role_db"}}, "web1: client_role", "role_ldap, role_log, role_web"),
    ({"web1": {"client_provision": "pxe"}}, "web1: client_provision", "clone, install"),
    ({"web1": {"client_index": None}}, "web1: client_index", "whole number"),
    ({"web1": {"client_index": 0}}, "web1: client_index", "out of range"),
    ({"log1": {"client_index": 1}}, "web1: client_index", "also log1's"),
    ({"web1": {"client_forwards": [{"guest": 22}]}}, "web1: client_forwards[0]", "always forwarded"),
    ({"web1": {"client_forwards": [{"guest": 80, "proto": "sctp"}]}}, "web1: client_forwards[0].proto", "tcp, udp"),
    ({"web1": {"client_forwards": "80"}}, "web1: client_forwards", "must be a list"),
    ({"web1": {"client_hardware": {"ram": 1}}}, "web1: client_hardware", "unknown key"),
    ({"web1": {"client_hardware": {"memory": 8}}}, "web1: client_hardware.memory", "out of range"),
    ({"Web_1": {"client_role": "role_web", "client_index": 5}}, "Web_1: inventory_hostname", "lower-case"),
])
def test_bad_client_variables_name_host_and_field(over, field, words):
    with pytest.raises(SpecError) as err:
        plan(clients(**over))
    assert err.value.field == field and words in str(err.value), str(err.value)


@pytest.mark.parametrize("kw, field", [
    ({"fleet_name": "a b"}, "fleet_name"), ({"port_base": 80}, "fleet: fleet_port_base"),
    ({"port_base": "x"}, "fleet: fleet_port_base"),
])
def test_bad_fleet_settings(kw, field):
    with pytest.raises(SpecError) as err:
        plan(**kw)
    assert err.value.field == field
