# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VM specifications: validation of user input into typed, immutable specs. Pure: no libvirt, no I/O.

Every error names the option path (``disks[0].size``) and what would be valid, so a bad value is
reported before any VM or disk is touched.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError

ARCHES = ("i686", "x86_64")
MACHINES = ("pc", "q35")
ACCELS = ("kvm", "tcg")
BOOT_DEVICES = ("cdrom", "hd", "network")
DISK_BUSES = ("virtio", "ide", "sata", "scsi")
CDROM_BUSES = ("ide", "sata", "scsi")
NIC_MODELS = ("virtio", "e1000", "rtl8139")
DISK_FORMATS = ("qcow2", "raw")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
MAC_RE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
# Host-side forwards are bound only to loopback: guests are reached through 127.0.0.1, never a LAN address.
LOOPBACK_RE = re.compile(r"^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$")
_UUID_NAMESPACE = uuid.UUID("6f1b0d2e-8a4c-5e57-9a63-62756c647374")
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}
MIB = 1024 ** 2


@dataclass(frozen=True)
class PortForward:
    guest_port: int
    host_port: int | None  # None: allocate a free port on the hypervisor's loopback
    host_addr: str = "127.0.0.1"
    proto: str = "tcp"


@dataclass(frozen=True)
class Nic:
    type: str  # "user" (SLIRP with loopback forwards) or "network" (a named libvirt network)
    mac: str
    model: str = "virtio"
    network: str | None = None
    forwards: tuple[PortForward, ...] = ()


@dataclass(frozen=True)
class Disk:
    volume: str
    pool: str
    bus: str = "virtio"
    format: str = "qcow2"
    size: int | None = None  # bytes; used only when the volume has to be created
    backing: str | None = None  # a volume in the same pool to use as backing image


@dataclass(frozen=True)
class Cdrom:
    bus: str = "ide"
    path: str | None = None  # an ISO file on the hypervisor, or
    volume: str | None = None  # an ISO volume in ``pool``
    pool: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.path or self.volume)


@dataclass(frozen=True)
class VMSpec:
    name: str
    uuid: str
    arch: str = "x86_64"
    machine: str = "pc"
    cpu: str | None = None
    memory_mib: int = 512
    vcpus: int = 1
    accel: str = "tcg"
    disks: tuple[Disk, ...] = ()
    cdrom: Cdrom | None = None
    boot: tuple[str, ...] = ("hd",)
    kernel: str | None = None
    initrd: str | None = None
    cmdline: str | None = None
    nics: tuple[Nic, ...] = ()
    console_log: str | None = None
    metadata: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def metadata_dict(self) -> dict[str, str]:
        return dict(self.metadata)


def stable_uuid(name: str) -> str:
    """The same VM name gives the same UUID on every run and every host."""
    return str(uuid.uuid5(_UUID_NAMESPACE, name))


def stable_mac(name: str, index: int) -> str:
    """A locally administered MAC in QEMU's 52:54:00 range, stable per VM name and NIC index."""
    digest = hashlib.sha256(f"{name}/{index}".encode()).digest()
    return "52:54:00:" + ":".join(f"{b:02x}" for b in digest[:3])


def parse_size(value, field_name: str) -> int:
    """'512M', '8G', '1.5GiB', 1048576 -> bytes."""
    if isinstance(value, bool):
        raise SpecError(field_name, f"{value!r} is not a size; use bytes or a number with a unit such as 512M or 8G")
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE_RE.match(str(value))
        if not match:
            raise SpecError(field_name, f"{value!r} is not a size; use bytes or a number with a unit such as 512M or 8G")
        size = int(float(match.group(1)) * _UNITS[match.group(2).upper()])
    if size <= 0:
        raise SpecError(field_name, f"{value!r} must be larger than 0; use a size such as 512M or 8G")
    return size


def _choice(value, choices, field_name: str) -> str:
    if value not in choices:
        raise SpecError(field_name, f"{value!r} is not valid; use one of {', '.join(choices)}")
    return value


