"""minifix end to end on real TCG VMs: ISO -> remaster -> boot -> pinned SSH -> install2hd -> reboot to disk ->
SSH as root -> refusal of a partitioned disk -> reinstall with force_fdisk -> a changed host key is refused."""

from __future__ import annotations

import json
import re
import time

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import client as ssh
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.known_hosts import pinned
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.console import ConsoleSession
from tests.conftest import ROOT
from tests.integration.conftest import run_playbook

pytestmark = pytest.mark.vm
PLAYBOOK = ROOT / "tests" / "integration" / "playbooks" / "install_flow.yml"
PASSWORD = "Tst-Root-pw-7f3a9"


@pytest.fixture(scope="module")
def flow(minifix_iso, artifacts, run_id, module):
    """One VM for the whole module; removed with its disk afterwards, pass or fail."""
    name = f"{run_id}-flow"
    workdir = artifacts / "flow"
    workdir.mkdir()
    secrets = workdir / "secrets.yml"
    secrets.write_text(f"disk_install_root_password: {PASSWORD}\n")
    secrets.chmod(0o600)
    base = {"test_vm": name, "test_iso": str(minifix_iso), "test_dir": str(workdir),
            "buildstrap_state_dir": str(workdir / "state")}
    runs = {}

    def play(label: str, **extra):
        run_dir = workdir / label
        rc, output = run_playbook(PLAYBOOK, dict(base, buildstrap_run_dir=str(run_dir), **extra), secrets)
        result = json.loads((run_dir / "result.json").read_text()) if (run_dir / "result.json").exists() else None
        runs[label] = {"rc": rc, "output": output, "dir": run_dir, "result": result}
        return runs[label]

    yield {"name": name, "play": play, "runs": runs, "workdir": workdir}
    module("vm", {"name": name, "state": "absent", "remove_volumes": True})


def _files_under(path):
    return [p for p in path.rglob("*") if p.is_file()]


