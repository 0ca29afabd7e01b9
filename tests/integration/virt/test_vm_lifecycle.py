"""The vm, vm_volume and console modules against real guests under libvirt (qemu:///system, TCG)."""

from __future__ import annotations

import re
import socket

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api
from tests.integration.images import hello_disk, hello_iso

pytestmark = pytest.mark.vm


@pytest.fixture(scope="module")
def media(artifacts, module, run_id):
    disk = hello_disk(artifacts / "hello-disk.img", "FROM-DISK")
    iso = hello_iso(artifacts / "hello-cd.iso", "FROM-CD")
    volume = f"{run_id}-hello.img"
    first = module("vm_volume", {"name": volume, "src": str(disk)})
    assert not first.failed, first.result
    return {"disk": disk, "iso": iso, "volume": volume, "upload": first}


def vm_args(name, media, **extra):
    args = {"name": name, "state": "running", "accel": "tcg", "memory": 32,
            "disks": [{"volume": media["volume"], "format": "raw", "bus": "ide"}],
            "cdrom": str(media["iso"]), "boot": ["cdrom", "hd"],
            "nics": [{"type": "user", "forwards": [{"guest": 22}]}],
            "metadata": {"pipeline": "tests", "recipe": "hello"}}
    args.update(extra)
    return args


def test_volume_upload_is_idempotent(media, module):
    assert media["upload"]["changed"] is True
    again = module("vm_volume", {"name": media["volume"], "src": str(media["disk"])})
    assert again["changed"] is False
    assert again["sha256"] == media["upload"]["sha256"]
    assert again["volume"]["capacity"] == media["disk"].stat().st_size


def test_vm_lifecycle(media, module, run_id):
    name = f"{run_id}-life"
    args = vm_args(name, media)

    planned = module("vm", args, check=True, diff=True)
    assert planned["changed"] is True and "define" in planned["actions"] and "start" in planned["actions"]
    assert "<boot dev='cdrom'/>" in planned.stdout  # the diff shows the domain that would be defined
    with api.connection() as conn:
        assert api.lookup_domain(conn, name) is None, "check mode must not define the domain"

    started = module("vm", args)
    assert started["changed"] is True and started["domain"]["status"] == "running"
    port = started["ssh_port"]
    assert 20000 <= port <= 29999
    assert started["domain"]["cdrom"]["target"] == "hdc" and started["domain"]["cdrom"]["bus"] == "ide"
    assert started["domain"]["metadata"] == {"pipeline": "tests", "recipe": "hello"}

    again = module("vm", args, check=True)
    assert again["changed"] is False, again["actions"]
    assert again["ssh_port"] == port

    seen = module("console", {"name": name, "steps": [{"expect": "FROM-CD", "timeout": 10}]})
    assert not seen.failed, seen.result
    assert seen["changed"] is False and seen["matches"][0]["match"] == "FROM-CD"

    # Eject the ISO of the running VM and boot from the disk next time.
    ejected = module("vm", dict(args, cdrom="", boot=["hd"]), diff=True)
    assert ejected["changed"] is True
    assert "change media live" in ejected["actions"] and ejected.get("pending_restart") is True
    assert ejected["domain"]["cdrom"]["path"] is None

    # The hello guest ignores ACPI: acpi_then_destroy pulls the plug after the (short) deadline.
    stopped = module("vm", dict(args, cdrom="", boot=["hd"], state="shutdown", timeout=1))
    assert stopped["changed"] is True and stopped["shutdown"] == "destroyed"
    assert stopped["domain"]["status"] == "shutoff"

    rebooted = module("vm", dict(args, cdrom="", boot=["hd"]))
    assert rebooted["changed"] is True and rebooted["actions"] == ["start"]
    assert rebooted["ssh_port"] == port, "host ports stay stable across runs"
    from_disk = module("console", {"name": name, "steps": [{"expect": "FROM-DISK", "timeout": 10}]})
    assert not from_disk.failed, from_disk.result

    gone = module("vm", {"name": name, "state": "absent"})
    assert gone["changed"] is True
    assert module("vm", {"name": name, "state": "absent"})["changed"] is False
    with api.connection() as conn:
        assert api.lookup_domain(conn, name) is None


def test_console_deadline_quotes_the_screen(media, module, run_id):
    name = f"{run_id}-deadline"
    assert not module("vm", vm_args(name, media)).failed
    try:
        late = module("console", {"name": name, "steps": [{"expect": "NEVER-PRINTED", "timeout": 1}]})
        assert late.failed
        # The step's deadline is named (scaled for the accelerator; the figure itself is not the test's business).
        assert re.search(r"timed out after \d+s on the console of \S+ waiting for", late["msg"]), late["msg"]
        assert "FROM-CD" in late["msg"].split("last lines of the console")[1]
    finally:
        module("vm", {"name": name, "state": "absent"})