def _positive_int(value, field_name: str, minimum: int = 1, maximum: int | None = None) -> int:
    try:
        number = int(value)
        if isinstance(value, bool) or str(number) != str(value).strip():
            raise ValueError
    except (TypeError, ValueError):
        raise SpecError(field_name, f"{value!r} is not a whole number") from None
    if number < minimum or (maximum is not None and number > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise SpecError(field_name, f"{number} is out of range; use at least {minimum}{upper}")
    return number


def check_name(value, field_name: str = "name") -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise SpecError(field_name, f"{value!r} is not a valid name; use 1-63 letters, digits, '.', '_' or '-', "
                                    "starting with a letter or digit")
    return value


def _parse_forward(item, field_name: str) -> PortForward:
    if not isinstance(item, dict):
        raise SpecError(field_name, "must be a mapping with guest (port) and optional host (port or 'auto')")
    unknown = set(item) - {"guest", "host", "host_addr", "proto"}
    if unknown:
        raise SpecError(field_name, f"unknown keys {sorted(unknown)}; use guest, host, host_addr, proto")
    if "guest" not in item:
        raise SpecError(f"{field_name}.guest", "is required: the guest's TCP port, e.g. 22")
    guest = _positive_int(item["guest"], f"{field_name}.guest", 1, 65535)
    host = item.get("host", "auto")
    host_port = None if host in (None, "auto") else _positive_int(host, f"{field_name}.host", 1024, 65535)
    addr = item.get("host_addr") or "127.0.0.1"
    if not LOOPBACK_RE.match(str(addr)):
        raise SpecError(f"{field_name}.host_addr", f"{addr!r} is not a loopback address; guests are reached only "
                                                   "through 127.0.0.1 port forwards")
    proto = _choice(item.get("proto") or "tcp", ("tcp", "udp"), f"{field_name}.proto")
    return PortForward(guest_port=guest, host_port=host_port, host_addr=str(addr), proto=proto)


def _parse_nic(item, index: int, vm_name: str) -> Nic:
    field_name = f"nics[{index}]"
    if not isinstance(item, dict):
        raise SpecError(field_name, "must be a mapping such as {type: user, forwards: [{guest: 22}]}")
    nic_type = _choice(item.get("type") or "user", ("user", "network"), f"{field_name}.type")
    mac = (item.get("mac") or stable_mac(vm_name, index)).lower()
    if not MAC_RE.match(mac):
        raise SpecError(f"{field_name}.mac", f"{mac!r} is not a MAC address; use six hex pairs like 52:54:00:12:34:56")
    model = _choice(item.get("model") or "virtio", NIC_MODELS, f"{field_name}.model")
    forwards = tuple(_parse_forward(f, f"{field_name}.forwards[{i}]") for i, f in enumerate(item.get("forwards") or ()))
    network = item.get("network")
    if nic_type == "network":
        if not network:
            raise SpecError(f"{field_name}.network", "is required when type is network: the libvirt network's name")
        check_name(network, f"{field_name}.network")
        if forwards:
            raise SpecError(f"{field_name}.forwards", "only user NICs have port forwards; remove them or use type user")
    elif network:
        raise SpecError(f"{field_name}.network", "only applies to type network")
    seen = set()
    for i, fwd in enumerate(forwards):
        if (fwd.proto, fwd.guest_port) in seen:
            raise SpecError(f"{field_name}.forwards[{i}].guest", f"guest port {fwd.guest_port} is forwarded twice")
        seen.add((fwd.proto, fwd.guest_port))
    return Nic(type=nic_type, mac=mac, model=model, network=network, forwards=forwards)


def _parse_disk(item, index: int, default_pool: str) -> Disk:
    field_name = f"disks[{index}]"
    if not isinstance(item, dict):
        raise SpecError(field_name, "must be a mapping such as {volume: vm1.qcow2, size: 8G}")
    if not item.get("volume"):
        raise SpecError(f"{field_name}.volume", "is required: the volume's name in the storage pool")
    volume = check_name(item["volume"], f"{field_name}.volume")
    size = parse_size(item["size"], f"{field_name}.size") if item.get("size") is not None else None
    return Disk(
        volume=volume,
        pool=check_name(item.get("pool") or default_pool, f"{field_name}.pool"),
        bus=_choice(item.get("bus") or "virtio", DISK_BUSES, f"{field_name}.bus"),
        format=_choice(item.get("format") or "qcow2", DISK_FORMATS, f"{field_name}.format"),
        size=size,
        backing=check_name(item["backing"], f"{field_name}.backing") if item.get("backing") else None,
    )


def _parse_cdrom(value, default_pool: str, bus: str | None) -> Cdrom:
    bus = _choice(bus or "ide", CDROM_BUSES, "cdrom_bus")
    if value in (None, "", {}):
        return Cdrom(bus=bus)
    if isinstance(value, str):
        value = {"path": value}
    if not isinstance(value, dict) or not (value.get("path") or value.get("volume")):
        raise SpecError("cdrom", "use an ISO path, {path: ...}, {volume: ..., pool: ...}, or '' for an empty tray")
    if value.get("path") and value.get("volume"):
        raise SpecError("cdrom", "give either path or volume, not both")
    if value.get("path") and not str(value["path"]).startswith("/"):
        raise SpecError("cdrom.path", f"{value['path']!r} must be an absolute path on the hypervisor")
    return Cdrom(bus=bus, path=value.get("path"), volume=value.get("volume"),
                 pool=(value.get("pool") or default_pool) if value.get("volume") else None)


def parse_vm_spec(params: dict, accel: str) -> VMSpec:
    """Validate module parameters (or an inventory's VM definition) into a VMSpec."""
    name = check_name(params.get("name"), "name")
    pool = check_name(params.get("pool") or "buildstrap", "pool")
    arch = _choice(params.get("arch") or "x86_64", ARCHES, "arch")
    machine = _choice(params.get("machine") or "pc", MACHINES, "machine")
    accel = _choice(accel, ACCELS, "accel")
    memory = _positive_int(params.get("memory", 512), "memory", 16, 1024 * 1024)
    vcpus = _positive_int(params.get("vcpus", 1), "vcpus", 1, 64)
    disks = tuple(_parse_disk(d, i, pool) for i, d in enumerate(params.get("disks") or ()))
    targets = [d.volume for d in disks]
    for i, vol in enumerate(targets):
        if vol in targets[:i]:
            raise SpecError(f"disks[{i}].volume", f"{vol!r} is attached twice")
    # cdrom unset: no CD drive at all; cdrom '': a drive with an empty tray (the ISO ejected).
    cdrom = _parse_cdrom(params["cdrom"], pool, params.get("cdrom_bus")) if params.get("cdrom") is not None else None
    boot = tuple(params.get("boot") or ("hd",))
    for i, dev in enumerate(boot):
        _choice(dev, BOOT_DEVICES, f"boot[{i}]")
    if len(set(boot)) != len(boot):
        raise SpecError("boot", f"{list(boot)} names a device twice")
    if "cdrom" in boot and cdrom is None:
        raise SpecError("boot", "boots from cdrom but the VM has no cdrom; set cdrom (an ISO path or '')")
    if "hd" in boot and not disks and not params.get("kernel"):
        raise SpecError("boot", "boots from hd but the VM has no disks; add disks or remove hd")
    kernel, initrd, cmdline = params.get("kernel"), params.get("initrd"), params.get("cmdline")
    if (initrd or cmdline) and not kernel:
        raise SpecError("kernel", "is required when initrd or cmdline is set (direct kernel boot)")
    for key in ("kernel", "initrd", "console_log"):
        if params.get(key) and not str(params[key]).startswith("/"):
            raise SpecError(key, f"{params[key]!r} must be an absolute path on the hypervisor")
    nics = tuple(_parse_nic(n, i, name) for i, n in enumerate(params.get("nics") or ()))
    macs = [n.mac for n in nics]
    for i, mac in enumerate(macs):
        if mac in macs[:i]:
            raise SpecError(f"nics[{i}].mac", f"{mac} is used by another NIC of this VM")
    metadata = params.get("metadata") or {}
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and re.match(r"^[a-z][a-z0-9_]*$", k)
                                                 for k in metadata):
        raise SpecError("metadata", "must be a mapping of lower-case identifiers to strings, e.g. {recipe: minifix}")
    return VMSpec(
        name=name, uuid=stable_uuid(name), arch=arch, machine=machine, cpu=params.get("cpu") or None,
        memory_mib=memory, vcpus=vcpus, accel=accel, disks=disks, cdrom=cdrom, boot=boot,
        kernel=kernel, initrd=initrd, cmdline=cmdline, nics=nics,
        console_log=params.get("console_log") or None,
        metadata=tuple(sorted((k, str(v)) for k, v in metadata.items())),
    )


def check_fleet(specs: list[VMSpec]) -> None:
    """Rules that span VMs: unique names, unique fixed host ports, unique MACs."""
    names, ports, macs = {}, {}, {}
    for i, spec in enumerate(specs):
        if spec.name in names:
            raise SpecError(f"vms[{i}].name", f"{spec.name!r} is also the name of vms[{names[spec.name]}]; "
                                              "VM names must be unique")
        names[spec.name] = i
        for n, nic in enumerate(spec.nics):
            if nic.mac in macs:
                raise SpecError(f"vms[{i}].nics[{n}].mac", f"{nic.mac} is also used by {macs[nic.mac]}")
            macs[nic.mac] = spec.name
            for f, fwd in enumerate(nic.forwards):
                key = (fwd.host_addr, fwd.proto, fwd.host_port)
                if fwd.host_port is not None and key in ports:
                    raise SpecError(f"vms[{i}].nics[{n}].forwards[{f}].host",
                                    f"port {fwd.host_port} is also forwarded by {ports[key]}; use another or 'auto'")
                ports[key] = spec.name
