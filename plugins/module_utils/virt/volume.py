# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``vm_volume`` module's logic: qcow2/raw volumes, overlays, uploads and downloads through libvirt."""

from __future__ import annotations

import os
import struct
import tempfile

from ansible_collections.aloofix.buildstrap.plugins.module_utils.digest import file_sha256  # noqa: F401 - re-exported
from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError, host_file_error
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.spec import check_name, parse_size

QCOW2_MAGIC = b"QFI\xfb"


def image_format(path: str) -> tuple[str, int]:
    """('qcow2', virtual size) or ('raw', file size) of a local image file."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(32)
        size = os.path.getsize(path)
    except OSError as exc:
        raise host_file_error(f"reading the image {path}", exc) from None
    if header[:4] == QCOW2_MAGIC and len(header) >= 32:
        return "qcow2", struct.unpack(">Q", header[24:32])[0]
    return "raw", size


def _sha256(path: str) -> str:
    try:
        return file_sha256(path)
    except OSError as exc:
        raise host_file_error(f"reading {path} for its sha256", exc) from None


def _validate(params: dict) -> dict:
    state = params.get("state") or "present"
    if state not in ("present", "absent"):
        raise SpecError("state", f"{state!r} is not valid; use present or absent")
    check_name(params.get("name"), "name")
    check_name(params.get("pool") or api.DEFAULT_POOL, "pool")
    size = parse_size(params["size"], "size") if params.get("size") is not None else None
    fmt = params.get("format") or "qcow2"
    if fmt not in ("qcow2", "raw"):
        raise SpecError("format", f"{fmt!r} is not valid; use qcow2 or raw")
    src, dest, backing = params.get("src"), params.get("dest"), params.get("backing")
    if src and not os.path.isfile(src):
        raise SpecError("src", f"{src} does not exist on the controller; give the path of the file to upload")
    if src and backing:
        raise SpecError("backing", "cannot be combined with src; upload a file or create an overlay")
    if backing:
        check_name(backing, "backing")
    if dest and not os.path.isdir(os.path.dirname(os.path.abspath(dest))):
        raise SpecError("dest", f"the directory of {dest} does not exist on the controller")
    if dest and state == "absent":
        raise SpecError("dest", "cannot download a volume that state=absent removes")
    copy = params.get("copy_from")
    if copy is not None:
        if not isinstance(copy, dict) or set(copy) - {"uri", "pool", "volume"} or not copy.get("volume"):
            raise SpecError("copy_from", "give {uri: SOURCE HYPERVISOR, pool: POOL, volume: NAME} of the volume "
                                         "to copy")
        check_name(copy["volume"], "copy_from.volume")
        if src or backing:
            raise SpecError("copy_from", "cannot be combined with src or backing; a volume has one origin")
        copy = {"uri": copy.get("uri") or api.DEFAULT_URI, "pool": copy.get("pool") or api.DEFAULT_POOL,
                "volume": copy["volume"]}
        if copy["uri"] == (params.get("uri") or api.DEFAULT_URI):
            raise SpecError("copy_from.uri", "is the volume's own hypervisor; use backing for a clone in one pool")
    return {"state": state, "size": size, "format": fmt, "src": src, "dest": dest, "backing": backing,
            "copy_from": copy}


def ensure(params: dict, check_mode: bool = False) -> dict:
    opts = _validate(params)
    name, pool_name = params["name"], params.get("pool") or api.DEFAULT_POOL
    result = {"changed": False, "name": name, "pool": pool_name, "actions": []}
    with api.connection(params.get("uri") or api.DEFAULT_URI) as conn:
        pool = api.lookup_pool(conn, pool_name)
        if pool is None and pool_name != api.DEFAULT_POOL:
            raise SpecError("pool", f"storage pool {pool_name!r} does not exist on the hypervisor")
        vol = api.lookup_volume(pool, name) if pool is not None else None
        if opts["state"] == "absent":
            if vol is not None:
                result.update(changed=True, actions=["delete"])
                if not check_mode:
                    api.delete_volume(vol)
            return result

        if vol is None:
            vol = _create(conn, pool, pool_name, name, opts, check_mode, result)
        else:
            _update(conn, vol, opts, check_mode, result)
        if opts["dest"] and vol is not None:
            _download(conn, vol, opts["dest"], check_mode, result)
        if vol is not None:
            result["volume"] = api.volume_facts(vol)
        return result


def _create(conn, pool, pool_name, name, opts, check_mode, result):
    if opts["copy_from"]:
        src = opts["copy_from"]
        result["actions"].append(f"copy {src['volume']} from {src['uri']}")
        result["changed"] = True
        if check_mode:
            return None
        return _copy(conn, api.ensure_pool(conn, pool_name), name, src, result)
    if opts["src"]:
        fmt, capacity = image_format(opts["src"])
        src_size = os.path.getsize(opts["src"])  # image_format read it: it exists and is readable
        result["actions"] += ["create", f"upload {opts['src']}"]
    elif opts["backing"]:
        bvol = api.lookup_volume(pool, opts["backing"]) if pool is not None else None
        if bvol is None:
            raise SpecError("backing", f"backing volume {opts['backing']!r} does not exist in pool {pool_name!r}")
        backing = api.volume_facts(bvol)
        fmt, capacity = "qcow2", max(opts["size"] or 0, backing["capacity"])
        result["actions"].append(f"create overlay of {opts['backing']}")
    elif opts["size"]:
        fmt, capacity = opts["format"], opts["size"]
        result["actions"].append("create")
    else:
        raise SpecError("size", f"volume {name!r} does not exist; give size (e.g. 8G), backing or src to create it")
    result["changed"] = True
    if check_mode:
        return None
    pool = api.ensure_pool(conn, pool_name)
    if opts["src"]:
        # Upload the bytes as they are; the pool refresh then reads the real format and size.
        vol = api.create_volume(pool, api.volume_xml(name, src_size, "raw"))
        api.upload_volume(conn, vol, opts["src"])
        api.refresh_pool(pool)
        vol = api.lookup_volume(pool, name)
        result["sha256"] = _sha256(opts["src"])
        return vol
    backing_path = backing["path"] if opts["backing"] else None
    return api.create_volume(pool, api.volume_xml(name, capacity, fmt, backing_path,
                                                  backing["format"] if opts["backing"] else None))


def _copy(conn, pool, name, src, result):
    """A volume of another hypervisor, copied stream to stream. A qcow2 chain is flattened first (in the source
    pool, removed afterwards): its backing paths mean nothing on another machine. A failed copy leaves nothing."""
    with api.connection(src["uri"]) as sconn:
        spool = api.lookup_pool(sconn, src["pool"])
        svol = api.lookup_volume(spool, src["volume"]) if spool is not None else None
        if svol is None:
            raise SpecError("copy_from.volume", f"volume {src['volume']!r} does not exist in pool {src['pool']!r} "
                                                f"of {src['uri']}")
        flat = None
        if api.volume_facts(svol)["backing"]:
            flat = api.flat_copy(spool, svol, f"{name}.flat-{os.getpid()}")
            result["actions"].append("flatten its backing chain")
        try:
            origin = flat or svol
            vol = api.create_volume(pool, api.volume_xml(name, api.physical_size(origin), "raw"))
            try:
                copied, digest = api.stream_volume(sconn, origin, conn, vol)
            except BaseException:
                api.delete_volume(vol)
                raise
        finally:
            if flat is not None:
                api.delete_volume(flat)
    api.refresh_pool(pool)
    result.update(bytes=copied, sha256=digest)
    return api.lookup_volume(pool, name)


def _update(conn, vol, opts, check_mode, result):
    facts = api.volume_facts(vol)
    if opts["backing"] and facts["backing"] and os.path.basename(facts["backing"]) != opts["backing"]:
        raise SpecError("backing", f"volume {facts['name']!r} exists with backing {facts['backing']}; delete it "
                                   "first (state=absent) to rebase it")
    if opts["size"] and not opts["src"]:
        if opts["size"] < facts["capacity"]:
            raise SpecError("size", f"{opts['size']} bytes is smaller than the volume's {facts['capacity']}; "
                                    "shrinking would lose data and is refused")
        if opts["size"] > facts["capacity"]:
            result["changed"] = True
            result["actions"].append(f"resize {facts['capacity']} -> {opts['size']}")
            if not check_mode:
                api.resize_volume(vol, opts["size"])
    if opts["src"]:
        wanted = _sha256(opts["src"])
        _unused, actual = api.download_volume(conn, vol, None)
        result["sha256"] = wanted
        if actual != wanted:
            result["changed"] = True
            result["actions"].append(f"upload {opts['src']}")
            if not check_mode:
                size = os.path.getsize(opts["src"])  # _sha256 read it: it exists and is readable
                if size != facts["capacity"] and facts["format"] == "raw":
                    api.resize_volume(vol, size)
                api.upload_volume(conn, vol, opts["src"])


def _download(conn, vol, dest, check_mode, result):
    directory = os.path.dirname(os.path.abspath(dest))
    tmp = None
    try:
        if check_mode:  # the digest only: check mode writes nothing, not even a temporary file
            _unused, digest = api.download_volume(conn, vol, None)
        else:
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".vm_volume-")
            os.close(fd)
            _unused, digest = api.download_volume(conn, vol, tmp)
        result["sha256"] = digest
        if os.path.exists(dest) and _sha256(dest) == digest:
            return
        result["changed"] = True
        result["actions"].append(f"download to {dest}")
        if tmp is not None:
            os.replace(tmp, dest)
    except OSError as exc:
        raise host_file_error(f"downloading volume {result['name']} to {dest}", exc) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
