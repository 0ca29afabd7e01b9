# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin calls into libvirt-python that turn libvirt errors into Buildstrap's typed exceptions.

Works the same on qemu:///system, qemu+ssh://host/system and libvirt's test:///default driver: files move
through libvirt's stream API, never through paths on the controller.
"""

from __future__ import annotations

import hashlib
import os
import threading
import xml.etree.ElementTree as ET
from contextlib import contextmanager

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import hypervisor
from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import (
    HypervisorError, SpecError, host_file_error,
)

try:
    import libvirt
    HAS_LIBVIRT = True
    LIBVIRT_IMPORT_ERROR = None
except ImportError as exc:  # reported by the modules with missing_required_lib()
    libvirt = None
    HAS_LIBVIRT = False
    LIBVIRT_IMPORT_ERROR = exc


def is_local(uri: str) -> bool:
    """Whether ``uri``'s hypervisor runs on this machine (hypervisor.is_local, for the callers of this layer)."""
    return hypervisor.is_local(uri)


DEFAULT_URI = "qemu:///system"
DEFAULT_POOL = "buildstrap"
DEFAULT_POOL_PATH = "/var/lib/libvirt/images/buildstrap"
_event_loop_lock = threading.Lock()
_event_loop_started = False


def _quiet(_ctx, _err):
    """libvirt prints every error on stderr by default; ours are raised as exceptions instead."""


def ensure_event_loop() -> None:
    """Console streams need libvirt's event loop, registered BEFORE the first connection is opened."""
    global _event_loop_started
    with _event_loop_lock:
        if _event_loop_started:
            return
        libvirt.registerErrorHandler(_quiet, None)
        libvirt.virEventRegisterDefaultImpl()

        def run():
            while True:
                libvirt.virEventRunDefaultImpl()

        threading.Thread(target=run, name="libvirt-events", daemon=True).start()
        _event_loop_started = True


def open_connection(uri: str = DEFAULT_URI):
    if not HAS_LIBVIRT:
        raise HypervisorError(f"libvirt-python is not installed: {LIBVIRT_IMPORT_ERROR}")
    ensure_event_loop()
    try:
        return libvirt.open(uri)
    except libvirt.libvirtError as exc:
        raise SpecError("uri", f"cannot connect to {uri!r}: {exc.get_error_message()}. "
                               "Check the URI (e.g. qemu:///system or qemu+ssh://host/system) "
                               "and that libvirtd is running there") from None


@contextmanager
def connection(uri: str = DEFAULT_URI):
    conn = open_connection(uri)
    try:
        yield conn
    finally:
        try:
            conn.close()
        except libvirt.libvirtError:
            pass


def _fail(action: str, exc) -> HypervisorError:
    return HypervisorError(f"{action}: {exc.get_error_message()}")


def _xml_name(xml: str) -> str:
    """The <name> of a domain, volume or network definition, for messages about it."""
    try:
        return ET.fromstring(xml).findtext("name") or "?"
    except ET.ParseError:
        return "?"


def _lookup(call, name: str, missing_code: str, what: str):
    """``call(name)``, or None when libvirt says there is no such object."""
    try:
        return call(name)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == getattr(libvirt, missing_code):
            return None
        raise _fail(f"looking up {what} {name}", exc) from None


# Domains -------------------------------------------------------------------------------------------------

def lookup_domain(conn, name: str):
    return _lookup(conn.lookupByName, name, "VIR_ERR_NO_DOMAIN", "domain")


def list_domains(conn):
    try:
        return conn.listAllDomains(0)
    except libvirt.libvirtError as exc:
        raise _fail("listing domains", exc) from None


def domain_xml(dom, inactive: bool = True) -> str:
    try:
        return dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0)
    except libvirt.libvirtError as exc:
        raise _fail(f"reading the XML of {dom.name()}", exc) from None


def other_domains_xml(conn, name: str) -> list[tuple[str, list[str]]]:
    """(name, [persistent XML, live XML when running]) of every domain but ``name``. A domain that another
    client removes while we read leaves the list instead of failing this one."""
    out = []
    for dom in list_domains(conn):
        try:
            if dom.name() == name:
                continue
            xmls = [dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)]
            if dom.isActive():
                xmls.append(dom.XMLDesc(0))
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                continue
            raise _fail(f"reading the definition of domain {dom.name()}", exc) from None
        out.append((dom.name(), xmls))
    return out


def define_domain(conn, xml: str):
    try:
        return conn.defineXML(xml)
    except libvirt.libvirtError as exc:
        raise _fail(f"defining domain {_xml_name(xml)}", exc) from None


def create_transient(conn, xml: str):
    try:
        return conn.createXML(xml, 0)
    except libvirt.libvirtError as exc:
        raise _fail(f"starting transient domain {_xml_name(xml)}", exc) from None


