"""The libvirt inventory plugin as users run it (ansible-inventory --list), against libvirt itself.

libvirt's test driver keeps Buildstrap's metadata but drops the qemu:commandline that carries the port forwards,
so the forwards are tested on qemu:///system with domains that are defined, never started.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api, transform
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.spec import parse_vm_spec
from tests.conftest import ROOT, RUN_ID, ansible_env

TEST_NS = "http://libvirt.org/schemas/domain/test/1.0"
SHUTOFF = 5
META = {"pipeline": "bsinv", "recipe": "aloofix-0.9", "stage": "native", "known_hosts": "/s/known_hosts",
        "private_key": "/s/id_rsa", "ssh_profile": "dropbear-2013"}


def listing(tmp_path, config: dict, *extra) -> tuple[dict, str]:
    """``ansible-inventory -i <tmp>/x.libvirt.yml --list``: (the listing with unsafe wrappers removed, stderr)."""
    path = tmp_path / "x.libvirt.yml"
    path.write_text(yaml.safe_dump(dict({"plugin": "aloofix.buildstrap.libvirt"}, **config)))
    env = dict(ansible_env(), ANSIBLE_INVENTORY_UNPARSED_FAILED="1")
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(path), "--list", *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    # Values from inventory plugins are marked unsafe (never templated); ansible-inventory shows that wrapper.
    return json.loads(proc.stdout, object_hook=lambda d: d.get("__ansible_unsafe", d)
                      if set(d) == {"__ansible_unsafe"} else d), proc.stderr


def failing_listing(tmp_path, config: dict) -> str:
    path = tmp_path / "x.libvirt.yml"
    path.write_text(yaml.safe_dump(dict({"plugin": "aloofix.buildstrap.libvirt"}, **config)))
    env = dict(ansible_env(), ANSIBLE_INVENTORY_UNPARSED_FAILED="1")
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(path), "--list"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode != 0, proc.stdout
    return proc.stdout + proc.stderr


def members(listed: dict, group: str) -> list[str]:
    return sorted(listed.get(group, {}).get("hosts", []))


def spec_xml(name: str, metadata: dict, forwards=({"guest": 22, "host": "auto"},)) -> str:
    """Domain XML through the vm module's own spec and transform (ports as the vm module would fill them)."""
    spec = parse_vm_spec({"name": name, "boot": ["network"], "memory": 32, "metadata": metadata,
                          "nics": [{"type": "user", "forwards": list(forwards)}]}, "tcg")
    ports = {(0, f.guest_port, f.proto): 20000 + i for i, f in enumerate(spec.nics[0].forwards)}
    return transform.domain_xml(transform.with_host_ports(spec, ports))


def node_file(path: Path, domains: list[tuple[str, int | None]]) -> str:
    """A test:/// driver whose domains are ``domains`` ([(xml, virDomainState or None for running)])."""
    node = ET.Element("node")
    for xml, state in domains:
        dom = ET.fromstring(xml)
        if state is not None:
            ET.SubElement(dom, f"{{{TEST_NS}}}runstate").text = str(state)
        node.append(dom)
    path.write_text(ET.tostring(node, encoding="unicode"))
    return f"test://{path}"


@pytest.fixture
def testdriver(tmp_path):
    """Three domains on a test:/// driver: a running guest, a stopped client VM, a domain not Buildstrap's."""
    path = tmp_path / "node.xml"
    guest = spec_xml("bstest-guest", META)
    client = spec_xml("bstest-client", {"pipeline": "clients", "host": "web-1.example", "role": "web",
                                        "fleet": "eu-west", "ssh_user": "admin", "known_hosts": "/c/known_hosts"})
    foreign = "<domain type='test'><name>not-ours</name><memory>65536</memory><os><type>hvm</type></os></domain>"
    return {"path": path, "guest": guest, "client": client, "foreign": foreign,
            "uri": node_file(path, [(guest, None), (client, SHUTOFF), (foreign, None)])}


