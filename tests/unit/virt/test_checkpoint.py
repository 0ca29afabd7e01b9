"""vm_checkpoint's pure XML parts: finding the disk, the snapshot request, the persistent fix, the records."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import checkpoint, transform
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.spec import parse_vm_spec

POOL, POOL_PATH = "buildstrap", "/var/lib/libvirt/images/buildstrap"
SPEC = {"name": "x", "disks": [{"volume": "x-disk1.qcow2"}, {"volume": "x-data.qcow2", "bus": "sata"}],
        "cdrom": "/srv/x.iso", "boot": ["cdrom", "hd"], "metadata": {"pipeline": "tests"}}

# What libvirt 9.0 reports for a running domain's disk after an external snapshot (trimmed).
AFTER_LIVE = f"""<domain type='qemu' id='3'><name>x</name><devices>
  <disk type='file' device='disk'>
    <driver name='qemu' type='qcow2'/>
    <source file='{POOL_PATH}/x-disk2.qcow2' index='3'/>
    <backingStore type='volume' index='2'>
      <format type='qcow2'/>
      <source pool='buildstrap' volume='x-disk1.qcow2'/>
      <backingStore/>
    </backingStore>
    <target dev='vda' bus='virtio'/>
  </disk>
  <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
</devices></domain>"""


def spec_xml(params=None):
    return transform.domain_xml(parse_vm_spec(SPEC if params is None else params, "tcg"))


@pytest.mark.parametrize("name, target, how", [
    ("vda", "vda", "target"),
    ("x-disk1.qcow2", "vda", "volume"),
    ("x-data.qcow2", "sda", "volume"),
    ("sda", "sda", "target"),
    ("hdc", None, ""),  # the CD is not a disk to checkpoint
    ("nothere.qcow2", None, ""),
])
def test_find_disk_by_target_or_volume(name, target, how):
    entry, found_how = checkpoint.find_disk(spec_xml(), name, POOL, POOL_PATH)
    assert (entry["target"] if entry else None, found_how) == (target, how)


def test_after_the_snapshot_the_old_volume_name_finds_the_disk_through_its_backing():
    entry, how = checkpoint.find_disk(AFTER_LIVE, "x-disk1.qcow2", POOL, POOL_PATH)
    assert how == "backing"
    assert (entry["target"], entry["volume"], entry["backing_volume"]) == ("vda", "x-disk2.qcow2", "x-disk1.qcow2")
    assert checkpoint.disk_line(entry, POOL) == \
        "vda: buildstrap/x-disk2.qcow2 (backing, read-only: buildstrap/x-disk1.qcow2)\n"


@pytest.mark.parametrize("source, expected", [
    ({"pool": "buildstrap", "volume": "a.qcow2"}, "a.qcow2"),
    ({"pool": "other", "volume": "a.qcow2"}, None),
    ({"file": f"{POOL_PATH}/a.qcow2"}, "a.qcow2"),
    ({"file": f"{POOL_PATH}/sub/a.qcow2"}, None),
    ({"file": "/srv/a.qcow2"}, None),
    ({}, None),
    (None, None),
])
def test_volume_of_a_source(source, expected):
    assert checkpoint.volume_of(source, POOL, POOL_PATH) == expected


def test_snapshot_xml_takes_one_disk_external_and_leaves_the_others_out():
    root = ET.fromstring(checkpoint.snapshot_xml(spec_xml(), "vda", f"{POOL_PATH}/x-disk2.qcow2"))
    assert root.tag == "domainsnapshot" and root.find("memory").get("snapshot") == "no"
    disks = {d.get("name"): d for d in root.findall("disks/disk")}
    assert {n: d.get("snapshot") for n, d in disks.items()} == {"vda": "external", "sda": "no", "hdc": "no"}
    assert disks["vda"].find("driver").get("type") == "qcow2"
    assert disks["vda"].find("source").get("file") == f"{POOL_PATH}/x-disk2.qcow2"


def test_persistent_fix_makes_the_vm_module_see_the_overlay_volume():
    # libvirt leaves the persistent disk as type='file'; the vm module's spec says {volume: x-disk2.qcow2}.
    inactive = spec_xml().replace("<source pool=\"buildstrap\" volume=\"x-disk1.qcow2\" />",
                                  f"<source file=\"{POOL_PATH}/x-disk2.qcow2\" />")
    assert "x-disk1.qcow2" not in inactive
    fixed = checkpoint.persistent_with_overlay(inactive, "vda", POOL, "x-disk2.qcow2", "x-disk1.qcow2")
    wanted = spec_xml(dict(SPEC, disks=[{"volume": "x-disk2.qcow2"}, {"volume": "x-data.qcow2", "bus": "sata"}]))
    assert transform.canonical_domain(fixed) == transform.canonical_domain(wanted)
    assert transform.domain_facts(fixed)["metadata"] == {"pipeline": "tests"}  # the vm metadata is untouched
    assert checkpoint.checkpoints_recorded(fixed) == [
        {"disk": "vda", "pool": POOL, "volume": "x-disk1.qcow2", "overlay": "x-disk2.qcow2"}]
    # Applying it again records nothing twice.
    again = checkpoint.persistent_with_overlay(fixed, "vda", POOL, "x-disk2.qcow2", "x-disk1.qcow2")
    assert len(checkpoint.checkpoints_recorded(again)) == 1


def test_persistent_fix_of_a_missing_disk_is_an_error():
    with pytest.raises(ValueError):
        checkpoint.persistent_with_overlay(spec_xml(), "vdz", POOL, "o.qcow2", "c.qcow2")


def test_records_survive_a_redefinition_by_the_vm_module():
    fixed = checkpoint.persistent_with_overlay(spec_xml(), "vda", POOL, "x-disk2.qcow2", "x-disk1.qcow2")
    redefined = checkpoint.keep_recorded_checkpoints(fixed, spec_xml(dict(SPEC, cdrom="")))
    assert checkpoint.checkpoints_recorded(redefined) == checkpoint.checkpoints_recorded(fixed)
    assert transform.is_managed(redefined)
    plain = spec_xml()
    assert checkpoint.keep_recorded_checkpoints(None, plain) == plain
    assert checkpoint.keep_recorded_checkpoints(plain, plain) == plain
