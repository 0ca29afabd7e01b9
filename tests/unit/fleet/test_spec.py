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
                               "provision": "clone", "hypervisor": "local"}
    # no hypervisors group: one local hypervisor at the fleet's URI, no capacity limit, no jump
    assert (web["hypervisor"], web["uri"], web["jump"]) == ("local", "qemu:///system", None)
    assert p["hypervisors"]["local"]["clients"] == ["web1", "log1"]
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


SESSION = "qemu+ssh://buildstrap-hv@127.0.0.1:2222/session?keyfile=/root/.ssh/buildstrap-hv"
HVS = {"local": {"hypervisor_uri": "qemu:///system", "hypervisor_vcpus": 4, "hypervisor_memory": 2048},
       "hv2": {"hypervisor_uri": SESSION, "hypervisor_vcpus": 4, "hypervisor_memory": 2048}}


def four(**over):
    cl = clients(web2={"client_role": "role_web", "client_index": 2},
                 ldap1={"client_role": "role_ldap", "client_index": 3})
    for host, values in over.items():
        cl[host].update(values)
    return cl


def test_placement_spreads_by_load_in_index_order_ties_to_the_first_name():
    p = plan(four(), hypervisor_vars=HVS)
    where = {h: e["hypervisor"] for h, e in p["hosts"].items()}
    # web1 (1): tie -> hv2 (first by name); web2 (2) -> local; ldap1 (3) -> hv2; log1 (4) -> local
    assert where == {"web1": "hv2", "web2": "local", "ldap1": "hv2", "log1": "local"}
    assert p["hypervisors"]["hv2"]["clients"] == ["web1", "ldap1"]
    web1 = p["hosts"]["web1"]
    assert web1["uri"] == SESSION and web1["metadata"]["hypervisor"] == "hv2"
    assert web1["jump"] == {"host": "127.0.0.1", "port": 2222, "user": "buildstrap-hv",
                            "key_file": "/root/.ssh/buildstrap-hv"}
    assert p["hosts"]["web2"]["jump"] is None
    # ports stay unique across hypervisors (both may share one loopback)
    ports = [f["host"] for e in p["hosts"].values() for f in e["forwards"]]
    assert len(ports) == len(set(ports))
    assert plan(four(), hypervisor_vars=HVS) == p  # deterministic


def test_placement_by_load_fraction_and_override():
    small = dict(HVS, local=dict(HVS["local"], hypervisor_memory=512))
    # local holds 2 clients of 192 MiB (75 %) before hv2 (4 x 192 of 2048) gets a third
    where = {h: e["hypervisor"] for h, e in plan(four(), hypervisor_vars=small)["hosts"].items()}
    assert sorted(where.values()).count("hv2") == 3
    pinned = plan(four(web1={"client_hypervisor": "local"}, web2={"client_hypervisor": "local"}),
                  hypervisor_vars=HVS)["hosts"]
    # pinned clients are placed first; the others then balance the load
    assert [pinned[h]["hypervisor"] for h in ("web1", "web2", "ldap1", "log1")] == ["local", "local", "hv2", "hv2"]


@pytest.mark.parametrize("over, hvs, field, words", [
    ({"web1": {"client_hypervisor": "hv9"}}, HVS, "web1: client_hypervisor", "hv2, local"),
    ({"web1": {"client_uri": "qemu:///system"}}, HVS, "web1: client_uri", "client_hypervisor"),
    ({"web1": {"client_hardware": {"memory": 4096}}}, HVS, "web1: client_hardware", "fit on no hypervisor"),
    ({"web1": {"client_hypervisor": "local", "client_hardware": {"vcpus": 8}}}, HVS, "web1: client_hypervisor",
     "no room"),
    ({}, {"hv2": {"hypervisor_uri": None}}, "hv2: hypervisor_uri", "is not set"),
    ({}, {"hv2": dict(HVS["hv2"], hypervisor_memory="lots")}, "hv2: hypervisor_memory", "whole number"),
    ({}, {"hv2": dict(HVS["hv2"], hypervisor_uri="qemu+tcp://host/system")}, "hv2: hypervisor_uri", "qemu+ssh"),
    ({}, {"a": HVS["local"], "b": HVS["local"]}, "b: hypervisor_uri", "also a's"),
])
def test_bad_placement_names_host_and_field(over, hvs, field, words):
    with pytest.raises(SpecError) as err:
        plan(four(**over), hypervisor_vars=hvs)
    assert err.value.field == field and words in str(err.value)
