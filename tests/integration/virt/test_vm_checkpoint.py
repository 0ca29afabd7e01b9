"""vm_checkpoint against a real running guest (qemu:///system, TCG): check mode, real, check again, refusals,
the vm module's view of the snapshotted domain, and removal of the overlay with its checkpoint."""

from __future__ import annotations

import subprocess
import time

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api, checkpoint, transform
from tests.integration.images import hello_disk

pytestmark = pytest.mark.vm

POOL = api.DEFAULT_POOL


def _volume(name):
    with api.connection() as conn:
        pool = api.lookup_pool(conn, POOL)
        api.refresh_pool(pool)
        vol = api.lookup_volume(pool, name)
        return api.volume_facts(vol) if vol is not None else None


def _sha256(name):
    with api.connection() as conn:
        return api.download_volume(conn, api.lookup_volume(api.lookup_pool(conn, POOL), name), None)[1]


def _guest_writes(name, offset, length):
    """Write through the running domain's own disk (QEMU's qemu-io on the device), as the guest would: the
    hello guest only prints, it never writes."""
    import libvirt_qemu

    with api.connection() as conn:
        dom = api.lookup_domain(conn, name)
        # -d: a QOM path; with -blockdev the disk's block backend sits on the virtio-blk device itself.
        command = f'qemu-io -d /machine/peripheral/virtio-disk0/virtio-backend "write -P 0x5a {offset} {length}"'
        out = libvirt_qemu.qemuMonitorCommand(dom, command, libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
    assert "rror" not in out, out  # qemu-io reports success on QEMU's stdout, errors on the monitor


@pytest.fixture(scope="module")
def guest(artifacts, module, run_id):
    """A running hello guest on a qcow2 volume made from the hello disk."""
    raw = hello_disk(artifacts / "cp-hello.img", "CHECKPOINT-HELLO")
    qcow2 = artifacts / "cp-hello.qcow2"
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(raw), str(qcow2)], check=True)
    name = f"{run_id}-cp"
    disk1, disk2 = f"{name}-disk1.qcow2", f"{name}-disk2.qcow2"
    assert not module("vm_volume", {"name": disk1, "src": str(qcow2)}).failed
    vm = {"name": name, "state": "running", "accel": "tcg", "memory": 32, "boot": ["hd"],
          "disks": [{"volume": disk1}], "metadata": {"pipeline": "tests", "recipe": "hello"}}
    started = module("vm", vm)
    assert not started.failed, started.result
    yield {"name": name, "disk1": disk1, "disk2": disk2, "vm": vm}
    module("vm", {"name": name, "state": "absent", "remove_volumes": True})
    for vol in (disk1, disk2):
        module("vm_volume", {"name": vol, "state": "absent"})


def test_checkpoint_of_a_running_guest(guest, module, run_id):
    name, disk1, disk2 = guest["name"], guest["disk1"], guest["disk2"]
    args = {"name": name, "disk": disk1, "overlay": disk2}
    assert not module("console", {"name": name, "steps": [{"expect": "CHECKPOINT-HELLO", "timeout": 10}]}).failed
    with api.connection() as conn:
        domain_id = api.lookup_domain(conn, name).ID()
    before = _sha256(disk1)

    planned = module("vm_checkpoint", args, check=True, diff=True)
    assert not planned.failed, planned.result
    assert planned["changed"] is True and planned["disk"] == "vda"
    assert planned["checkpoint"]["name"] == disk1 and planned["overlay"]["name"] == disk2
    assert f"+vda: buildstrap/{disk2} (backing, read-only: buildstrap/{disk1})" in planned.stdout
    assert f"-vda: buildstrap/{disk1}" in planned.stdout
    assert _volume(disk2) is None, "check mode must not create the overlay"

    wall = time.monotonic()
    done = module("vm_checkpoint", args)
    wall = time.monotonic() - wall
    assert not done.failed, done.result
    assert done["changed"] is True
    assert done["checkpoint"] == {"name": disk1, "path": _volume(disk1)["path"]}
    assert done["overlay"] == {"name": disk2, "path": _volume(disk2)["path"]}
    print(f"\nvm_checkpoint: {done['seconds']} s in the module, {wall:.2f} s with ansible")

    with api.connection() as conn:
        dom = api.lookup_domain(conn, name)
        assert api.domain_state(dom) == "running" and dom.ID() == domain_id, "the guest never stopped"
        pool_path = api.pool_path(api.lookup_pool(conn, POOL))
        live, _unused = checkpoint.find_disk(api.domain_xml(dom, inactive=False), "vda", POOL, pool_path)
        stored = transform.domain_facts(api.domain_xml(dom, inactive=True))["disks"][0]
    assert (live["volume"], live["backing_volume"]) == (disk2, disk1)
    assert (stored["volume"], stored["pool"], stored["format"]) == (disk2, POOL, "qcow2")
    assert _volume(disk2)["backing"] == _volume(disk1)["path"] and _volume(disk2)["format"] == "qcow2"

    # The checkpoint is what the disk held, and stays so while the guest writes (to the overlay).
    assert _sha256(disk1) == before
    overlay_before = _sha256(disk2)
    _guest_writes(name, 512 * 1024, 512 * 1024)
    assert _sha256(disk1) == before
    assert _sha256(disk2) != overlay_before
    seen = module("console", {"name": name, "steps": [{"expect": "CHECKPOINT-HELLO", "timeout": 10}]})
    assert not seen.failed, "the guest still runs"

    for disk in (disk1, "vda", disk2):
        again = module("vm_checkpoint", dict(args, disk=disk), check=True)
        assert again["changed"] is False, (disk, again.result)
        assert again["checkpoint"]["name"] == disk1 and again["overlay"]["name"] == disk2
    assert module("vm_checkpoint", args)["changed"] is False

    # The vm module, now told the disk is the overlay, sees nothing to change and no restart pending.
    vm = dict(guest["vm"], disks=[{"volume": disk2}])
    for check in (True, False):
        same = module("vm", vm, check=check)
        assert same["changed"] is False and not same.get("pending_restart"), same.result


