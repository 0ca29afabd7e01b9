"""The thin API layer against libvirt's own test:///default driver: real libvirt code, no VMs."""

from __future__ import annotations

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api, network, transform, waiters
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.spec import parse_vm_spec

URI = "test:///default"


@pytest.fixture
def conn():
    with api.connection(URI) as connection:
        yield connection


def test_define_start_stop_undefine(conn):
    spec = parse_vm_spec({"name": "bstest-api", "disks": [{"volume": "d.qcow2"}], "cdrom": "",
                          "boot": ["cdrom", "hd"], "metadata": {"recipe": "minifix"}}, "tcg")
    dom = api.define_domain(conn, transform.domain_xml(spec))
    try:
        xml = api.domain_xml(dom)
        assert transform.is_managed(xml)
        assert transform.canonical_domain(xml) == transform.canonical_domain(transform.domain_xml(spec))
        assert api.domain_state(dom) == "shutoff"
        api.start_domain(dom)
        assert waiters.wait_for_state(dom, ("running",), 5) == "running"
        api.destroy_domain(dom)
        api.destroy_domain(dom)  # stopping a stopped domain is not an error
        assert waiters.wait_for_state(dom, ("shutoff",), 5) == "shutoff"
    finally:
        api.undefine_domain(dom)
    assert api.lookup_domain(conn, "bstest-api") is None


def test_foreign_domain_is_not_managed(conn):
    assert not transform.is_managed(api.domain_xml(api.lookup_domain(conn, "test")))


def test_volumes_create_and_delete(conn):
    pool = api.lookup_pool(conn, "default-pool")
    vol = api.create_volume(pool, api.volume_xml("bstest-vol.img", 4096, "raw"))
    try:
        facts = api.volume_facts(vol)
        assert (facts["name"], facts["capacity"], facts["format"]) == ("bstest-vol.img", 4096, "raw")
        assert api.lookup_volume(pool, "bstest-vol.img") is not None
    finally:
        api.delete_volume(vol)
    assert api.lookup_volume(pool, "bstest-vol.img") is None


def test_isolated_network_has_no_host_address(conn):
    xml = network.network_xml("bstest-lan")
    net = api.define_network(conn, xml)
    try:
        api.start_network(net)
        facts = network.network_facts(net.XMLDesc(0))
        assert facts["host_addresses"] == [] and facts["forward"] is None and facts["managed"]
        assert facts["bridge"] == network.bridge_name("bstest-lan") and len(facts["bridge"]) <= 15
    finally:
        api.remove_network(net)
    assert api.lookup_network(conn, "bstest-lan") is None


def test_unreachable_uri_names_the_field():
    with pytest.raises(SpecError, match=r"^uri: cannot connect to 'qemu\+unix:///system\?socket=/nonexistent'"):
        api.open_connection("qemu+unix:///system?socket=/nonexistent")


@pytest.mark.parametrize("uri, local", [
    ("qemu:///system", True), ("test:///default", True), ("qemu+ssh://root@hv1/system", False),
    ("qemu+tcp://127.0.0.1/system", False),
])
def test_local_uris(uri, local):
    assert api.is_local(uri) is local