def test_new_disk_volumes_are_created_and_removed(media, module, run_id):
    name = f"{run_id}-newdisk"
    args = vm_args(name, media, state="present", disks=[{"volume": f"{name}.qcow2", "size": "64M"}],
                   boot=["cdrom", "hd"])
    made = module("vm", args)
    assert made["changed"] is True and made["volumes_created"] == [f"{name}.qcow2"]
    with api.connection() as conn:
        vol = api.lookup_volume(api.lookup_pool(conn, "buildstrap"), f"{name}.qcow2")
        assert api.volume_facts(vol)["capacity"] == 64 * 1024 * 1024
    assert module("vm", args)["changed"] is False
    removed = module("vm", {"name": name, "state": "absent", "remove_volumes": True})
    assert removed["volumes_deleted"] == [f"{name}.qcow2"]
    with api.connection() as conn:
        assert api.lookup_volume(api.lookup_pool(conn, "buildstrap"), f"{name}.qcow2") is None


@pytest.mark.parametrize("override, field, hint", [
    ({"memory": 0}, "memory", "at least 16"),
    ({"arch": "sparc"}, "arch", "i686, x86_64"),
    ({"disks": [{"volume": "bstest-x.qcow2", "size": "abc"}]}, "disks[0].size", "512M or 8G"),
    ({"cdrom": "/nonexistent/aloofix.iso"}, "cdrom", "does not exist"),
    ({"uri": "qemu+unix:///system?socket=/nonexistent/libvirt-sock"}, "uri", "cannot connect"),
    ({"nics": [{"type": "user", "forwards": [{"guest": 22, "host_addr": "10.0.0.5"}]}]},
     "nics[0].forwards[0].host_addr", "loopback"),
    ({"boot": ["floppy"]}, "boot[0]", "cdrom, hd, network"),
])
def test_bad_input_names_the_field_and_creates_nothing(media, module, run_id, override, field, hint):
    name = f"{run_id}-bad"
    result = module("vm", vm_args(name, media, **override))
    assert result.failed
    # Our own checks start with "field:"; Ansible's type/choice checks say "value of field must be ...".
    assert result["msg"].startswith(f"{field}:") or f"value of {field} " in result["msg"], result["msg"]
    assert hint in result["msg"]
    assert "Traceback" not in result.stdout + result.stderr
    with api.connection() as conn:
        assert api.lookup_domain(conn, name) is None


def test_host_port_in_use_is_refused(media, module, run_id):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = module("vm", vm_args(f"{run_id}-port", media,
                                      nics=[{"type": "user", "forwards": [{"guest": 22, "host": port}]}]))
    assert result.failed and result["msg"].startswith("nics[0].forwards[0].host:")
    assert "already in use" in result["msg"]


def test_foreign_domain_with_the_same_name_is_not_touched(media, module, run_id):
    name = f"{run_id}-foreign"
    xml = f"<domain type='qemu'><name>{name}</name><memory unit='MiB'>32</memory><os><type>hvm</type></os></domain>"
    with api.connection() as conn:
        api.define_domain(conn, xml)
    result = module("vm", vm_args(name, media))
    assert result.failed and result["msg"].startswith("name:") and "not created by Buildstrap" in result["msg"]
    assert module("vm", {"name": name, "state": "absent"}).failed
    with api.connection() as conn:
        assert api.lookup_domain(conn, name) is not None


def test_missing_volume_without_size_is_an_error(media, module, run_id):
    result = module("vm", vm_args(f"{run_id}-nosize", media, disks=[{"volume": f"{run_id}-nothere.qcow2"}]))
    assert result.failed and result["msg"].startswith("disks[0].size:")


def test_volume_create_grow_clone_download_and_refuse_shrink(module, run_id, artifacts):
    base, clone = f"{run_id}-base.qcow2", f"{run_id}-clone.qcow2"
    try:
        assert module("vm_volume", {"name": base, "size": "16M"}, check=True)["changed"] is True
        made = module("vm_volume", {"name": base, "size": "16M"})
        assert made["changed"] is True and made["volume"]["format"] == "qcow2"
        assert module("vm_volume", {"name": base, "size": "16M"}, check=True)["changed"] is False
        grown = module("vm_volume", {"name": base, "size": "32M"})
        assert grown["changed"] is True and grown["volume"]["capacity"] == 32 * 1024 ** 2
        shrink = module("vm_volume", {"name": base, "size": "8M"})
        assert shrink.failed and shrink["msg"].startswith("size:") and "refused" in shrink["msg"]
        cloned = module("vm_volume", {"name": clone, "backing": base})
        assert cloned["changed"] is True and cloned["volume"]["backing"].endswith(base)
        dest = artifacts / "clone.qcow2"
        fetched = module("vm_volume", {"name": clone, "dest": str(dest)})
        assert fetched["changed"] is True and dest.read_bytes()[:4] == b"QFI\xfb"
        assert module("vm_volume", {"name": clone, "dest": str(dest)})["changed"] is False
        missing = module("vm_volume", {"name": f"{run_id}-none", "src": "/nonexistent.iso"})
        assert missing.failed and missing["msg"].startswith("src:")
    finally:
        for vol in (clone, base):
            module("vm_volume", {"name": vol, "state": "absent"})