def test_the_test_driver_keeps_metadata_but_not_the_forwards():
    with api.connection("test:///default") as conn:
        dom = api.define_domain(conn, spec_xml("bstest-inv-probe", META))
        try:
            xml = api.domain_xml(dom)
        finally:
            api.undefine_domain(dom)
    assert transform.domain_facts(xml)["metadata"] == META
    assert "hostfwd" not in xml  # hence the qemu:///system tests below


def test_vars_groups_and_constructed(tmp_path, testdriver):
    listed, stderr = listing(tmp_path, {
        "uri": testdriver["uri"],
        "keyed_groups": [{"key": "buildstrap_metadata.recipe", "prefix": "distro"}],
        "groups": {"stopped": "buildstrap_state == 'shut off'"},
        "compose": {"where": "buildstrap_uri ~ '/' ~ buildstrap_domain"},
    })
    hostvars = listed["_meta"]["hostvars"]
    assert sorted(hostvars) == ["bstest-guest", "web-1.example"]  # not-ours has no Buildstrap metadata
    assert members(listed, "buildstrap") == ["bstest-guest", "web-1.example"]
    assert members(listed, "buildstrap_running") == ["bstest-guest"]
    assert members(listed, "buildstrap_bsinv") == ["bstest-guest"]
    assert members(listed, "recipe_aloofix_0_9") == ["bstest-guest"]
    assert members(listed, "stage_native") == ["bstest-guest"]
    assert members(listed, "buildstrap_clients") == members(listed, "role_web") == ["web-1.example"]
    assert members(listed, "fleet_eu_west") == ["web-1.example"]
    assert members(listed, "distro_aloofix_0_9") == ["bstest-guest"]
    assert members(listed, "stopped") == ["web-1.example"]
    guest, client = hostvars["bstest-guest"], hostvars["web-1.example"]
    assert guest["where"] == testdriver["uri"] + "/bstest-guest"
    assert {k: guest[k] for k in ("ansible_host", "ansible_user", "ansible_connection", "ansible_ssh_private_key_file",
                                  "ansible_python_interpreter", "buildstrap_uri", "buildstrap_domain",
                                  "buildstrap_state", "buildstrap_known_hosts", "buildstrap_ssh_profile")} == {
        "ansible_host": "127.0.0.1", "ansible_user": "root", "ansible_connection": "ssh",
        "ansible_ssh_private_key_file": "/s/id_rsa", "ansible_python_interpreter": "/nonexistent/guests-have-no-python",
        "buildstrap_uri": testdriver["uri"], "buildstrap_domain": "bstest-guest", "buildstrap_state": "running",
        "buildstrap_known_hosts": "/s/known_hosts", "buildstrap_ssh_profile": "dropbear-2013"}
    assert guest["buildstrap_metadata"] == META
    assert guest["ansible_ssh_common_args"].startswith(
        "-o UserKnownHostsFile=/s/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes "
        "-o ControlMaster=no -o ControlPath=none -o KexAlgorithms=+")
    assert (client["buildstrap_domain"], client["buildstrap_state"], client["ansible_user"]) == \
        ("bstest-client", "shut off", "admin")
    # The test driver drops the forwards: no port, and a warning that says so.
    assert "ansible_port" not in guest and guest["buildstrap_forwards"] == []
    assert "domain bstest-guest on test://" in stderr and "it gets no ansible_port" in stderr


def test_pipelines_and_running_only(tmp_path, testdriver):
    listed, _unused = listing(tmp_path, {"uri": [testdriver["uri"]], "pipelines": ["clients"]})
    assert sorted(listed["_meta"]["hostvars"]) == ["web-1.example"]
    listed, _unused = listing(tmp_path, {"uri": testdriver["uri"], "running_only": True})
    assert sorted(listed["_meta"]["hostvars"]) == ["bstest-guest"]


def test_a_uri_that_cannot_be_opened(tmp_path, testdriver):
    missing = f"test://{tmp_path}/missing.xml"
    listed, stderr = listing(tmp_path, {"uri": [missing, testdriver["uri"]]})
    assert sorted(listed["_meta"]["hostvars"]) == ["bstest-guest", "web-1.example"]
    assert f"cannot list the domains of {missing}" in stderr
    output = failing_listing(tmp_path, {"uri": [missing, testdriver["uri"]], "strict": True})
    assert f"cannot list the domains of {missing}" in output and "Traceback" not in output


