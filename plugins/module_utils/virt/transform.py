# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure transforms between VM specs and libvirt XML.

``domain_xml(spec)`` renders what libvirt is given. ``canonical_domain(xml)`` keeps only the parts Buildstrap
manages, in a fixed order, with libvirt's expansions folded back (``pc-i440fx-7.2`` -> ``pc``, KiB -> MiB),
so that comparing the wanted and the actual domain is semantic and an unchanged spec is ``changed: false``.
The same canonical text is the before/after of the module's diff.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.spec import (
    Cdrom, Disk, Nic, PortForward, VMSpec,
)

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
META_NS = "https://buildstrap.aloofix.org/xmlns/vm/1"
ET.register_namespace("qemu", QEMU_NS)
ET.register_namespace("buildstrap", META_NS)

# SLIRP NICs are passed on QEMU's command line; they sit on PCI slots libvirt does not hand out.
_USER_NIC_FIRST_SLOT = 0x10
_NIC_DEVICE = {"virtio": "virtio-net-pci", "e1000": "e1000", "rtl8139": "rtl8139"}
_DEVICE_NIC = {v: k for k, v in _NIC_DEVICE.items()}
_TARGET_PREFIX = {"virtio": "vd", "ide": "hd", "sata": "sd", "scsi": "sd"}
_HOSTFWD_RE = re.compile(r"^(tcp|udp):([0-9.]+):(\d+)-:(\d+)$")


def disk_targets(spec: VMSpec) -> list[str]:
    """Target device names, disks first then the CD. On IDE the CD is hdc (secondary master), where
    Aloofix's live system looks for it."""
    used: set[str] = set()
    if spec.cdrom is not None and spec.cdrom.bus == "ide":
        used.add("hdc")
    targets = []
    for disk in spec.disks:
        prefix = "sd" if disk.bus in ("sata", "scsi") else _TARGET_PREFIX[disk.bus]
        letter = 0
        while f"{prefix}{chr(97 + letter)}" in used:
            letter += 1
        name = f"{prefix}{chr(97 + letter)}"
        used.add(name)
        targets.append(name)
    if spec.cdrom is not None:
        if spec.cdrom.bus == "ide":
            targets.append("hdc")
        else:
            letter = 0
            while f"sd{chr(97 + letter)}" in used:
                letter += 1
            targets.append(f"sd{chr(97 + letter)}")
    return targets


def netdev_args(nic: Nic, index: int) -> list[str]:
    """QEMU arguments for a SLIRP NIC with its loopback port forwards."""
    netdev = [f"user,id=bsnet{index}"]
    for fwd in nic.forwards:
        netdev.append(f"hostfwd={fwd.proto}:{fwd.host_addr}:{fwd.host_port}-:{fwd.guest_port}")
    device = f"{_NIC_DEVICE[nic.model]},netdev=bsnet{index},mac={nic.mac},addr={_USER_NIC_FIRST_SLOT + index:#x}"
    return ["-netdev", ",".join(netdev), "-device", device]


