# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``vm_checkpoint`` module's logic: checkpoint one disk of a RUNNING domain without stopping it.

libvirt takes an external disk-only snapshot (no metadata, atomic): QEMU starts writing to a new qcow2 overlay
and the disk's old volume becomes the overlay's read-only backing file, the checkpoint, which can be hashed
and copied while the guest runs. libvirt points the live and the persistent definitions at the overlay as a
plain file; the persistent disk is then rewritten as a volume of the pool, so that the ``vm`` module still
sees the spec ``{volume: overlay}``, and the checkpoint is recorded in the domain's metadata so that
``vm state=absent remove_volumes=true`` removes it with the overlay.

The functions above ``ensure`` are pure (XML in, XML or data out).
"""

from __future__ import annotations

import os
import time
import xml.etree.ElementTree as ET

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import HypervisorError, SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.spec import check_name

CHECKPOINT_NS = "https://buildstrap.aloofix.org/xmlns/checkpoint/1"
ET.register_namespace("bscheckpoint", CHECKPOINT_NS)
_MARKER = f"{{{CHECKPOINT_NS}}}checkpoints"
_ENTRY = f"{{{CHECKPOINT_NS}}}checkpoint"


# Pure: domain XML -------------------------------------------------------------------------------------------

def _source(element) -> dict:
    """{'type', 'pool', 'volume', 'file'} of a <disk> or <backingStore> element."""
    src = element.find("source")
    attrs = dict(src.attrib) if src is not None else {}
    return {"type": element.get("type"), "pool": attrs.get("pool"), "volume": attrs.get("volume"),
            "file": attrs.get("file") or attrs.get("dev")}


def volume_of(source: dict | None, pool: str, pool_path: str) -> str | None:
    """The name of the volume of ``pool`` a disk source points at (by pool/volume, or by path), else None."""
    if not source:
        return None
    if source.get("volume"):
        return source["volume"] if source.get("pool") == pool else None
    path = source.get("file")
    if path and os.path.dirname(os.path.normpath(path)) == os.path.normpath(pool_path):
        return os.path.basename(path)
    return None


def disks(xml: str, pool: str, pool_path: str) -> list[dict]:
    """The domain's hard disks: target, bus, format, source, the volume on top and the volume under it."""
    found = []
    for disk in ET.fromstring(xml).findall("devices/disk"):
        if disk.get("device") != "disk":
            continue
        target, driver = disk.find("target"), disk.find("driver")
        backing_el = disk.find("backingStore")
        backing = _source(backing_el) if backing_el is not None and backing_el.find("source") is not None else None
        source = _source(disk)
        found.append({"target": target.get("dev"), "bus": target.get("bus"),
                      "format": driver.get("type") if driver is not None else None,
                      "source": source, "volume": volume_of(source, pool, pool_path),
                      "backing": backing, "backing_volume": volume_of(backing, pool, pool_path)})
    return found


def find_disk(xml: str, disk: str, pool: str, pool_path: str) -> tuple[dict | None, str]:
    """The disk named by target dev (``vda``) or by volume name; ``how`` says which: target, volume, backing.

    A volume name also finds the disk whose backing volume it is: after a checkpoint, the old name is the
    checkpoint under the overlay, and a rerun with the same arguments must find the same disk.
    """
    entries = disks(xml, pool, pool_path)
    for how, key in (("target", "target"), ("volume", "volume"), ("backing", "backing_volume")):
        for entry in entries:
            if entry[key] == disk:
                return entry, how
    return None, ""


def describe_disks(xml: str, pool: str, pool_path: str) -> str:
    return ", ".join(f"{d['target']} ({d['volume'] or d['source'].get('file') or 'no source'})"
                     for d in disks(xml, pool, pool_path)) or "none"


def snapshot_xml(domain_xml: str, target: str, overlay_path: str) -> str:
    """A disk-only external snapshot of ``target`` into a new qcow2 file; every other disk is left out."""
    root = ET.Element("domainsnapshot")
    ET.SubElement(root, "description").text = f"Buildstrap checkpoint of {target}"
    ET.SubElement(root, "memory", snapshot="no")
    disks_el = ET.SubElement(root, "disks")
    for disk in ET.fromstring(domain_xml).findall("devices/disk"):
        dev = disk.find("target").get("dev")
        if dev == target:
            entry = ET.SubElement(disks_el, "disk", name=dev, snapshot="external")
            ET.SubElement(entry, "driver", type="qcow2")
            ET.SubElement(entry, "source", file=overlay_path)
        else:
            ET.SubElement(disks_el, "disk", name=dev, snapshot="no")
    return ET.tostring(root, encoding="unicode")


