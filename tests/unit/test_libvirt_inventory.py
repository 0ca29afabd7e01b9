"""The libvirt inventory's pure layer: domain XML in, host variables and groups out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import inventory as inv
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import transform
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.spec import parse_vm_spec
from tests.conftest import ROOT, ansible_env

URI = "qemu:///system"
META = {"pipeline": "buildstrap", "recipe": "aloofix-0.9", "stage": "native", "known_hosts": "/s/known_hosts",
        "private_key": "/s/id_rsa", "ssh_profile": "dropbear-2013"}


def domain(name="vm1", metadata=None, forwards=({"guest": 22, "host": 22001}, {"guest": 80, "host": 22002})):
    """Domain XML as the vm module writes it."""
    spec = parse_vm_spec({"name": name, "boot": ["network"], "metadata": META if metadata is None else metadata,
                          "nics": [{"type": "user", "forwards": list(forwards)}] if forwards else []}, "tcg")
    return transform.domain_xml(spec)


def host(xml, state=1, uri=URI):
    return inv.inventory_host(inv.domain_record("vm1", state, xml), uri)


def test_a_buildstrap_domain_becomes_an_ssh_ready_host():
    got = host(domain())
    assert got["name"] == "vm1" and got["warnings"] == []
    assert got["vars"] == {
        "ansible_host": "127.0.0.1", "ansible_port": 22001, "ansible_user": "root", "ansible_connection": "ssh",
        "ansible_ssh_private_key_file": "/s/id_rsa",
        # Exactly what roles/guest_vm/tasks/start.yml gives add_host, then the profile's algorithms.
        "ansible_ssh_common_args": "-o UserKnownHostsFile=/s/known_hosts -o StrictHostKeyChecking=yes "
                                   "-o IdentitiesOnly=yes -o ControlMaster=no -o ControlPath=none "
                                   "-o KexAlgorithms=+diffie-hellman-group14-sha1,diffie-hellman-group1-sha1 "
                                   "-o HostKeyAlgorithms=+ssh-rsa,ssh-dss -o PubkeyAcceptedAlgorithms=+ssh-rsa",
        "ansible_python_interpreter": "/nonexistent/guests-have-no-python",
        "buildstrap_known_hosts": "/s/known_hosts", "buildstrap_ssh_profile": "dropbear-2013", "buildstrap_uri": URI,
        "buildstrap_domain": "vm1", "buildstrap_state": "running", "buildstrap_metadata": META,
        "buildstrap_forwards": [{"guest": 22, "host": 22001, "proto": "tcp"},
                                {"guest": 80, "host": 22002, "proto": "tcp"}],
    }
    assert got["groups"] == ["buildstrap", "buildstrap_buildstrap", "recipe_aloofix_0_9", "stage_native",
                             "buildstrap_running"]


@pytest.mark.parametrize("metadata, name, user, groups", [
    ({"pipeline": "clients", "host": "web-1.example", "ssh_user": "admin", "role": "web", "fleet": "eu/west",
      "known_hosts": "/k"},
     "web-1.example", "admin", ["buildstrap", "buildstrap_clients", "role_web", "fleet_eu_west", "buildstrap_running"]),
    ({"known_hosts": "/k"}, "vm1", "root", ["buildstrap", "buildstrap_running"]),
    ({"recipe": "", "stage": "install 1", "known_hosts": "/k"}, "vm1", "root",
     ["buildstrap", "stage_install_1", "buildstrap_running"]),
])
def test_names_users_and_groups_from_the_metadata(metadata, name, user, groups):
    got = host(domain(metadata=metadata))
    assert (got["name"], got["vars"]["ansible_user"], got["groups"]) == (name, user, groups)
    assert got["vars"]["buildstrap_ssh_profile"] == "modern"
    assert got["vars"]["ansible_ssh_common_args"].endswith("-o ControlPath=none")


@pytest.mark.parametrize("prefix, value, group", [
    ("recipe_", "aloofix-0.9", "recipe_aloofix_0_9"),
    ("fleet_", "eu west/2", "fleet_eu_west_2"),
    ("buildstrap_", "ok_1", "buildstrap_ok_1"),
    ("role_", "web.ä", "role_web__"),
])
def test_group_names_are_valid(prefix, value, group):
    assert inv.group_name(prefix, value) == group


@pytest.mark.parametrize("state, name, running", [
    (1, "running", True), (2, "idle", True), (3, "paused", False), (5, "shut off", False), (99, "unknown", False),
])
def test_states_as_virsh_names_them(state, name, running):
    got = host(domain(), state=state)
    assert got["vars"]["buildstrap_state"] == name
    assert ("buildstrap_running" in got["groups"]) is running
    assert got["vars"]["ansible_port"] == 22001  # a stopped domain keeps its connection variables


def _with_forward(xml, old, new):
    assert old in xml
    return xml.replace(old, new)


@pytest.mark.parametrize("hostfwd, shown", [
    ("hostfwd=tcp:0.0.0.0:22001-:22", "tcp:0.0.0.0:22001->22"),
    ("hostfwd=tcp::22001-:22", "tcp:0.0.0.0:22001->22"),  # an empty address is every interface
    ("hostfwd=:192.168.1.5:22001-:22", "tcp:192.168.1.5:22001->22"),
    ("hostfwd=tcp:127.0.0.2:22001-10.0.2.15:22", "tcp:127.0.0.2:22001->22"),
])
def test_a_forward_off_127_0_0_1_is_refused(hostfwd, shown):
    xml = _with_forward(domain(), "hostfwd=tcp:127.0.0.1:22001-:22", hostfwd)
    got = host(xml)
    assert "ansible_port" not in got["vars"]
    assert got["vars"]["ansible_host"] == "127.0.0.1"
    assert got["vars"]["buildstrap_forwards"] == [{"guest": 80, "host": 22002, "proto": "tcp"}]
    assert shown not in json.dumps(got["vars"])
    (warning,) = got["warnings"]
    assert "domain vm1 on qemu:///system" in warning and shown in warning and "no ansible_port" in warning


def test_a_refused_forward_other_than_ssh_keeps_the_ssh_port():
    got = host(_with_forward(domain(), "hostfwd=tcp:127.0.0.1:22002-:80", "hostfwd=tcp:0.0.0.0:22002-:80"))
    assert got["vars"]["ansible_port"] == 22001
    (warning,) = got["warnings"]
    assert "tcp:0.0.0.0:22002->80" in warning and "no ansible_port" not in warning


def test_no_ssh_forward_no_port():
    got = host(domain(forwards=()))
    assert "ansible_port" not in got["vars"] and got["vars"]["buildstrap_forwards"] == []
    assert got["warnings"] == ["domain vm1 on qemu:///system has no SSH forward (tcp guest port 22) on 127.0.0.1; "
                               "it gets no ansible_port"]


def test_without_known_hosts_host_keys_are_still_checked():
    metadata = {k: v for k, v in META.items() if k != "known_hosts"}
    got = host(domain(metadata=metadata))
    args = got["vars"]["ansible_ssh_common_args"]
    assert "UserKnownHostsFile" not in args and "-o StrictHostKeyChecking=yes" in args
    assert "KexAlgorithms=+diffie-hellman-group14-sha1" in args
    assert got["vars"]["buildstrap_known_hosts"] is None
    assert len(got["warnings"]) == 1 and "has no known_hosts" in got["warnings"][0]


def test_an_unknown_ssh_profile_is_a_warning_not_a_weaker_check():
    got = host(domain(metadata=dict(META, ssh_profile="telnet")))
    assert "ssh_profile: 'telnet' is not an SSH profile" in got["warnings"][0]
    assert got["vars"]["ansible_ssh_common_args"] == (
        "-o UserKnownHostsFile=/s/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o ControlMaster=no "
        "-o ControlPath=none")


def test_foreign_domains_have_no_record():
    xml = "<domain type='kvm'><name>other</name><metadata><x xmlns='urn:x'/></metadata></domain>"
    assert inv.domain_record("other", 1, xml) is None
    assert inv.domain_record("other", 1, "<domain type='kvm'><name>other</name></domain>") is None


def test_records_are_json_safe_for_the_cache():
    record = inv.domain_record("vm1", 5, domain())
    assert json.loads(json.dumps(record)) == record
    assert record["forwards"] == [{"proto": "tcp", "host_addr": "127.0.0.1", "host": 22001, "guest": 22},
                                  {"proto": "tcp", "host_addr": "127.0.0.1", "host": 22002, "guest": 80}]


def test_hostfwd_in_every_user_network_syntax():
    xml = ("<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><qemu:commandline>"
           "<qemu:arg value='-nic'/><qemu:arg value='user,model=e1000,hostfwd=tcp:127.0.0.1:2222-:22'/>"
           "<qemu:arg value='-netdev'/><qemu:arg value='user,id=n1,hostfwd=udp::5353-:53,hostfwd=bogus'/>"
           "</qemu:commandline></domain>")
    assert inv.hostfwds(xml) == [{"proto": "tcp", "host_addr": "127.0.0.1", "host": 2222, "guest": 22},
                                 {"proto": "udp", "host_addr": "0.0.0.0", "host": 5353, "guest": 53}]


def test_ansible_doc_renders_the_plugin():
    name = "aloofix.buildstrap.libvirt"
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "-t", "inventory", "--json", name],
                          cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)[name]
    assert doc["examples"].strip() and doc["doc"]["short_description"]
    options = doc["doc"]["options"]
    assert {"uri", "pipelines", "running_only", "strict", "compose", "keyed_groups", "cache"} <= set(options)
    assert all(spec.get("description") for spec in options.values())


SESSION = "qemu+ssh://buildstrap-hv@127.0.0.1:2222/session?keyfile=/root/.ssh/buildstrap-hv"


def test_a_guest_of_a_remote_hypervisor_is_reached_through_it():
    got = host(domain(), uri=SESSION)
    args = got["vars"]["ansible_ssh_common_args"]
    assert got["warnings"] == [] and got["vars"]["ansible_port"] == 22001 and got["vars"]["buildstrap_uri"] == SESSION
    # the guest's key stays pinned, and the hop to the hypervisor checks its pinned key too, never a prompt
    assert args.startswith("-o UserKnownHostsFile=/s/known_hosts -o StrictHostKeyChecking=yes")
    assert args.endswith("-o 'ProxyCommand=ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -p 2222 "
                         "-o IdentitiesOnly=yes -i /root/.ssh/buildstrap-hv -W %h:%p buildstrap-hv@127.0.0.1'")


def test_a_remote_hypervisor_without_ssh_gives_no_port():
    got = host(domain(), uri="qemu+tcp://hv.example/system")
    assert "ansible_port" not in got["vars"] and any("qemu+ssh" in w for w in got["warnings"])