def _sub(parent, tag, text=None, **attrs):
    element = ET.SubElement(parent, tag, {k.rstrip("_"): str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = str(text)
    return element


def _disk_source(element, disk: Disk | Cdrom):
    if isinstance(disk, Cdrom) and disk.path:
        _sub(element, "source", file=disk.path)
    elif disk.volume:
        _sub(element, "source", pool=disk.pool, volume=disk.volume)


def domain_xml(spec: VMSpec) -> str:
    """Render a VMSpec as libvirt domain XML. Every forward must already have its host port."""
    dom = ET.Element("domain", {"type": "kvm" if spec.accel == "kvm" else "qemu"})
    _sub(dom, "name", spec.name)
    _sub(dom, "uuid", spec.uuid)
    meta = _sub(_sub(dom, "metadata"), f"{{{META_NS}}}vm")
    for key, value in spec.metadata:
        _sub(meta, f"{{{META_NS}}}{key}", value)
    _sub(dom, "memory", spec.memory_mib, unit="MiB")
    _sub(dom, "vcpu", spec.vcpus)
    os_el = _sub(dom, "os")
    _sub(os_el, "type", "hvm", arch=spec.arch, machine=spec.machine)
    if spec.kernel:
        _sub(os_el, "kernel", spec.kernel)
        if spec.initrd:
            _sub(os_el, "initrd", spec.initrd)
        if spec.cmdline:
            _sub(os_el, "cmdline", spec.cmdline)
    for dev in spec.boot:
        _sub(os_el, "boot", dev=dev)
    features = _sub(dom, "features")
    _sub(features, "acpi")
    _sub(features, "apic")
    if spec.arch == "i686":
        _sub(features, "pae")
    if spec.cpu:
        cpu = _sub(dom, "cpu", mode="custom", match="exact", check="none")
        _sub(cpu, "model", spec.cpu, fallback="forbid")
    _sub(dom, "on_poweroff", "destroy")
    # restart keeps the same QEMU process, so a console stream survives the guest's reboot.
    _sub(dom, "on_reboot", "restart")
    _sub(dom, "on_crash", "destroy")
    devices = _sub(dom, "devices")
    targets = disk_targets(spec)
    for disk, target in zip(spec.disks, targets):
        el = _sub(devices, "disk", type="volume", device="disk")
        _sub(el, "driver", name="qemu", type=disk.format)
        _disk_source(el, disk)
        _sub(el, "target", dev=target, bus=disk.bus)
    if spec.cdrom is not None:
        kind = "file" if spec.cdrom.path or spec.cdrom.empty else "volume"
        el = _sub(devices, "disk", type=kind, device="cdrom")
        _sub(el, "driver", name="qemu", type="raw")
        _disk_source(el, spec.cdrom)
        _sub(el, "target", dev=targets[-1], bus=spec.cdrom.bus)
        _sub(el, "readonly")
    for nic in spec.nics:
        if nic.type == "network":
            el = _sub(devices, "interface", type="network")
            _sub(el, "source", network=nic.network)
            _sub(el, "mac", address=nic.mac)
            _sub(el, "model", type=nic.model)
    serial = _sub(devices, "serial", type="pty")
    if spec.console_log:
        # append=off: virtlogd starts the file anew with each QEMU process, so it holds this boot's output.
        _sub(serial, "log", file=spec.console_log, append="off")
    _sub(serial, "target", port=0)
    console = _sub(devices, "console", type="pty")
    _sub(console, "target", type="serial", port=0)
    _sub(devices, "memballoon", model="none")
    user_nics = [n for n in spec.nics if n.type == "user"]
    if user_nics:
        cmdline = _sub(dom, f"{{{QEMU_NS}}}commandline")
        for index, nic in enumerate(user_nics):
            for arg in netdev_args(nic, index):
                _sub(cmdline, f"{{{QEMU_NS}}}arg", value=arg)
    ET.indent(dom)
    return ET.tostring(dom, encoding="unicode")


def _machine_family(machine: str) -> str:
    if machine.startswith("pc-q35") or machine == "q35":
        return "q35"
    if machine.startswith("pc-i440fx") or machine == "pc":
        return "pc"
    return machine


def _memory_mib(element) -> int:
    factor = {"KiB": 1 / 1024, "k": 1 / 1024, "KB": 1000 / 1024 ** 2, "MiB": 1, "M": 1, "GiB": 1024, "G": 1024,
              "b": 1 / 1024 ** 2, "bytes": 1 / 1024 ** 2}
    return int(round(int(element.text) * factor.get(element.get("unit", "KiB"), 1 / 1024)))


def _parse_user_nics(root) -> list[dict]:
    args = [a.get("value") for a in root.findall(f"{{{QEMU_NS}}}commandline/{{{QEMU_NS}}}arg")]
    netdevs, devices = {}, {}
    for flag, value in zip(args, args[1:]):
        if flag == "-netdev" and value.startswith("user,"):
            opts = value.split(",")
            ident = next(o[3:] for o in opts if o.startswith("id="))
            netdevs[ident] = [o[8:] for o in opts if o.startswith("hostfwd=")]
        elif flag == "-device":
            parts = value.split(",")
            opts = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
            devices[opts.get("netdev")] = (parts[0], opts.get("mac"))
    nics = []
    for ident, fwds in netdevs.items():
        model, mac = devices.get(ident, ("virtio-net-pci", None))
        forwards = []
        for fwd in fwds:
            match = _HOSTFWD_RE.match(fwd)
            if match:
                forwards.append({"proto": match.group(1), "host_addr": match.group(2),
                                 "host": int(match.group(3)), "guest": int(match.group(4))})
        nics.append({"type": "user", "mac": mac, "model": _DEVICE_NIC.get(model, model), "forwards": forwards})
    return nics


def domain_facts(xml: str) -> dict:
    """The managed parts of a domain's XML as plain data (what ``vm`` returns and compares)."""
    root = ET.fromstring(xml)
    os_el = root.find("os")
    type_el = os_el.find("type")
    facts = {
        "name": root.findtext("name"),
        "uuid": root.findtext("uuid"),
        "accel": "kvm" if root.get("type") == "kvm" else "tcg",
        "arch": type_el.get("arch"),
        "machine": _machine_family(type_el.get("machine", "pc")),
        "cpu": root.findtext("cpu/model"),
        "memory_mib": _memory_mib(root.find("memory")),
        "vcpus": int(root.findtext("vcpu")),
        "boot": [b.get("dev") for b in os_el.findall("boot")],
        "kernel": os_el.findtext("kernel"),
        "initrd": os_el.findtext("initrd"),
        "cmdline": os_el.findtext("cmdline"),
        "metadata": {},
        "disks": [],
        "cdrom": None,
        "nics": [],
        "console_log": None,
    }
    meta = root.find(f"metadata/{{{META_NS}}}vm")
    if meta is not None:
        facts["metadata"] = {child.tag.split("}", 1)[1]: child.text or "" for child in meta}
    for disk in root.findall("devices/disk"):
        source = disk.find("source")
        src = dict(source.attrib) if source is not None else {}
        target = disk.find("target")
        entry = {"target": target.get("dev"), "bus": target.get("bus")}
        if disk.get("device") == "cdrom":
            entry.update({"path": src.get("file"), "volume": src.get("volume"), "pool": src.get("pool")})
            facts["cdrom"] = entry
        elif disk.get("device") == "disk":
            driver = disk.find("driver")
            entry.update({"volume": src.get("volume"), "pool": src.get("pool"), "path": src.get("file"),
                          "format": driver.get("type") if driver is not None else None})
            facts["disks"].append(entry)
    for iface in root.findall("devices/interface"):
        source, mac, model = iface.find("source"), iface.find("mac"), iface.find("model")
        facts["nics"].append({
            "type": iface.get("type"),
            "network": source.get("network") if source is not None else None,
            "mac": mac.get("address") if mac is not None else None,
            "model": model.get("type") if model is not None else None,
        })
    facts["nics"].extend(_parse_user_nics(root))
    log = root.find("devices/serial/log")
    if log is not None:
        facts["console_log"] = log.get("file")
    return facts


def canonical_domain(xml: str, unmanaged: tuple[str, ...] = ()) -> str:
    """A stable text of the managed parts, for comparison and for the diff.

    ``unmanaged`` names facts the spec leaves to libvirt (e.g. ``cpu``, which libvirt fills in at first start).
    """
    facts = domain_facts(xml)
    for key in unmanaged:
        facts[key] = None
    lines = [f"<domain accel='{facts['accel']}' name='{facts['name']}' uuid='{facts['uuid']}'>"]
    for key in ("arch", "machine", "cpu", "memory_mib", "vcpus", "kernel", "initrd", "cmdline", "console_log"):
        if facts[key] is not None:
            lines.append(f"  <{key}>{facts[key]}</{key}>")
    for key, value in sorted(facts["metadata"].items()):
        lines.append(f"  <metadata {key}='{value}'/>")
    for dev in facts["boot"]:
        lines.append(f"  <boot dev='{dev}'/>")
    for disk in facts["disks"]:
        lines.append("  <disk " + " ".join(f"{k}='{v}'" for k, v in sorted(disk.items()) if v is not None) + "/>")
    if facts["cdrom"] is not None:
        cd = facts["cdrom"]
        media = cd.get("path") or (f"{cd['pool']}/{cd['volume']}" if cd.get("volume") else "(empty)")
        lines.append(f"  <cdrom target='{cd['target']}' bus='{cd['bus']}' media='{media}'/>")
    for nic in facts["nics"]:
        fwd = " ".join(f"{f['proto']}:{f['host_addr']}:{f['host']}->{f['guest']}" for f in nic.get("forwards", []))
        lines.append(f"  <nic type='{nic['type']}' mac='{nic['mac']}' model='{nic['model']}'"
                     + (f" network='{nic['network']}'" if nic.get("network") else "")
                     + (f" forwards='{fwd}'" if fwd else "") + "/>")
    lines.append("</domain>")
    return "\n".join(lines) + "\n"


def forwards_in(xml: str) -> dict[tuple[int, int, str], int]:
    """{(nic index, guest port, proto): host port} of a domain's SLIRP NICs, to keep ports stable across runs."""
    result = {}
    for index, nic in enumerate(_parse_user_nics(ET.fromstring(xml))):
        for fwd in nic["forwards"]:
            result[(index, fwd["guest"], fwd["proto"])] = fwd["host"]
    return result


def with_host_ports(spec: VMSpec, ports: dict[tuple[int, int, str], int]) -> VMSpec:
    """Fill forwards whose host port is 'auto' from ``ports`` ({(user-nic index, guest, proto): port})."""
    from dataclasses import replace

    nics, user_index = [], 0
    for nic in spec.nics:
        if nic.type == "user":
            fwds = tuple(fwd if fwd.host_port is not None else
                         PortForward(fwd.guest_port, ports[(user_index, fwd.guest_port, fwd.proto)],
                                     fwd.host_addr, fwd.proto)
                         for fwd in nic.forwards)
            nic = replace(nic, forwards=fwds)
            user_index += 1
        nics.append(nic)
    return replace(spec, nics=tuple(nics))


def cdrom_device_xml(spec: VMSpec) -> str:
    """The CD drive alone, for a live media change (updateDeviceFlags)."""
    dom = ET.fromstring(domain_xml(spec))
    cdrom = next(d for d in dom.findall("devices/disk") if d.get("device") == "cdrom")
    return ET.tostring(cdrom, encoding="unicode")


def is_managed(xml: str) -> bool:
    return ET.fromstring(xml).find(f"metadata/{{{META_NS}}}vm") is not None