STATE_NAMES = {}
if HAS_LIBVIRT:
    STATE_NAMES = {
        libvirt.VIR_DOMAIN_NOSTATE: "nostate", libvirt.VIR_DOMAIN_RUNNING: "running",
        libvirt.VIR_DOMAIN_BLOCKED: "running", libvirt.VIR_DOMAIN_PAUSED: "paused",
        libvirt.VIR_DOMAIN_SHUTDOWN: "shutting-down", libvirt.VIR_DOMAIN_SHUTOFF: "shutoff",
        libvirt.VIR_DOMAIN_CRASHED: "crashed", libvirt.VIR_DOMAIN_PMSUSPENDED: "suspended",
    }


def domain_state(dom) -> str:
    try:
        return STATE_NAMES.get(dom.state()[0], "unknown")
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
            return "absent"
        raise _fail(f"reading the state of domain {dom.name()}", exc) from None


def start_domain(dom) -> None:
    try:
        dom.create()
    except libvirt.libvirtError as exc:
        raise _fail(f"starting {dom.name()}", exc) from None


def shutdown_domain(dom) -> None:
    try:
        dom.shutdown()
    except libvirt.libvirtError as exc:
        if exc.get_error_code() != libvirt.VIR_ERR_OPERATION_INVALID:  # already off
            raise _fail(f"shutting down {dom.name()}", exc) from None


def destroy_domain(dom) -> None:
    try:
        dom.destroy()
    except libvirt.libvirtError as exc:
        if exc.get_error_code() not in (libvirt.VIR_ERR_OPERATION_INVALID, libvirt.VIR_ERR_NO_DOMAIN):
            raise _fail(f"stopping {dom.name()}", exc) from None


