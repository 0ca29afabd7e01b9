"""playbooks/clients.yml with the example inventory inventory/fleet (4 client VMs of 3 roles, real TCG VMs cloned
from the session's native instance and configured from its build server's --buildall feed, placed on two
hypervisors - qemu:///system and buildstrap-hv's qemu:///session over qemu+ssh): every role passes
its checks, a second run changes nothing, a drift check (--check --diff) reports exactly the resources a test
changed and the next run repairs them, bad inventory data is refused before any VM exists, and the libvirt
inventory plugin finds the fleet with working SSH variables.

The fleet is made once for this module (the ``fleet`` fixture) and removed at its end, pass or fail: its clones
are backed by the native instance's installed disk, which the pipeline tests may reinstall."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, RUN_ID, ansible_env, hypervisor_uris, remove_test_objects, server_handed_over
from tests.integration import handoff
from tests.integration.guest import Guest
from tests.integration.pipeline import changed_tasks

pytestmark = pytest.mark.vm

INVENTORY = ROOT / "inventory" / "fleet"
HOSTS = ("ldap1", "log1", "web1", "web2")
SESSION = next(uri for uri in hypervisor_uris() if "+ssh://" in uri)
# README "Several hypervisors": in client_index order, each client to the least loaded hypervisor, ties to the
# first by name - web1 (1) hv1, web2 (2) hv2, ldap1 (3) hv1, log1 (4) hv2.
PLACEMENT = {"web1": "hv1", "web2": "hv2", "ldap1": "hv1", "log1": "hv2"}
URIS = {"hv1": "qemu:///system", "hv2": SESSION}
FLEET = f"{RUN_ID}-fleet"
# Deterministic ports of their own per test session: client N has PORT_BASE + 10N (SSH) and the next ones.
# 30000-32599: above vm's automatic range (20000-29999), below test_molecule.py's block (32600-32699) and the
# kernel's ephemeral ports (32768 and up), where an outgoing connection of this very run (SSH, QEMU's SLIRP, the
# feed) could hold a client's port.
PORT_BASE = 30000 + (os.getpid() % 26) * 100


def _recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP counters per host."""
    recap = output.split("PLAY RECAP")[-1]
    return {m.group(1): {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
            for m in re.finditer(r"^(\S+)\s+:\s+(.*)$", recap, re.MULTILINE)}


class Fleet:
    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.state = pipeline.state / "fleet" / FLEET
        self.runs = {}

    def run(self, label, *extra, timeout=2400):
        return self.pipeline.run(label, "-i", str(INVENTORY), "-e", f"fleet_name={FLEET}",
                                 "-e", f"fleet_port_base={PORT_BASE}", *extra, playbook="clients.yml",
                                 timeout=timeout)

    def record(self, host) -> dict:
        return json.loads((self.state / f"{host}.json").read_text())

    def port(self, host, guest: int, proto: str = "tcp") -> int:
        summary = json.loads((self.pipeline.state / "fleet" / f"{FLEET}.json").read_text())
        return next(f["host"] for f in summary["clients"][host]["forwards"]
                    if f["guest"] == guest and f["proto"] == proto)

    def inventory(self) -> Path:
        """An inventory of the fleet for ad hoc runs: each client with its connection variables."""
        path = self.pipeline.workdir / "fleet.yml"
        inst = self.pipeline.instance()
        hosts = {}
        for host in HOSTS:
            rec = self.record(host)
            hosts[host] = {
                "ansible_host": "127.0.0.1", "ansible_port": rec["ssh_port"], "ansible_user": "root",
                "ansible_ssh_private_key_file": inst["ansible_ssh_private_key_file"],
                "ansible_ssh_common_args": f"-o UserKnownHostsFile={rec['known_hosts']} -o StrictHostKeyChecking=yes "
                                           "-o IdentitiesOnly=yes -o ControlMaster=no -o ControlPath=none "
                                           + _openssh_args(inst["ssh_profile"]) + " " + _jump_args(rec["uri"]),
                "ansible_python_interpreter": "/nonexistent/guests-have-no-python",
            }
        path.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
        return path


def _jump_args(uri: str) -> str:
    """A client of the second hypervisor is reached through it (its forward is on that hypervisor's loopback)."""
    from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import hypervisor

    return hypervisor.openssh_jump_args(hypervisor.jump_from_uri(uri))


def _openssh_args(profile: str) -> str:
    from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import profiles

    return profiles.openssh_args(profile)


@pytest.fixture(scope="module")
def fleet(native_pipeline):
    pipeline, first = native_pipeline
    assert first["rc"] == 0, "the session's buildstrap pipeline failed:\n" + first["output"][-3000:]
    # The roles install lighttpd, openldap, sqlite and socklog from the feed: every recipe is built (the session's
    # build server made only --minimal's; this module runs before the pipeline test reinstalls it).
    server = pipeline.run("fleet-buildserver", "-e", "buildstrap_buildserver_options=--buildall",
                          playbook="buildserver.yml", timeout=3600)
    assert server["rc"] == 0, server["output"][-5000:]
    if server_handed_over():  # its feed is final: the other line's tests of the build server may start
        handoff.publish(pipeline)
    fleet = Fleet(pipeline)
    try:
        fleet.runs["first"] = fleet.run("fleet-first")
        assert fleet.runs["first"]["rc"] == 0, fleet.runs["first"]["output"][-6000:]
        fleet.runs["second"] = fleet.run("fleet-second")
        yield fleet
    finally:
        remove_test_objects(match=lambda name: name.startswith(FLEET + "-"))


def test_every_client_comes_up_cloned_with_its_own_identity(fleet):
    first = fleet.runs["first"]
    recap = _recap(first["output"])
    assert set(HOSTS) <= set(recap), recap
    keys = {}
    for host in HOSTS:
        rec = fleet.record(host)
        assert rec["provision"] == "clone" and rec["vm_name"] == f"{FLEET}-{host}"
        assert rec["ssh_port"] == PORT_BASE + 10 * {"web1": 1, "web2": 2, "ldap1": 3, "log1": 4}[host]
        keys[host] = tuple(sorted(rec["host_keys"]))
        # learned from the console, pinned for its own port only
        pinned = Path(rec["known_hosts"]).read_text()
        assert f"[127.0.0.1]:{rec['ssh_port']}" in pinned and len(pinned.splitlines()) == len(rec["host_keys"])
    server_keys = tuple(sorted(fleet.pipeline.instance()["host_keys"]))
    assert len(set(keys.values())) == len(HOSTS) and server_keys not in keys.values(), "clones kept shared host keys"
    guests = Guest(fleet.inventory(), "web1")
    assert guests.sh("hostname").strip() == "web1"
    assert "10.0.2.2\tbuildserver" in guests.sh("cat /etc/hosts")
    assert re.search(r"^src minifix http://buildserver:\d+/minifix$", guests.sh("cat /etc/opkg/opkg.conf"), re.M)


def test_clients_are_placed_on_both_hypervisors_as_documented(fleet):
    summary = json.loads((fleet.pipeline.state / "fleet" / f"{FLEET}.json").read_text())
    assert {h: summary["clients"][h]["hypervisor"] for h in HOSTS} == PLACEMENT
    assert summary["hypervisors"]["hv2"]["clients"] == ["web2", "log1"]
    for host in HOSTS:
        rec = fleet.record(host)
        assert rec["uri"] == URIS[PLACEMENT[host]] and rec["hypervisor"] == PLACEMENT[host]
    on = {uri: _domains(uri) for uri in URIS.values()}
    for host, hv in PLACEMENT.items():
        assert f"{FLEET}-{host}" in on[URIS[hv]] and f"{FLEET}-{host}" not in on[URIS["hv1" if hv == "hv2" else "hv2"]]
    # the second hypervisor got its own flattened copy of the base (this machine's disk cannot back its clones)
    base = f"{FLEET}-base-" + fleet.record("web1")["base"][:16] + ".qcow2"
    remote = _volumes(SESSION)
    assert base in remote and f"{FLEET}-web2.qcow2" in remote and f"{FLEET}-web1.qcow2" not in remote
    from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api

    with api.connection(SESSION) as conn:
        pool = api.lookup_pool(conn, api.DEFAULT_POOL)
        assert api.volume_facts(api.lookup_volume(pool, base))["backing"] is None  # flattened: one file
        assert api.volume_facts(api.lookup_volume(pool, f"{FLEET}-web2.qcow2"))["backing"].endswith(base)


def test_each_role_passes_its_checks(fleet):
    inventory = fleet.inventory()
    # role_web: the page is served (through the client's own 127.0.0.1 forward); host data beats role data
    for host, title in (("web1", "Buildstrap fleet"), ("web2", "Buildstrap fleet (second web server)")):
        with urllib.request.urlopen(f"http://127.0.0.1:{fleet.port(host, 80)}/", timeout=30) as resp:
            page = resp.read().decode()
        assert f"<title>{title}</title>" in page and resp.headers["Server"].startswith("lighttpd"), page
    # ... and the site's sqlite schema exists
    web1 = Guest(inventory, "web1")
    assert web1.sh("sqlite3 /var/lib/db/site.db .tables").split() == ["pages", "visits"]
    assert web1.sh("sqlite3 /var/lib/db/site.db 'PRAGMA user_version;'").strip() == "1"
    # role_ldap: the test entry is found with ldapsearch, over the network
    ldap = Guest(inventory, "ldap1")
    found = ldap.sh("ldapsearch -x -LLL -H ldap://127.0.0.1 -b dc=fleet,dc=minifix,dc=local '(uid=test)' dn cn")
    assert "dn: uid=test,ou=people,dc=fleet,dc=minifix,dc=local" in found and "cn: Test User" in found
    # role_log: a syslog line from another client arrives at the log host (UDP through SLIRP's gateway)
    mark = f"bstest-syslog-{time.time_ns()}"
    web1.sh(f"logger -t bstest {mark}")
    log = Guest(inventory, "log1")
    deadline = time.monotonic() + 60
    while mark not in log.sh("cat /var/log/socklog/inet/current 2>/dev/null; true"):
        assert time.monotonic() < deadline, "the log host never received the client's syslog line"
        time.sleep(2)
    # profile_base on every client: the site's admin user, NTP servers
    for host in HOSTS:
        guest = Guest(inventory, host)
        assert re.search(r"^ops:x:1100:1100:", guest.sh("cat /etc/passwd"), re.M), host
        assert 'ntpservers="buildserver"' in guest.sh("cat /etc/sysconfig/ntpd")


def test_second_run_changes_nothing(fleet):
    second = fleet.runs["second"]
    assert second["rc"] == 0, second["output"][-5000:]
    recap = _recap(second["output"])
    assert all(recap[h]["changed"] == 0 for h in HOSTS), recap
    assert changed_tasks(second["output"]) == 0, second["output"][-5000:]
    report = json.loads((second["dir"] / "resources.json").read_text())
    assert all(not report["hosts"][h]["changed"] for h in HOSTS), report


def test_drift_is_reported_exactly_and_repaired(fleet):
    inventory = fleet.inventory()
    web1 = Guest(inventory, "web1")
    motd = web1.sh("cat /etc/motd")
    web1.sh("echo 'hand edit' >>/etc/motd; SVDIR=/var/service sv down lighttpd")
    checked = fleet.run("fleet-drift", "--check", "--diff")
    assert checked["rc"] == 0, checked["output"][-5000:]
    report = json.loads((checked["dir"] / "resources.json").read_text())
    assert report["check_mode"] is True
    drift = {h: sorted(item["resource"] for item in report["hosts"][h]["changed"]) for h in HOSTS}
    assert drift == {"web1": ["file /etc/motd", "service lighttpd"], "web2": [], "ldap1": [], "log1": []}, drift
    assert "web1: DRIFT file /etc/motd" in checked["output"] and "web2: in sync" in checked["output"]
    assert "hand edit" in checked["output"]  # --diff shows the file's change
    assert "hand edit" in web1.sh("cat /etc/motd"), "check mode changed the file"

    repaired = fleet.run("fleet-repair")
    assert repaired["rc"] == 0, repaired["output"][-5000:]
    report = json.loads((repaired["dir"] / "resources.json").read_text())
    assert sorted(i["resource"] for i in report["hosts"]["web1"]["changed"]) == ["file /etc/motd", "service lighttpd"]
    assert web1.sh("cat /etc/motd") == motd
    assert web1.sh("SVDIR=/var/service sv status lighttpd").startswith("run:")
    with urllib.request.urlopen(f"http://127.0.0.1:{fleet.port('web1', 80)}/", timeout=30) as resp:
        assert resp.status == 200


def test_bad_inventory_data_is_refused_before_any_vm(fleet):
    before = _everything()
    bad = fleet.run("fleet-bad-index", "-e", "client_index=1")
    assert bad["rc"] != 0 and "client_index: 1 is also" in bad["output"], bad["output"][-3000:]
    bad = fleet.run("fleet-bad-method", "-e", "client_provision=pxe")
    assert bad["rc"] != 0 and "client_provision: 'pxe' is not one of clone, install" in bad["output"]
    bad = fleet.run("fleet-bad-hypervisor", "-e", "client_hypervisor=hv9")
    assert bad["rc"] != 0 and "client_hypervisor: 'hv9' is not a host of the hypervisors group" in bad["output"]
    assert "Traceback" not in bad["output"]
    assert _everything() == before


def _domains(uri: str = "qemu:///system") -> set[str]:
    from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api

    with api.connection(uri) as conn:
        return {d.name() for d in api.list_domains(conn)}


def _volumes(uri: str) -> set[str]:
    from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api

    with api.connection(uri) as conn:
        pool = api.lookup_pool(conn, api.DEFAULT_POOL)
        api.refresh_pool(pool)
        return {v.name() for v in api.list_volumes(pool)}


def _everything() -> dict[str, set[str]]:
    """This module's domains and volumes on both hypervisors (another user's may come and go meanwhile)."""
    return {uri: {n for n in _domains(uri) | _volumes(uri) if n.startswith(FLEET)} for uri in URIS.values()}


def test_libvirt_inventory_plugin_finds_the_fleet(fleet, tmp_path):
    # every hypervisor of the fleet inventory's group hypervisors (hosts.yml is parsed first)
    source = tmp_path / "zz-guests.libvirt.yml"
    source.write_text(f"plugin: aloofix.buildstrap.libvirt\nuri: []\nhypervisors_group: hypervisors\n"
                      f"pipelines: [clients]\nfleets: [{FLEET}]\n"
                      f"keyed_groups: [{{key: buildstrap_metadata.role, prefix: kind}}]\n")
    sources = ["-i", str(INVENTORY / "hosts.yml"), "-i", str(source)]
    listing = subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), *sources, "--list"],
                             cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    assert listing.returncode == 0, listing.stderr
    # values from inventory plugins are marked unsafe (never templated); ansible-inventory shows that wrapper
    data = json.loads(listing.stdout, object_hook=lambda d: d["__ansible_unsafe"] if set(d) == {"__ansible_unsafe"}
                      else d)
    hostvars = data["_meta"]["hostvars"]
    for host in HOSTS:
        assert hostvars[host]["ansible_port"] == fleet.record(host)["ssh_port"]
        assert hostvars[host]["ansible_host"] == "127.0.0.1"
        assert f"UserKnownHostsFile={fleet.record(host)['known_hosts']}" in hostvars[host]["ansible_ssh_common_args"]
        assert hostvars[host]["buildstrap_uri"] == URIS[PLACEMENT[host]]
        assert ("ProxyCommand=" in hostvars[host]["ansible_ssh_common_args"]) is (PLACEMENT[host] == "hv2")
    assert set(data["kind_role_web"]["hosts"]) >= {"web1", "web2"}
    # and the variables work: an ad hoc module run over the pinned keys, on both hypervisors (web2 through hv2)
    for host in ("ldap1", "web2"):
        ran = subprocess.run([str(Path(sys.executable).parent / "ansible"), *sources, host, "-m",
                              "aloofix.buildstrap.guest_command", "-a", '{"cmd": "hostname", "changes": false}'],
                             cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
        assert ran.returncode == 0 and host in ran.stdout.split("=>", 1)[-1], ran.stdout + ran.stderr


def test_check_mode_on_a_new_fleet_creates_nothing(fleet):
    """--check on a fleet that does not exist yet: each client 'would be created', and nothing is."""
    before = _everything()
    checked = fleet.pipeline.run("fleet-check-new", "-i", str(INVENTORY), "-e", f"fleet_name={FLEET}-new",
                                 "-e", f"fleet_port_base={PORT_BASE + 50}", "--check", playbook="clients.yml")
    assert checked["rc"] == 0, checked["output"][-5000:]
    for host in HOSTS:
        assert f"{host}: its VM {FLEET}-new-{host} would be created" in checked["output"]
    assert _everything() == before  # not even the second hypervisor's copy of the base
    assert not (fleet.pipeline.state / "fleet" / f"{FLEET}-new").exists() or \
        not any((fleet.pipeline.state / "fleet" / f"{FLEET}-new").glob("*.json"))


def test_make_clean_leaves_nothing_on_either_hypervisor(fleet):
    """Last: the fleet removed the way `make clean` removes (scripts/cleanup.py, every known hypervisor)."""
    done = subprocess.run([sys.executable, "scripts/cleanup.py", "--prefix", f"{FLEET}-"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert f"removed domain {FLEET}-web2 ({SESSION})" in done.stdout
    assert f"removed volume {FLEET}-web1.qcow2 (qemu:///system)" in done.stdout
    for uri, names in _everything().items():
        assert not [n for n in names if n.startswith(FLEET)], (uri, names)