def checkpoints_recorded(xml: str) -> list[dict]:
    """The checkpoints this module recorded in a domain's metadata: [{disk, pool, volume, overlay}]."""
    marker = ET.fromstring(xml).find(f"metadata/{_MARKER}")
    return [dict(e.attrib) for e in marker.findall(_ENTRY)] if marker is not None else []


def _record(root, target: str, pool: str, checkpoint: str, overlay: str) -> None:
    metadata = root.find("metadata")
    if metadata is None:
        metadata = ET.Element("metadata")
        root.insert(3, metadata)  # after name, uuid and the like; libvirt reorders anyway
    marker = metadata.find(_MARKER)
    if marker is None:
        marker = ET.SubElement(metadata, _MARKER)
    wanted = {"disk": target, "pool": pool, "volume": checkpoint, "overlay": overlay}
    if not any(dict(e.attrib) == wanted for e in marker.findall(_ENTRY)):
        ET.SubElement(marker, _ENTRY, wanted)


def persistent_with_overlay(inactive_xml: str, target: str, pool: str, overlay: str, checkpoint: str) -> str:
    """The persistent definition with disk ``target`` as volume ``overlay`` of ``pool`` and the checkpoint
    recorded. libvirt leaves a ``type='file'`` disk there; the ``vm`` module compares volumes."""
    root = ET.fromstring(inactive_xml)
    for disk in root.findall("devices/disk"):
        if disk.get("device") != "disk" or disk.find("target").get("dev") != target:
            continue
        disk.set("type", "volume")
        source = disk.find("source")
        if source is None:
            source = ET.Element("source")
            disk.insert(1, source)
        source.attrib.clear()
        source.set("pool", pool)
        source.set("volume", overlay)
        driver = disk.find("driver")
        if driver is None:
            driver = ET.Element("driver", name="qemu")
            disk.insert(0, driver)
        driver.set("type", "qcow2")
        _record(root, target, pool, checkpoint, overlay)
        return ET.tostring(root, encoding="unicode")
    raise ValueError(f"no disk {target} in the persistent definition")


def keep_recorded_checkpoints(current_xml: str | None, wanted_xml: str) -> str:
    """``wanted_xml`` with the checkpoint records of ``current_xml`` (for ``vm`` redefining a domain)."""
    if not current_xml:
        return wanted_xml
    records = checkpoints_recorded(current_xml)
    if not records:
        return wanted_xml
    root = ET.fromstring(wanted_xml)
    for rec in records:
        _record(root, rec.get("disk", ""), rec.get("pool", ""), rec.get("volume", ""), rec.get("overlay", ""))
    return ET.tostring(root, encoding="unicode")


def disk_line(entry: dict | None, pool: str) -> str:
    if entry is None:
        return ""
    top = f"{pool}/{entry['volume']}" if entry["volume"] else entry["source"].get("file")
    line = f"{entry['target']}: {top}"
    if entry.get("backing"):
        under = f"{pool}/{entry['backing_volume']}" if entry["backing_volume"] else entry["backing"].get("file")
        line += f" (backing, read-only: {under})"
    return line + "\n"


# Removal of a domain's checkpoints (used by vm state=absent remove_volumes=true) ----------------------------