def test_install_then_reinstall(flow):
    first = flow["play"]("install")
    assert first["rc"] == 0, first["output"][-4000:]
    result = first["result"]
    installed = result["installed"]

    # The live system was reached over SSH with the key the overlay printed and we pinned.
    assert result["live"]["guest_hostname"] == "initrd"
    # install2hd ran its steps with the options given, and asked for the password (twice: new, retype).
    assert [s["step"] for s in installed["steps"]][:3] == ["select-disk", "partition", "filesystems"]
    assert installed["argv"] == ["install2hd", "--swapsize=16"] and installed["password_prompts"] == 2
    assert installed["disk"] == "/dev/vda"
    # Hostname is 'host' + the NIC's MAC without colons.
    with api.connection() as conn:
        from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import transform
        mac = transform.domain_facts(api.domain_xml(api.lookup_domain(conn, flow["name"])))["nics"][0]["mac"]
    assert installed["hostname"] == "host" + mac.replace(":", "")
    layout = "\n".join(installed["layout"])
    assert re.search(r"/dev/vda1 +\*", layout) and "/dev/vda2" in layout and "/dev/vda3" in layout
    # The step outputs install2hd keeps in RAM were fetched before the reboot.
    logs = {p.name for p in (first["dir"] / "install.install2hd").iterdir()}
    assert {"partition.out", "packages.out", "install2hd.transcript.log"} <= logs

    # After the reboot the disk's own login prompt came, then SSH as root with the installed system's key.
    assert result["reachable"]["login_prompt"] == f"{installed['hostname']} login:"
    assert result["reachable"]["hostname"] == installed["hostname"]
    assert result["facts"]["guest_root_device"] == "/dev/vda3"
    known_hosts = flow["workdir"] / "state" / "known_hosts"  # the pins outlive a run, as the VM does
    port = int(re.search(r"\[127\.0\.0\.1\]:(\d+)", known_hosts.read_text()).group(1))
    assert sorted(pinned(str(known_hosts), "127.0.0.1", port)) == sorted(installed["host_keys"])
    stale = flow["workdir"] / "first_install.known_hosts"
    stale.write_text(known_hosts.read_text())

    # The root password is nowhere: not in the output, the run's logs, nor libvirt's console log.
    assert PASSWORD not in first["output"]
    for path in _files_under(first["dir"]) + [p for p in _files_under(flow["workdir"])
                                              if p.suffix in (".log", ".json", ".out")]:
        assert PASSWORD not in path.read_text(errors="replace"), path
    console_log = f"/var/log/libvirt/qemu/{flow['name']}-console.log"
    assert PASSWORD not in open(console_log, errors="replace").read()

    # Booting the ISO again and installing WITHOUT force_fdisk is refused before install2hd runs.
    refused = flow["play"]("refused")
    assert refused["rc"] != 0
    assert "force_fdisk: /dev/vda already has partitions (vda1, vda2, vda3)" in refused["output"]
    key = str(flow["workdir"] / "state" / "id_ed25519")
    with ssh.connect("127.0.0.1", port, "root", key, str(known_hosts)) as client:
        _, partitions, _ = ssh.run(client, "cat /proc/partitions", timeout=60)
        _, hostname, _ = ssh.run(client, "hostname", timeout=60)
        _, table_before, _ = ssh.run(client, "fdisk -l /dev/vda", timeout=60)
        # install2hd itself refuses too (without a TTY it would stop at the password anyway, but the
        # partition check comes first) and changes nothing.
        rc, out, err = ssh.run(client, "PATH=/mnt/cdrom/bin:$PATH install2hd --swapsize=16", timeout=120)
        _, table_after, _ = ssh.run(client, "fdisk -l /dev/vda", timeout=60)
        # The live system's opkg reads the CD's package feed and checks what it installs.
        _, feed, _ = ssh.run(client, "mkdir -p /tmp/o && printf 'src cd file:///mnt/cdrom/pkgs\\ndest ram /tmp/o\\n"
                                     "arch all 1\\narch noarch 1\\narch i686 10\\n' >/tmp/o.conf && "
                                     "opkg -f /tmp/o.conf -d ram update && opkg -f /tmp/o.conf -d ram list 2>&1", timeout=300)
        sshd = ssh.run(client, "ps | grep -c '[d]ropbear'", timeout=60)[1]
    assert hostname.strip() == "initrd", "the refusal happened on the live system"
    assert {"vda1", "vda2", "vda3"} <= set(partitions.split()), "the disk was left untouched"
    assert rc != 0 and "Partitions already exist on /dev/vda" in out + err
    assert table_after == table_before
    assert re.search(r"^dropbear - ", feed, re.M) and re.search(r"^busybox - ", feed, re.M), feed
    assert int(sshd) >= 1, "dropbear runs on the live system only because the overlay started it"

    # With force_fdisk the same disk is reinstalled; the new system has new host keys, pinned again.
    again = flow["play"]("reinstall", test_force_fdisk="true")
    assert again["rc"] == 0, again["output"][-4000:]
    reinstalled = again["result"]["installed"]
    assert reinstalled["argv"] == ["install2hd", "--swapsize=16", "--force-fdisk"]
    assert reinstalled["hostname"] == installed["hostname"]
    assert set(reinstalled["host_keys"]).isdisjoint(installed["host_keys"])
    assert again["result"]["reachable"]["hostname"] == installed["hostname"]

    # The installed system: runit services under svadmin, dropbear (root allowed by install2hd's preparation),
    # and busybox httpd once enabled.
    with ssh.connect("127.0.0.1", port, "root", key, str(known_hosts)) as client:
        _, services, _ = ssh.run(client, "svadmin list", timeout=60)
        rc_enable, _, enable_err = ssh.run(client, "svadmin enable httpd && mkdir -p /srv/www && "
                                                   "echo minifix-httpd-ok >/srv/www/index.html", timeout=60)
        page = ""
        for _ in range(60):
            _, page, _ = ssh.run(client, "wget -q -O - http://127.0.0.1/index.html 2>/dev/null", timeout=60)
            if "minifix-httpd-ok" in page:
                break
            time.sleep(1)
        _, status, _ = ssh.run(client, "svadmin status", timeout=60)
        _, users, _ = ssh.run(client, "grep -E '^(build|web):' /etc/passwd", timeout=60)
    assert "dropbear" in services and rc_enable == 0, enable_err
    assert "minifix-httpd-ok" in page and "httpd" in status
    assert re.search(r"^build:x?:999:", users, re.M) and re.search(r"^web:x?:24:", users, re.M), users

    # One console session survives the guest's own reboot (<on_reboot>restart</on_reboot> keeps QEMU running).
    with api.connection() as conn:
        dom = api.lookup_domain(conn, flow["name"])
        qemu_before = dom.ID()
        with ConsoleSession(conn, dom) as console:
            with ssh.connect("127.0.0.1", port, "root", key, str(known_hosts)) as client:
                client.exec_command("sync; reboot")
            console.expect(r"Restarting system|reboot: ", 120, what="the guest rebooting")
            console.expect(rf"{installed['hostname']} login:", 240, what="the login prompt after the reboot")
            assert not console.closed
        assert dom.ID() == qemu_before

    # A host key that differs from the pinned one is refused with a clear message, never accepted.
    with pytest.raises(ssh.HostKeyError, match=r"host key of \[127\.0\.0\.1\]:\d+ changed"):
        ssh.connect("127.0.0.1", port, "root", key, str(stale))  # pins the first installation's keys