def undefine_domain(dom) -> None:
    flags = (libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
             | libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
    try:
        try:
            dom.undefineFlags(flags)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() not in (libvirt.VIR_ERR_INVALID_ARG, libvirt.VIR_ERR_NO_SUPPORT):
                raise
            dom.undefine()  # drivers without NVRAM or snapshots reject those flags
    except libvirt.libvirtError as exc:
        if exc.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
            raise _fail(f"undefining {dom.name()}", exc) from None


def domain_is_active(dom) -> bool:
    try:
        return bool(dom.isActive())
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
            return False
        raise _fail(f"reading the state of domain {dom.name()}", exc) from None


def domain_run_id(dom) -> int:
    """The running domain's id: another id means it stopped and started again (-1 when it is off)."""
    try:
        return dom.ID()
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
            return -1
        raise _fail(f"reading the id of domain {dom.name()}", exc) from None


def domain_is_persistent(dom) -> bool:
    try:
        return bool(dom.isPersistent())
    except libvirt.libvirtError as exc:
        raise _fail(f"reading whether {dom.name()} is persistent", exc) from None


def create_disk_snapshot(dom, snapshot_xml: str) -> None:
    """An external disk-only snapshot of a running domain, all disks or none (ATOMIC), with no snapshot
    metadata left in libvirt (the overlay and its backing file are the whole record). No QUIESCE: that needs
    a guest agent, which Buildstrap's guests do not run."""
    flags = (libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA
             | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC)
    try:
        dom.snapshotCreateXML(snapshot_xml, flags)
    except libvirt.libvirtError as exc:
        raise _fail(f"taking a disk snapshot of {dom.name()}", exc) from None


def update_device(dom, device_xml: str, live: bool) -> None:
    flags = libvirt.VIR_DOMAIN_AFFECT_CONFIG | (libvirt.VIR_DOMAIN_AFFECT_LIVE if live else 0)
    try:
        dom.updateDeviceFlags(device_xml, flags)
    except libvirt.libvirtError as exc:
        if live and exc.get_error_code() == libvirt.VIR_ERR_OPERATION_INVALID and not dom.isActive():
            # the guest powered off between our look and the change (install2hd's reboot): its definition only
            update_device(dom, device_xml, live=False)
            return
        raise _fail(f"changing the media of {dom.name()}", exc) from None


def hypervisor_info(conn) -> dict:
    try:
        return {"hostname": conn.getHostname(), "libvirt": conn.getLibVersion(), "hypervisor": conn.getVersion(),
                "uri": conn.getURI()}
    except libvirt.libvirtError as exc:
        raise _fail("reading hypervisor information", exc) from None


def supports_kvm(conn, arch: str) -> bool:
    """Whether libvirt offers the kvm domain type for ``arch`` at all (a probe boot still decides)."""
    try:
        caps = ET.fromstring(conn.getCapabilities())
    except libvirt.libvirtError as exc:
        raise _fail("reading capabilities", exc) from None
    for guest in caps.findall("guest"):
        arch_el = guest.find("arch")
        if arch_el is not None and arch_el.get("name") == arch:
            return any(d.get("type") == "kvm" for d in arch_el.findall("domain"))
    return False


# Storage -------------------------------------------------------------------------------------------------

def lookup_pool(conn, name: str):
    return _lookup(conn.storagePoolLookupByName, name, "VIR_ERR_NO_STORAGE_POOL", "storage pool")


def ensure_pool(conn, name: str = DEFAULT_POOL, path: str = DEFAULT_POOL_PATH):
    """The directory pool Buildstrap's volumes live in; defined, built and started on first use."""
    pool = lookup_pool(conn, name)
    if pool is None and "/session" in _uri(conn):
        raise SpecError("pool", f"storage pool {name!r} does not exist on {_uri(conn)}: a session hypervisor's "
                                f"pool lives in its user's home, so define a directory pool named {name} there "
                                "first (scripts/setup.sh does for the second hypervisor, buildstrap-hv)")
    try:
        if pool is None:
            root = ET.Element("pool", type="dir")
            ET.SubElement(root, "name").text = name
            ET.SubElement(ET.SubElement(root, "target"), "path").text = path
            pool = conn.storagePoolDefineXML(ET.tostring(root, encoding="unicode"), 0)
            pool.build(0)
            pool.setAutostart(1)
        if not pool.isActive():
            pool.create(0)
        return pool
    except libvirt.libvirtError as exc:
        raise _fail(f"preparing storage pool {name}", exc) from None


def _uri(conn) -> str:
    try:
        return conn.getURI()
    except libvirt.libvirtError:
        return "?"


def lookup_volume(pool, name: str):
    return _lookup(pool.storageVolLookupByName, name, "VIR_ERR_NO_STORAGE_VOL", "volume")


def pool_path(pool) -> str:
    """The directory of a directory pool (where a snapshot's overlay file has to be created)."""
    try:
        return ET.fromstring(pool.XMLDesc(0)).findtext("target/path")
    except libvirt.libvirtError as exc:
        raise _fail(f"reading storage pool {pool.name()}", exc) from None


def list_volumes(pool) -> list:
    try:
        return pool.listAllVolumes(0)
    except libvirt.libvirtError as exc:
        raise _fail(f"listing the volumes of storage pool {pool.name()}", exc) from None


def volume_facts(vol) -> dict:
    try:
        root = ET.fromstring(vol.XMLDesc(0))
        vtype, capacity, allocation = vol.info()
    except libvirt.libvirtError as exc:
        raise _fail(f"reading volume {vol.name()}", exc) from None
    backing = root.findtext("backingStore/path")
    return {"name": vol.name(), "path": vol.path(), "capacity": capacity, "allocation": allocation,
            "format": root.find("target/format").get("type") if root.find("target/format") is not None else None,
            "backing": backing}


def volume_xml(name: str, capacity: int, fmt: str, backing_path: str | None = None,
               backing_format: str | None = None) -> str:
    root = ET.Element("volume")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "capacity", unit="bytes").text = str(capacity)
    ET.SubElement(ET.SubElement(root, "target"), "format", type=fmt)
    if backing_path:
        store = ET.SubElement(root, "backingStore")
        ET.SubElement(store, "path").text = backing_path
        ET.SubElement(store, "format", type=backing_format or "qcow2")
    return ET.tostring(root, encoding="unicode")


def create_volume(pool, xml: str):
    try:
        return pool.createXML(xml, 0)
    except libvirt.libvirtError as exc:
        raise _fail(f"creating volume {_xml_name(xml)} in storage pool {pool.name()}", exc) from None


def delete_volume(vol) -> None:
    try:
        vol.delete(0)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() != libvirt.VIR_ERR_NO_STORAGE_VOL:
            raise _fail(f"deleting volume {vol.name()}", exc) from None


def resize_volume(vol, capacity: int) -> None:
    try:
        vol.resize(capacity, 0)
    except libvirt.libvirtError as exc:
        raise _fail(f"resizing volume {vol.name()}", exc) from None


def refresh_pool(pool, patience: float = 120.0) -> None:
    """Rescan the pool's directory. libvirt refuses while another client builds, uploads or downloads a volume of
    the same pool ("has asynchronous jobs running"): that is waited out, not reported."""
    import time

    deadline = time.monotonic() + patience
    while True:
        try:
            pool.refresh(0)
            return
        except libvirt.libvirtError as exc:
            if "asynchronous jobs running" not in str(exc) or time.monotonic() > deadline:
                raise _fail(f"refreshing storage pool {pool.name()}", exc) from None
        time.sleep(0.5)