def test_the_cache_serves_until_flushed(tmp_path, testdriver):
    config = {"uri": testdriver["uri"], "cache": True, "cache_plugin": "ansible.builtin.jsonfile",
              "cache_connection": str(tmp_path / "cache"), "cache_timeout": 3600}
    first, _unused = listing(tmp_path, config)
    assert sorted(first["_meta"]["hostvars"]) == ["bstest-guest", "web-1.example"]
    node_file(testdriver["path"], [(testdriver["guest"], None)])  # the client VM is gone from the hypervisor
    cached, _unused = listing(tmp_path, config)
    assert cached["_meta"]["hostvars"] == first["_meta"]["hostvars"]
    flushed, _unused = listing(tmp_path, config, "--flush-cache")
    assert sorted(flushed["_meta"]["hostvars"]) == ["bstest-guest"]
    again, _unused = listing(tmp_path, config)
    assert sorted(again["_meta"]["hostvars"]) == ["bstest-guest"]


# qemu:///system: domains defined (never started) with the test prefix, removed afterwards ------------------

@pytest.fixture
def system_domains(module):
    """A guest defined by the vm module with an automatic SSH forward, and one whose forward was edited to listen
    on every interface (the vm module refuses that; the inventory must too)."""
    try:
        with api.connection("qemu:///system"):
            pass
    except SpecError as exc:
        pytest.skip(f"qemu:///system is not available: {exc}")
    pipeline = f"{RUN_ID}-inv"
    guest, lan = f"{RUN_ID}-inv-guest", f"{RUN_ID}-inv-lan"
    try:
        defined = module("vm", {"name": guest, "state": "present", "accel": "tcg", "memory": 32, "boot": ["network"],
                                "nics": [{"type": "user", "forwards": [{"guest": 22}, {"guest": 80}]}],
                                "metadata": dict(META, pipeline=pipeline, host=f"{RUN_ID}-client")})
        assert not defined.failed, defined.result
        lan_xml = spec_xml(lan, dict(META, pipeline=pipeline)).replace("hostfwd=tcp:127.0.0.1:", "hostfwd=tcp::")
        with api.connection("qemu:///system") as conn:
            api.define_domain(conn, lan_xml)
        yield {"pipeline": pipeline, "guest": guest, "lan": lan, "ports": defined["ports"]}
    finally:
        with api.connection("qemu:///system") as conn:
            for name in (guest, lan):
                dom = api.lookup_domain(conn, name)
                if dom is not None:
                    api.undefine_domain(dom)


def test_forwards_on_the_system_hypervisor(tmp_path, system_domains):
    listed, stderr = listing(tmp_path, {"uri": "qemu:///system", "pipelines": [system_domains["pipeline"]]})
    hostvars = listed["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted([f"{RUN_ID}-client", system_domains["lan"]])
    guest = hostvars[f"{RUN_ID}-client"]
    ports = system_domains["ports"]
    assert guest["ansible_host"] == "127.0.0.1" and guest["ansible_port"] == ports["tcp/22"]
    assert guest["buildstrap_forwards"] == [{"guest": 22, "host": ports["tcp/22"], "proto": "tcp"},
                                            {"guest": 80, "host": ports["tcp/80"], "proto": "tcp"}]
    assert (guest["buildstrap_domain"], guest["buildstrap_state"]) == (system_domains["guest"], "shut off")
    assert members(listed, "buildstrap_running") == []
    # Never a non-loopback address: the forward on every interface is refused, with a warning naming the domain.
    lan = hostvars[system_domains["lan"]]
    assert "ansible_port" not in lan and lan["buildstrap_forwards"] == [] and lan["ansible_host"] == "127.0.0.1"
    assert f"domain {system_domains['lan']} on qemu:///system forwards ports on addresses other than 127.0.0.1" \
        in " ".join(stderr.split())