def owned_checkpoints(conn, name: str, current_xml: str, volumes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The backing volumes under ``volumes`` (the domain's disks) that are this domain's own checkpoints.

    Followed down the chain within each pool. A backing volume is removed only when this module recorded it
    as a checkpoint of this domain and nothing else uses it: no other volume of the pool is backed by it and
    no other domain has it in its disks. A shared base image (``vm_volume backing=``) is never touched.
    """
    recorded = {(r.get("pool"), r.get("volume")) for r in checkpoints_recorded(current_xml)}
    if not recorded:
        return []
    doomed = list(volumes)
    found = []
    used_elsewhere = _used_by_other_domains(conn, name)
    for pool_name, vol_name in volumes:
        pool = api.lookup_pool(conn, pool_name)
        if pool is None:
            continue
        api.refresh_pool(pool)
        facts = {f["name"]: f for f in (api.volume_facts(v) for v in api.list_volumes(pool))}
        current = facts.get(vol_name)
        while current is not None and current.get("backing"):
            under = next((f for f in facts.values() if f["path"] == current["backing"]), None)
            if under is None or (pool_name, under["name"]) not in recorded or under["path"] in used_elsewhere:
                break
            users = [f["name"] for f in facts.values()
                     if f["backing"] == under["path"] and (pool_name, f["name"]) not in doomed]
            if users:
                break
            doomed.append((pool_name, under["name"]))
            found.append((pool_name, under["name"]))
            current = under
    return found


def _used_by_other_domains(conn, name: str) -> set[str]:
    """Paths of every file in the disk chains of the other domains (live and persistent definitions)."""
    paths = set()
    for _other, xmls in api.other_domains_xml(conn, name):
        for xml in xmls:
            for element in ET.fromstring(xml).iter():
                if element.tag != "source":
                    continue
                if element.get("file") or element.get("dev"):
                    paths.add(element.get("file") or element.get("dev"))
                elif element.get("volume") and element.get("pool"):
                    pool = api.lookup_pool(conn, element.get("pool"))
                    vol = api.lookup_volume(pool, element.get("volume")) if pool is not None else None
                    if vol is not None:
                        paths.add(api.volume_facts(vol)["path"])
    return paths


# The module -------------------------------------------------------------------------------------------------

def _validate(params: dict) -> dict:
    state = params.get("state") or "present"
    if state != "present":
        raise SpecError("state", f"{state!r} is not valid; use present (a checkpoint is removed with its domain: "
                                 "vm state=absent remove_volumes=true)")
    check_name(params.get("name"), "name")
    check_name(params.get("pool") or api.DEFAULT_POOL, "pool")
    check_name(params.get("overlay"), "overlay")
    if not params.get("disk") or not isinstance(params["disk"], str):
        raise SpecError("disk", "is required: the disk's target (e.g. vda) or its volume name")
    return {"pool": params.get("pool") or api.DEFAULT_POOL, "disk": params["disk"], "overlay": params["overlay"]}


def ensure(params: dict, check_mode: bool = False) -> dict:
    """Checkpoint disk ``params['disk']`` of running domain ``params['name']`` into overlay ``params['overlay']``."""
    started = time.monotonic()
    opts = _validate(params)
    name, pool_name, overlay = params["name"], opts["pool"], opts["overlay"]
    result = {"changed": False, "name": name, "pool": pool_name, "actions": []}
    with api.connection(params.get("uri") or api.DEFAULT_URI) as conn:
        dom = api.lookup_domain(conn, name)
        if dom is None:
            raise SpecError("name", f"no domain called {name!r}; vm_checkpoint checkpoints the disk of a running "
                                    "domain. To start a domain on an overlay of a volume, create the overlay with "
                                    "vm_volume (backing=...) and attach it with vm")
        pool = api.lookup_pool(conn, pool_name)
        if pool is None:
            raise SpecError("pool", f"storage pool {pool_name!r} does not exist on the hypervisor")
        api.refresh_pool(pool)  # a file put into the pool's directory by hand is a volume too
        pool_path = api.pool_path(pool)
        active = api.domain_is_active(dom)
        persistent = api.domain_is_persistent(dom)
        live_xml = api.domain_xml(dom, inactive=not active)
        entry, how = find_disk(live_xml, opts["disk"], pool_name, pool_path)
        if entry is None:
            raise SpecError("disk", f"{opts['disk']!r} is not a disk of domain {name!r}; name its target or its "
                                    f"volume in pool {pool_name!r}. Its disks: "
                                    f"{describe_disks(live_xml, pool_name, pool_path)}")
        target = entry["target"]
        result["disk"] = target

        if entry["volume"] == overlay:
            return _already_done(conn, dom, pool, entry, persistent, check_mode, result, started)

        if how == "backing":
            raise SpecError("disk", f"{opts['disk']!r} is already the checkpoint under {target} "
                                    f"({entry['volume'] or entry['source'].get('file')}); name the disk {target} "
                                    "to checkpoint its current volume")
        if entry["volume"] is None:
            raise SpecError("disk", f"{target} of domain {name!r} is {entry['source'].get('file') or 'empty'}, "
                                    f"not a volume of pool {pool_name!r}; the checkpoint and its overlay live in "
                                    "the same pool")
        if api.lookup_volume(pool, overlay) is not None:
            raise SpecError("overlay", f"volume {overlay!r} already exists in pool {pool_name!r} and is not the "
                                       f"current volume of {name}'s disk {target}; choose another name or delete it "
                                       "(vm_volume state=absent)")
        if not active:
            raise SpecError("name", f"domain {name!r} is {api.domain_state(dom)}, not running: vm_checkpoint "
                                    "checkpoints a running guest's disk without stopping it. For a domain that is "
                                    f"off, create the overlay with vm_volume (name: {overlay}, backing: "
                                    f"{entry['volume']}) and attach it with vm disks")

        checkpoint = entry["volume"]
        overlay_path = os.path.join(pool_path, overlay)
        after = {"target": target, "volume": overlay, "source": {"file": overlay_path},
                 "backing": {"pool": pool_name, "volume": checkpoint}, "backing_volume": checkpoint}
        result["diff"] = {"before": disk_line(entry, pool_name), "after": disk_line(after, pool_name),
                          "before_header": f"{name} disk {target}", "after_header": f"{name} disk {target}"}
        result["actions"].append(f"snapshot {target} live: {checkpoint} becomes the read-only checkpoint, "
                                 f"the guest writes to new overlay {overlay}")
        if persistent:
            result["actions"].append(f"point the persistent definition's {target} at {overlay}")
        result["changed"] = True
        checkpoint_path = api.volume_facts(api.lookup_volume(pool, checkpoint))["path"]
        result["checkpoint"] = {"name": checkpoint, "path": checkpoint_path}
        result["overlay"] = {"name": overlay, "path": overlay_path}
        if check_mode:
            result["seconds"] = round(time.monotonic() - started, 3)
            return result

        domain_id = api.domain_run_id(dom)
        api.create_disk_snapshot(dom, snapshot_xml(live_xml, target, overlay_path))
        api.refresh_pool(pool)
        vol = api.lookup_volume(pool, overlay)
        if vol is None:
            raise HypervisorError(f"the snapshot of {target} did not leave volume {overlay} in pool {pool_name}")
        result["overlay"]["path"] = api.volume_facts(vol)["path"]
        _verify_live(dom, target, pool_name, pool_path, overlay, checkpoint, domain_id)
        if persistent:
            _fix_persistent(conn, dom, target, pool_name, pool_path, overlay, checkpoint)
        result["seconds"] = round(time.monotonic() - started, 3)
        return result


def _already_done(conn, dom, pool, entry, persistent, check_mode, result, started) -> dict:
    """The disk already is the overlay: check what it is backed by, and repair the persistent definition."""
    pool_name, pool_path = result["pool"], api.pool_path(pool)
    overlay, target = entry["volume"], entry["target"]
    vol = api.lookup_volume(pool, overlay)
    facts = api.volume_facts(vol) if vol is not None else {}
    checkpoint = entry["backing_volume"] or volume_of({"file": facts.get("backing")}, pool_name, pool_path)
    if checkpoint is None:
        raise SpecError("overlay", f"{target} of {result['name']!r} already is volume {overlay!r}, but that is "
                                   f"not an overlay of a volume of pool {pool_name!r}; choose a new overlay name")
    result["checkpoint"] = {"name": checkpoint,
                            "path": facts.get("backing") or os.path.join(pool_path, checkpoint)}
    result["overlay"] = {"name": overlay, "path": facts.get("path") or os.path.join(pool_path, overlay)}
    if persistent:
        stored, _unused = find_disk(api.domain_xml(dom, inactive=True), target, pool_name, pool_path)
        recorded = {(r.get("pool"), r.get("volume")) for r in checkpoints_recorded(api.domain_xml(dom))}
        if stored is None or stored["source"].get("volume") != overlay or (pool_name, checkpoint) not in recorded:
            result["actions"].append(f"point the persistent definition's {target} at {overlay}")
            result["changed"] = True
            if not check_mode:
                _fix_persistent(conn, dom, target, pool_name, pool_path, overlay, checkpoint)
    result["seconds"] = round(time.monotonic() - started, 3)
    return result


def _verify_live(dom, target, pool_name, pool_path, overlay, checkpoint, domain_id) -> None:
    if not api.domain_is_active(dom) or api.domain_run_id(dom) != domain_id:
        raise HypervisorError(f"{dom.name()} stopped or restarted during the snapshot of {target}")
    live, _unused = find_disk(api.domain_xml(dom, inactive=False), target, pool_name, pool_path)
    if live is None or live["volume"] != overlay or live["backing_volume"] != checkpoint:
        raise HypervisorError(f"after the snapshot the running {dom.name()} does not write {target} to {overlay} "
                              f"backed by {checkpoint}: {disk_line(live, pool_name).strip()}")


def _fix_persistent(conn, dom, target, pool_name, pool_path, overlay, checkpoint) -> None:
    inactive = api.domain_xml(dom, inactive=True)
    api.define_domain(conn, persistent_with_overlay(inactive, target, pool_name, overlay, checkpoint))
    stored, _unused = find_disk(api.domain_xml(dom, inactive=True), target, pool_name, pool_path)
    if stored is None or stored["source"].get("volume") != overlay:
        raise HypervisorError(f"the persistent definition of {dom.name()} does not use {overlay} for {target} "
                              "after it was redefined")
