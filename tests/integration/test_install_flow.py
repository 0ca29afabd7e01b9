"""minifix end to end on real TCG VMs: ISO -> remaster -> boot -> pinned SSH -> install2hd -> reboot to disk ->
SSH as root -> refusal of a partitioned disk -> reinstall with force_fdisk -> a changed host key is refused."""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import WaitTimeout
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import client as ssh
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.kexinit import read_kexinit
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.known_hosts import pinned
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.console import ConsoleSession
from tests.conftest import ROOT
from tests.integration.conftest import run_playbook

pytestmark = pytest.mark.vm
PLAYBOOK = ROOT / "tests" / "integration" / "playbooks" / "install_flow.yml"
PASSWORD = "Tst-Root-pw-7f3a9"
LEGACY = "dropbear-2013"
# What Aloofix 0.9's dropbear 2013.58 (its defaults plus blowfish, hmac-sha2-256 and hmac-sha2-512) offers, read
# from mkj/dropbear at DROPBEAR_2013.58 (common-algo.c, options.h).
DROPBEAR_2013 = {
    "kex_algorithms": {"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "kexguess2@matt.ucc.asn.au"},
    "server_host_key_algorithms": {"ssh-rsa", "ssh-dss"},
    "encryption_algorithms_server_to_client": {"aes128-ctr", "aes256-ctr", "3des-ctr", "aes128-cbc", "aes256-cbc",
                                               "3des-cbc", "blowfish-cbc", "twofish256-cbc", "twofish-cbc",
                                               "twofish128-cbc", "blowfish-ctr", "twofish256-ctr",
                                               "twofish128-ctr"},
    "mac_algorithms_server_to_client": {"hmac-sha1-96", "hmac-sha1", "hmac-md5", "hmac-sha2-256",
                                        "hmac-sha2-512"},
}
MODERN_ONLY = {"curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ssh-ed25519",
               "rsa-sha2-256", "rsa-sha2-512", "ecdsa-sha2-nistp256", "diffie-hellman-group14-sha256",
               "diffie-hellman-group16-sha512", "chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com",
               "ext-info-s", "sk-ssh-ed25519@openssh.com"}


def assert_offers_dropbear_2013(offer: dict) -> None:
    """The server's KEXINIT offers nothing that dropbear 2013.58 did not (and its kex and host keys exactly)."""
    assert set(offer["kex_algorithms"]) - {"kex-strict-s-v00@openssh.com"} == DROPBEAR_2013["kex_algorithms"] \
        or set(offer["kex_algorithms"]) - {"kex-strict-s-v00@openssh.com"} == \
        DROPBEAR_2013["kex_algorithms"] - {"kexguess2@matt.ucc.asn.au"}, offer["kex_algorithms"]
    assert set(offer["server_host_key_algorithms"]) == DROPBEAR_2013["server_host_key_algorithms"], offer
    for key in ("encryption_algorithms_server_to_client", "mac_algorithms_server_to_client"):
        assert set(offer[key]) <= DROPBEAR_2013[key], (key, offer[key])
    offered = {name for key, names in offer.items() if key != "server_version" for name in names}
    assert not offered & MODERN_ONLY, offered & MODERN_ONLY


def assert_modern_clients_are_refused(port: int, key: str, known_hosts: str) -> None:
    """Stock paramiko (our modern profile) and OpenSSH's defaults cannot negotiate with the guest."""
    with pytest.raises(ssh.SshError, match=r"Incompatible ssh (peer|server)|no acceptable"):
        ssh.connect("127.0.0.1", port, "root", key, known_hosts, profile="modern").close()
    proc = subprocess.run(["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o",
                           f"UserKnownHostsFile={known_hosts}", "-o", "IdentitiesOnly=yes", "-i", key, "-p",
                           str(port), "root@127.0.0.1", "true"], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 255 and "no matching" in proc.stderr, proc.stderr


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

    # guest_push (how the native stage seeds build/tarballs): check mode sends nothing, the push sends the tree
    # and gives it to build, and the same push again sends nothing and reports no change.
    push = result["push"]
    assert push["check"]["changed"] and len(push["check"]["sent_files"]) == 3, push["check"]
    assert "No such file" in push["check_ls"], push["check_ls"]
    assert push["real"]["changed"] and push["real"]["bytes"] == len("not really a deb\n") + len("sums\n") + len(
        "busybox\n") and push["real"]["kept_files"] == 0
    assert not push["again"]["changed"] and push["again"]["sent_files"] == [] and push["again"]["kept_files"] == 3
    listing = push["ls"].splitlines()
    assert len(listing) == 3 and all(re.match(r"^-\S+\s+\d+\s+999\s", line) for line in listing), listing
    assert any(line.endswith("zlib1g_1%3a1.2.13.dfsg-1+deb12u1_i386.deb") for line in listing), listing

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
    key = str(flow["workdir"] / "state" / "id_rsa")  # dropbear 2013.58 takes RSA/DSS user keys only
    with ssh.connect("127.0.0.1", port, "root", key, str(known_hosts), profile=LEGACY) as client:
        _unused, partitions, _unused = ssh.run(client, "cat /proc/partitions", timeout=60)
        _unused, hostname, _unused = ssh.run(client, "hostname", timeout=60)
        _unused, table_before, _unused = ssh.run(client, "fdisk -l /dev/vda", timeout=60)
        # install2hd itself refuses too (without a TTY it would stop at the password anyway, but the
        # partition check comes first) and changes nothing.
        rc, out, err = ssh.run(client, "PATH=/mnt/cdrom/bin:$PATH install2hd --swapsize=16", timeout=120)
        _unused, table_after, _unused = ssh.run(client, "fdisk -l /dev/vda", timeout=60)
        # As on Aloofix: the CD keeps no Packages index, and dropbear alone cannot be installed from its file (its
        # -license and -lib dependencies are not installed and there is no feed); its closure in one call can.
        index = ssh.run(client, "ls /mnt/cdrom/pkgs/Packages", timeout=60)[0]
        alone = ssh.run(client, "mkdir -p /tmp/o1 && cd /mnt/cdrom/pkgs && opkg -o /tmp/o1 install dropbear_*.opk",
                        timeout=300)
        closure = ssh.run(client, "mkdir -p /tmp/o2 && cd /mnt/cdrom/pkgs && opkg -o /tmp/o2 install "
                                  "glibc-license_*.opk glibc-lib_*.opk zlib-license_*.opk zlib-lib_*.opk "
                                  "dropbear-license_*.opk dropbear_*.opk && ls /tmp/o2/usr/sbin/dropbear", timeout=300)
        sshd = ssh.run(client, "ps | grep -c '[d]ropbear'", timeout=60)[1]
        # Root's PATH under that dropbear is /usr/bin:/bin (the project's commands state their own PATH).
        _unused, stdout, _unused = client.exec_command("echo $PATH")  # the server's own PATH: no explicit_path() here
        root_path = stdout.read().decode().strip()
        stdout.channel.close()  # a channel left open makes this dropbear drop the next channel request
        # Busybox's passwd discards input typed ahead of its prompt: an answer sent at once is lost and passwd
        # waits; the pipeline's answer (after the prompt and a quiet line) is taken.
        with ssh.PtySession(client, "passwd root", "flush-race", secrets=[PASSWORD]) as race:
            race.sendline(PASSWORD, secret=True)
            race.expect(r"New password: ?$", 60)
            with pytest.raises(WaitTimeout):
                race.expect(r"Retype password: ?$", 8)
            race.answer(PASSWORD, secret=True)
            race.expect(r"Retype password: ?$", 60)
            race.answer(PASSWORD, secret=True)
            race.expect(r"changed", 60)
    live_offer = read_kexinit("127.0.0.1", port, timeout=30)
    assert_offers_dropbear_2013(live_offer)
    assert_modern_clients_are_refused(port, key, str(known_hosts))
    assert root_path == "/usr/bin:/bin"
    assert hostname.strip() == "initrd", "the refusal happened on the live system"
    assert {"vda1", "vda2", "vda3"} <= set(partitions.split()), "the disk was left untouched"
    assert rc != 0 and "Partitions already exist on /dev/vda" in out + err
    assert table_after == table_before
    assert index != 0, "the CD has no Packages index"
    assert alone[0] != 0 and "zlib-lib" in alone[1] + alone[2], alone
    assert closure[0] == 0, closure
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
    assert_offers_dropbear_2013(read_kexinit("127.0.0.1", port, timeout=30))
    assert_modern_clients_are_refused(port, key, str(known_hosts))
    with ssh.connect("127.0.0.1", port, "root", key, str(known_hosts), profile=LEGACY) as client:
        _unused, services, _unused = ssh.run(client, "svadmin list", timeout=60)
        rc_enable, _unused, enable_err = ssh.run(client, "svadmin enable httpd && mkdir -p /srv/www && "
                                                 "echo minifix-httpd-ok >/srv/www/index.html", timeout=60)
        page = ""
        for _unused in range(60):
            _unused, page, _unused = ssh.run(client, "wget -q -O - http://127.0.0.1/index.html 2>/dev/null", timeout=60)
            if "minifix-httpd-ok" in page:
                break
            time.sleep(1)
        _unused, status, _unused = ssh.run(client, "svadmin status", timeout=60)
        _unused, users, _unused = ssh.run(client, "grep -E '^(build|web):' /etc/passwd", timeout=60)
    assert "dropbear" in services and rc_enable == 0, enable_err
    assert "minifix-httpd-ok" in page and "httpd" in status
    assert re.search(r"^build:x?:999:", users, re.M) and re.search(r"^web:x?:24:", users, re.M), users

    # One console session survives the guest's own reboot (<on_reboot>restart</on_reboot> keeps QEMU running).
    with api.connection() as conn:
        dom = api.lookup_domain(conn, flow["name"])
        qemu_before = dom.ID()
        with ConsoleSession(conn, dom) as console:
            with ssh.connect("127.0.0.1", port, "root", key, str(known_hosts), profile=LEGACY) as client:
                client.exec_command("/bin/sync; /sbin/reboot")
            console.expect(r"Restarting system|reboot: ", 120, what="the guest rebooting")
            console.expect(rf"{installed['hostname']} login:", 240, what="the login prompt after the reboot")
            assert not console.closed
        assert dom.ID() == qemu_before

    # A host key that differs from the pinned one is refused with a clear message, never accepted.
    with pytest.raises(ssh.HostKeyError, match=r"host key of \[127\.0\.0\.1\]:\d+ changed"):
        ssh.connect("127.0.0.1", port, "root", key, str(stale), profile=LEGACY)  # pins the first install's keys