def test_refusals_name_the_field_and_touch_nothing(guest, module, run_id):
    name, disk1 = guest["name"], guest["disk1"]
    other, off, off_disk = f"{run_id}-cp-other.qcow2", f"{run_id}-cpoff", f"{run_id}-cpoff.qcow2"
    try:
        assert not module("vm_volume", {"name": other, "size": "1M"}).failed
        assert not module("vm", {"name": off, "state": "present", "accel": "tcg", "memory": 32,
                                 "disks": [{"volume": off_disk, "size": "1M"}]}).failed
        cases = [
            ({"name": name, "disk": "vda", "overlay": other}, "overlay:", "already exists"),
            ({"name": name, "disk": "vdz", "overlay": f"{run_id}-cp-new.qcow2"}, "disk:", "vda ("),
            ({"name": f"{run_id}-nope", "disk": "vda", "overlay": f"{run_id}-cp-new.qcow2"}, "name:", "vm_volume"),
            ({"name": off, "disk": "vda", "overlay": f"{run_id}-cp-new.qcow2"}, "name:", "not running"),
            ({"name": off, "disk": off_disk, "overlay": f"{run_id}-cp-new.qcow2"}, "name:", "backing: "),
            ({"name": name, "disk": "vda", "overlay": "../x"}, "overlay:", "not a valid name"),
        ]
        for args, field, hint in cases:
            for check in (True, False):
                refused = module("vm_checkpoint", args, check=check)
                assert refused.failed and refused["msg"].startswith(field), (args, refused.result)
                assert hint in refused["msg"], refused["msg"]
                assert "Traceback" not in refused.stdout + refused.stderr
        assert _volume(f"{run_id}-cp-new.qcow2") is None
        assert _volume(other)["backing"] is None
    finally:
        module("vm", {"name": off, "state": "absent", "remove_volumes": True})
        module("vm_volume", {"name": other, "state": "absent"})


def test_removal_deletes_the_overlay_and_its_own_checkpoint(guest, module, run_id):
    name, disk1, disk2 = guest["name"], guest["disk1"], guest["disk2"]
    if _volume(disk2) is None:
        pytest.skip("needs the checkpoint of test_checkpoint_of_a_running_guest")
    clone = f"{run_id}-cp-clone.qcow2"
    gone = {"name": name, "state": "absent", "remove_volumes": True}
    # A checkpoint that another volume is backed by is shared: it stays.
    assert not module("vm_volume", {"name": clone, "backing": disk1}).failed
    try:
        shared = module("vm", gone, check=True)
        assert shared["actions"][-1] == f"delete volumes {disk2}", shared["actions"]
    finally:
        module("vm_volume", {"name": clone, "state": "absent"})
    planned = module("vm", gone, check=True)
    assert planned["actions"][-1] == f"delete volumes {disk2}, {disk1}", planned["actions"]
    removed = module("vm", gone)
    assert removed["volumes_deleted"] == [disk2, disk1]
    assert _volume(disk1) is None and _volume(disk2) is None
    with api.connection() as conn:
        assert api.lookup_domain(conn, name) is None
