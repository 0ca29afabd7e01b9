"""parse_vm_spec and check_fleet: table-driven, pure."""

from __future__ import annotations

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.spec import (
    check_fleet, parse_size, parse_vm_spec, stable_mac, stable_uuid,
)

BASE = {"name": "vm1", "disks": [{"volume": "vm1.qcow2", "size": "1G"}]}


@pytest.mark.parametrize("value, expected", [
    ("512M", 512 * 1024 ** 2), ("8G", 8 * 1024 ** 3), ("1.5GiB", int(1.5 * 1024 ** 3)), ("12g", 12 * 1024 ** 3),
    (4096, 4096), ("4096", 4096), ("16 MiB", 16 * 1024 ** 2), ("1T", 1024 ** 4),
])
def test_sizes(value, expected):
    assert parse_size(value, "size") == expected


@pytest.mark.parametrize("value", ["abc", "", "-1G", "0", 0, "1X", True, "1.2.3G"])
def test_bad_sizes_name_the_field(value):
    with pytest.raises(SpecError, match=r"^disks\[0\]\.size: "):
        parse_size(value, "disks[0].size")


@pytest.mark.parametrize("override, field, hint", [
    ({"name": "bad name"}, "name", "letters, digits"),
    ({"name": ""}, "name", "letters, digits"),
    ({"memory": 0}, "memory", "at least 16"),
    ({"memory": "lots"}, "memory", "whole number"),
    ({"vcpus": 0}, "vcpus", "at least 1"),
    ({"arch": "arm"}, "arch", "i686, x86_64"),
    ({"machine": "virt"}, "machine", "pc, q35"),
    ({"disks": [{"size": "1G"}]}, "disks[0].volume", "is required"),
    ({"disks": [{"volume": "a", "size": "abc"}]}, "disks[0].size", "512M or 8G"),
    ({"disks": [{"volume": "a", "bus": "usb"}]}, "disks[0].bus", "virtio, ide"),
    ({"disks": [{"volume": "a"}, {"volume": "a"}]}, "disks[1].volume", "attached twice"),
    ({"cdrom": "relative.iso", "boot": ["cdrom"]}, "cdrom.path", "absolute path"),
    ({"cdrom": {"path": "/a.iso", "volume": "a.iso"}}, "cdrom", "not both"),
    ({"boot": ["cdrom"]}, "boot", "no cdrom"),
    ({"boot": ["hd", "hd"]}, "boot", "twice"),
    ({"boot": ["usb"]}, "boot[0]", "cdrom, hd, network"),
    ({"disks": [], "boot": ["hd"]}, "boot", "no disks"),
    ({"initrd": "/boot/initrd"}, "kernel", "direct kernel boot"),
    ({"kernel": "vmlinuz"}, "kernel", "absolute path"),
    ({"nics": [{"type": "bridge"}]}, "nics[0].type", "user, network"),
    ({"nics": [{"type": "network"}]}, "nics[0].network", "is required"),
    ({"nics": [{"type": "user", "network": "x"}]}, "nics[0].network", "only applies"),
    ({"nics": [{"mac": "zz:00:00:00:00:00"}]}, "nics[0].mac", "six hex pairs"),
    ({"nics": [{"forwards": [{"host": 2222}]}]}, "nics[0].forwards[0].guest", "is required"),
    ({"nics": [{"forwards": [{"guest": 70000}]}]}, "nics[0].forwards[0].guest", "at most 65535"),
    ({"nics": [{"forwards": [{"guest": 22, "host": 80}]}]}, "nics[0].forwards[0].host", "at least 1024"),
    ({"nics": [{"forwards": [{"guest": 22, "host_addr": "192.168.1.5"}]}]}, "nics[0].forwards[0].host_addr",
     "loopback"),
    ({"nics": [{"forwards": [{"guest": 22}, {"guest": 22}]}]}, "nics[0].forwards[1].guest", "twice"),
    ({"nics": [{"forwards": [{"guest": 22, "port": 1}]}]}, "nics[0].forwards[0]", "unknown keys"),
    ({"nics": [{"type": "network", "network": "lan", "forwards": [{"guest": 22}]}]}, "nics[0].forwards",
     "only user NICs"),
    ({"metadata": {"Bad Key": "x"}}, "metadata", "lower-case identifiers"),
])
def test_bad_specs_name_the_field(override, field, hint):
    with pytest.raises(SpecError) as err:
        parse_vm_spec(dict(BASE, **override), "tcg")
    assert err.value.field == field
    assert hint in str(err.value)
    assert str(err.value).startswith(f"{field}: ")


def test_defaults_and_stable_identity():
    spec = parse_vm_spec(dict(BASE, nics=[{"forwards": [{"guest": 22}]}]), "tcg")
    assert (spec.arch, spec.machine, spec.memory_mib, spec.vcpus, spec.boot) == ("x86_64", "pc", 512, 1, ("hd",))
    assert spec.uuid == stable_uuid("vm1") == parse_vm_spec(BASE, "kvm").uuid
    assert spec.nics[0].mac == stable_mac("vm1", 0)
    assert spec.nics[0].mac.startswith("52:54:00:") and spec.nics[0].mac != stable_mac("vm2", 0)
    assert spec.nics[0].forwards[0].host_port is None and spec.nics[0].forwards[0].host_addr == "127.0.0.1"
    assert spec.cdrom is None


def test_cdrom_forms():
    assert parse_vm_spec(dict(BASE, cdrom=""), "tcg").cdrom.empty
    assert parse_vm_spec(dict(BASE, cdrom="/x.iso"), "tcg").cdrom.path == "/x.iso"
    by_volume = parse_vm_spec(dict(BASE, cdrom={"volume": "x.iso"}), "tcg").cdrom
    assert (by_volume.volume, by_volume.pool, by_volume.bus) == ("x.iso", "buildstrap", "ide")


@pytest.mark.parametrize("specs, field, hint", [
    ([{"name": "a"}, {"name": "a"}], "vms[1].name", "unique"),
    ([{"name": "a", "nics": [{"forwards": [{"guest": 22, "host": 2222}]}]},
      {"name": "b", "nics": [{"forwards": [{"guest": 22, "host": 2222}]}]}], "vms[1].nics[0].forwards[0].host",
     "also forwarded by a"),
    ([{"name": "a", "nics": [{"mac": "52:54:00:00:00:01"}]}, {"name": "b", "nics": [{"mac": "52:54:00:00:00:01"}]}],
     "vms[1].nics[0].mac", "also used by a"),
])
def test_fleet_rules(specs, field, hint):
    parsed = [parse_vm_spec(dict(s, disks=[{"volume": s["name"] + ".qcow2"}]), "tcg") for s in specs]
    with pytest.raises(SpecError) as err:
        check_fleet(parsed)
    assert err.value.field == field and hint in str(err.value)


def test_fleet_with_auto_ports_is_fine():
    parsed = [parse_vm_spec({"name": n, "disks": [{"volume": n}], "nics": [{"forwards": [{"guest": 22}]}]}, "tcg")
              for n in ("a", "b")]
    check_fleet(parsed)
