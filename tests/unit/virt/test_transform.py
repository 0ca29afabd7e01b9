"""spec -> libvirt XML -> facts / canonical text: pure round trips."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import transform
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.spec import parse_vm_spec

ALOOFIX = {
    "name": "aloofix", "arch": "i686", "cpu": "kvm32", "memory": 512,
    "disks": [{"volume": "aloofix.qcow2", "size": "12G"}], "cdrom": "/srv/aloofix.iso", "boot": ["cdrom", "hd"],
    "nics": [{"forwards": [{"guest": 22, "host": 22022}, {"guest": 80}]}],
    "console_log": "/var/log/aloofix.log", "metadata": {"pipeline": "buildstrap", "recipe": "aloofix-0.9"},
}


def render(params, accel="tcg", ports=None):
    spec = parse_vm_spec(params, accel)
    spec = transform.with_host_ports(spec, ports or {(0, 80, "tcp"): 22080})
    return spec, transform.domain_xml(spec)


def test_domain_xml_has_the_aloofix_hardware_profile():
    _unused, xml = render(ALOOFIX)
    root = ET.fromstring(xml)
    assert root.get("type") == "qemu"
    assert root.find("os/type").attrib == {"arch": "i686", "machine": "pc"}
    assert [b.get("dev") for b in root.findall("os/boot")] == ["cdrom", "hd"]
    assert root.findtext("cpu/model") == "kvm32"
    assert root.findtext("on_reboot") == "restart"
    cdrom = [d for d in root.findall("devices/disk") if d.get("device") == "cdrom"][0]
    assert cdrom.find("target").attrib == {"dev": "hdc", "bus": "ide"}
    assert root.find("devices/serial/log").get("file") == "/var/log/aloofix.log"
    args = [a.get("value") for a in root.iter(f"{{{transform.QEMU_NS}}}arg")]
    assert args[0:2] == ["-netdev", "user,id=bsnet0,hostfwd=tcp:127.0.0.1:22022-:22,hostfwd=tcp:127.0.0.1:22080-:80"]
    assert args[3].startswith("virtio-net-pci,netdev=bsnet0,mac=52:54:00:")


def test_kvm_domain_type():
    _unused, xml = render(ALOOFIX, accel="kvm")
    assert ET.fromstring(xml).get("type") == "kvm"


def test_facts_round_trip():
    spec, xml = render(ALOOFIX)
    facts = transform.domain_facts(xml)
    assert facts["metadata"] == {"pipeline": "buildstrap", "recipe": "aloofix-0.9"}
    assert facts["nics"][0]["forwards"] == [
        {"proto": "tcp", "host_addr": "127.0.0.1", "host": 22022, "guest": 22},
        {"proto": "tcp", "host_addr": "127.0.0.1", "host": 22080, "guest": 80}]
    assert facts["nics"][0]["mac"] == spec.nics[0].mac
    assert facts["disks"] == [{"target": "vda", "bus": "virtio", "volume": "aloofix.qcow2", "pool": "buildstrap",
                               "path": None, "format": "qcow2"}]
    assert transform.forwards_in(xml) == {(0, 22, "tcp"): 22022, (0, 80, "tcp"): 22080}


def test_libvirt_expansions_compare_equal():
    """What libvirt adds (machine version, KiB, addresses, controllers, default cpu) is not a change."""
    _unused, xml = render(dict(ALOOFIX, cpu=None))
    root = ET.fromstring(xml)
    root.find("os/type").set("machine", "pc-i440fx-7.2")
    memory = root.find("memory")
    memory.set("unit", "KiB")
    memory.text = str(512 * 1024)
    ET.SubElement(root.find("devices"), "controller", type="usb")
    ET.SubElement(ET.SubElement(root, "cpu", mode="custom"), "model").text = "qemu64"
    expanded = ET.tostring(root, encoding="unicode")
    assert transform.canonical_domain(expanded, ("cpu",)) == transform.canonical_domain(xml, ("cpu",))
    assert transform.canonical_domain(expanded) != transform.canonical_domain(xml)


@pytest.mark.parametrize("change", [
    {"memory": 1024}, {"boot": ["hd"]}, {"cdrom": ""}, {"cpu": "qemu32"},
    {"metadata": {"pipeline": "buildstrap", "recipe": "minifix"}},
    {"nics": [{"forwards": [{"guest": 22, "host": 22023}, {"guest": 80}]}]},
])
def test_real_changes_differ(change):
    _unused, before = render(ALOOFIX)
    _unused, after = render(dict(ALOOFIX, **change))
    assert transform.canonical_domain(before) != transform.canonical_domain(after)


def test_disk_targets_leave_hdc_to_the_cd():
    spec = parse_vm_spec({"name": "x", "disks": [{"volume": "a", "bus": "ide"}, {"volume": "b", "bus": "ide"},
                                                 {"volume": "c", "bus": "ide"}], "cdrom": ""}, "tcg")
    assert transform.disk_targets(spec) == ["hda", "hdb", "hdd", "hdc"]


def test_empty_tray_and_volume_media():
    _unused, xml = render(dict(ALOOFIX, cdrom=""))
    assert "media='(empty)'" in transform.canonical_domain(xml)
    _unused, xml = render(dict(ALOOFIX, cdrom={"volume": "a.iso"}))
    assert "media='buildstrap/a.iso'" in transform.canonical_domain(xml)
    spec, _unused = render(dict(ALOOFIX, cdrom={"volume": "a.iso"}))
    cd = ET.fromstring(transform.cdrom_device_xml(spec))
    assert cd.find("source").attrib == {"pool": "buildstrap", "volume": "a.iso"}