def upload_volume(conn, vol, src: str) -> int:
    """Copy a local file into a volume through libvirt's stream API (works on remote hypervisors)."""
    try:
        size = os.path.getsize(src)
        with open(src, "rb") as handle:
            stream = conn.newStream(0)
            vol.upload(stream, 0, size, 0)
            stream.sendAll(lambda _st, nbytes, fh: fh.read(nbytes), handle)
            stream.finish()
    except libvirt.libvirtError as exc:
        raise _fail(f"uploading {src} to {vol.name()}", exc) from None
    except OSError as exc:
        raise host_file_error(f"uploading {src} to volume {vol.name()}", exc) from None
    return size


def physical_size(vol) -> int:
    """Bytes of the volume's file (a qcow2's file, not its virtual size)."""
    try:
        return vol.infoFlags(libvirt.VIR_STORAGE_VOL_GET_PHYSICAL)[2]
    except libvirt.libvirtError as exc:
        raise _fail(f"reading the size of volume {vol.name()}", exc) from None


def flat_copy(pool, vol, name: str):
    """A standalone copy of ``vol`` in its own pool (libvirt's qemu-img convert: a qcow2 chain becomes one file)."""
    try:
        capacity = vol.info()[1]
        return pool.createXMLFrom(volume_xml(name, capacity, "qcow2"), vol, 0)
    except libvirt.libvirtError as exc:
        raise _fail(f"copying volume {vol.name()} to {name}", exc) from None


def stream_volume(src_conn, src_vol, dst_conn, dst_vol) -> tuple[int, str]:
    """Copy a volume's bytes to a volume of another hypervisor, stream to stream (nothing lands on the
    controller's disk); (bytes, sha256)."""
    digest = hashlib.sha256()
    total = 0
    size = physical_size(src_vol)
    down, up = src_conn.newStream(0), dst_conn.newStream(0)

    def sink(_st, data, _opaque):
        nonlocal total
        digest.update(data)
        total += len(data)
        view = memoryview(data)
        while view:
            sent = up.send(bytes(view))
            view = view[sent:]
        return len(data)

    try:
        dst_vol.upload(up, 0, size, 0)
        src_vol.download(down, 0, size, 0)
        down.recvAll(sink, None)
        down.finish()
        up.finish()
    except libvirt.libvirtError as exc:
        for stream in (down, up):
            try:
                stream.abort()
            except libvirt.libvirtError:
                pass
        raise _fail(f"copying volume {src_vol.name()} to {dst_vol.name()}", exc) from None
    return total, digest.hexdigest()


def download_volume(conn, vol, dest: str | None) -> tuple[int, str]:
    """Stream a volume to ``dest`` (or nowhere) and return (bytes, sha256)."""
    digest = hashlib.sha256()
    total = 0
    part = dest + ".part" if dest else None
    handle = None

    def sink(_st, data, _opaque):
        nonlocal total
        digest.update(data)
        total += len(data)
        if handle:
            handle.write(data)
        return len(data)

    try:
        if part:
            handle = open(part, "wb")
        stream = conn.newStream(0)
        vol.download(stream, 0, 0, 0)
        stream.recvAll(sink, None)
        stream.finish()
        if handle:
            handle.close()
            handle = None
            os.replace(part, dest)
    except libvirt.libvirtError as exc:
        raise _fail(f"downloading {vol.name()}", exc) from None
    except OSError as exc:
        raise host_file_error(f"downloading volume {vol.name()} to {dest}", exc) from None
    finally:
        if handle:
            handle.close()
        if part and os.path.exists(part):  # a failed download leaves no half-written file
            os.unlink(part)
    return total, digest.hexdigest()


# Networks ------------------------------------------------------------------------------------------------

def lookup_network(conn, name: str):
    return _lookup(conn.networkLookupByName, name, "VIR_ERR_NO_NETWORK", "network")


def define_network(conn, xml: str):
    try:
        return conn.networkDefineXML(xml)
    except libvirt.libvirtError as exc:
        raise _fail(f"defining network {_xml_name(xml)}", exc) from None


def network_definition(net) -> str:
    try:
        return net.XMLDesc(0)
    except libvirt.libvirtError as exc:
        raise _fail(f"reading the definition of network {net.name()}", exc) from None


def network_is_active(net) -> bool:
    try:
        return bool(net.isActive())
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_NETWORK:
            return False
        raise _fail(f"reading the state of network {net.name()}", exc) from None


def start_network(net, autostart: bool = False) -> None:
    try:
        if not net.isActive():
            net.create()
        if autostart:
            net.setAutostart(1)
    except libvirt.libvirtError as exc:
        raise _fail(f"starting network {net.name()}", exc) from None


def remove_network(net) -> None:
    try:
        if net.isActive():
            net.destroy()
        net.undefine()
    except libvirt.libvirtError as exc:
        if exc.get_error_code() != libvirt.VIR_ERR_NO_NETWORK:
            raise _fail(f"removing network {net.name()}", exc) from None
