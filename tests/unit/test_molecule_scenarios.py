"""The molecule scenarios (extensions/molecule/) can run at the same time: each has its own fleet name and a block
of 127.0.0.1 ports of its own (the table in inventory/group_vars/all/scenarios.yml), every component role and
profile has one, and none of them turns host key checking off."""

from __future__ import annotations

import re

import pytest
import yaml

from ansible_collections.aloofix.buildstrap.plugins.module_utils.fleet import spec
from tests.conftest import ROOT, TEST_PREFIX

MOLECULE = ROOT / "extensions" / "molecule"
SCENARIOS = sorted(p.parent.name for p in MOLECULE.glob("*/molecule.yml"))
TABLE = yaml.safe_load((MOLECULE / "inventory" / "group_vars" / "all" / "scenarios.yml").read_text())
PORTS = TABLE["molecule_port_bases"]
BLOCK = 100  # each scenario's ports are port_base .. port_base + 99
COMPONENTS = ("feed_client", "packages", "service", "users_groups", "files", "ntp", "syslog", "web", "ldap_server",
              "database")
PROFILES = ("profile_base", "profile_webserver", "profile_directory", "profile_loghost")
# The longest prefix a test session gives (tests/conftest.py RUN_ID: the prefix and a pid up to 2^22).
LONGEST_PREFIX = f"{TEST_PREFIX}4194304-mol"
VM = {"arch": "i686", "machine": "pc", "memory": 384, "vcpus": 1, "disk_size": "2G", "forwards": [80]}


def _hosts(scenario: str) -> dict[str, dict]:
    inventory = yaml.safe_load((MOLECULE / scenario / "inventory" / "hosts.yml").read_text())
    return {host: dict(values or {}) for host, values in inventory["molecule_instances"]["hosts"].items()}


def _plan(scenario: str, prefix: str = "mol") -> dict:
    fleet = f"{prefix}-{scenario.replace('_', '-')}"
    return spec.plan(fleet, PORTS[scenario], "qemu:///system", _hosts(scenario), VM, set(), "/state",
                     role_required=False)


def _ports(plan: dict) -> set[int]:
    return {port for host in plan["hosts"].values()
            for port in [host["ssh_port"], *(f["host"] for f in host["forwards"])]}


def test_every_component_role_and_profile_has_a_scenario():
    assert set(SCENARIOS) == set(COMPONENTS) | set(PROFILES)


def test_the_port_table_has_exactly_the_scenarios():
    assert sorted(PORTS) == SCENARIOS


def test_port_blocks_never_overlap():
    bases = sorted(PORTS.values())
    assert len(bases) == len(set(bases)), PORTS
    assert all(base % BLOCK == 0 and 1024 < base and base + BLOCK <= 65536 for base in bases), PORTS
    assert all(b - a >= BLOCK for a, b in zip(bases, bases[1:])), "port blocks overlap"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_scenario_plans_within_its_own_block(scenario):
    plan = _plan(scenario)
    ports = _ports(plan)
    assert ports and all(PORTS[scenario] <= port < PORTS[scenario] + BLOCK for port in ports), (scenario, ports)
    assert all(host["metadata"]["role"] is None for host in plan["hosts"].values())


def test_no_two_scenarios_share_a_port_or_a_vm_name():
    ports, names = {}, {}
    for scenario in SCENARIOS:
        for port in _ports(_plan(scenario)):
            assert port not in ports, f"{scenario} and {ports.get(port)} both use port {port}"
            ports[port] = scenario
        for host in _plan(scenario, LONGEST_PREFIX)["hosts"].values():
            assert host["vm_name"] not in names, f"{scenario} and {names.get(host['vm_name'])}: {host['vm_name']}"
            names[host["vm_name"]] = scenario
            assert host["vm_name"].startswith(LONGEST_PREFIX + "-")


def test_the_readme_port_table_is_the_inventory_table():
    readme = (MOLECULE / "README.md").read_text()
    rows = dict(re.findall(r"^\| `?(\w+)`? \| (\d{5}) \|", readme, re.MULTILINE))  # the port table's rows
    assert {name: int(port) for name, port in rows.items()} == PORTS


def test_scenarios_share_create_and_destroy_and_never_disable_host_key_checking():
    config = yaml.safe_load((MOLECULE / "config.yml").read_text())
    assert config["ansible"]["playbooks"]["create"] == "../shared/create.yml"
    assert config["ansible"]["playbooks"]["destroy"] == "../shared/destroy.yml"
    assert "-o StrictHostKeyChecking=yes" in config["driver"]["ssh_connection_options"]
    for scenario in SCENARIOS:
        own = yaml.safe_load((MOLECULE / scenario / "molecule.yml").read_text()) or {}
        assert "playbooks" not in own.get("ansible", {}) and "driver" not in own, scenario
        assert (MOLECULE / scenario / "converge.yml").exists() and (MOLECULE / scenario / "verify.yml").exists()
    for path in MOLECULE.rglob("*.yml"):
        text = path.read_text()
        assert not re.search(r"StrictHostKeyChecking=no|host_key_checking:\s*false|UserKnownHostsFile=/dev/null",
                             text), path
