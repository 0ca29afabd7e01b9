# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Choosing the accelerator by a real probe boot, and scaling every deadline with it.

/dev/kvm can exist, open and create VMs while KVM guests still hang (as on Buildstrap's CI machines), so
``auto`` never trusts the device: it boots a 512-byte guest under KVM that writes a line on its serial port,
and uses KVM only if that line arrives before a short deadline. The answer is cached per hypervisor.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import time

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError, WaitTimeout, host_file_error
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.console import ConsoleSession
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.spec import Disk, VMSpec, stable_uuid
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.transform import domain_xml

PROBE_MESSAGE = "BUILDSTRAP-PROBE-OK"
PROBE_DEADLINE = 10.0  # seconds for a probe guest to print its line; TCG needs about 0.15 s here


def hello_sector(message: str) -> bytes:
    """A BIOS boot sector that writes ``message`` to COM1 (0x3f8) again and again: the smallest real guest.

    It repeats so that a console attached after the guest started still sees it. Hand-assembled 16-bit code:
        cld; xor ax,ax; mov ds,ax; mov dx,0x3f8
    top: mov si,msg
    next: lodsb; test al,al; jz pause; out dx,al; jmp next
    pause: mov bx,0x400
    outer: mov cx,0xffff; loop $; dec bx; jnz outer; jmp top
    msg: db message, 13, 10, 0
    """
    text = message.encode("ascii") + b"\r\n\x00"
    code = (bytes([0xFC, 0x31, 0xC0, 0x8E, 0xD8, 0xBA, 0xF8, 0x03, 0xBE]) + struct.pack("<H", 0x7C00 + 32)
            + bytes([0xAC, 0x84, 0xC0, 0x74, 0x03, 0xEE, 0xEB, 0xF8,
                     0xBB, 0x00, 0x04, 0xB9, 0xFF, 0xFF, 0xE2, 0xFE, 0x4B, 0x75, 0xF8, 0xEB, 0xE8]))
    if len(code) != 32:
        raise AssertionError(f"the boot code is {len(code)} bytes, the message offset assumes 32")
    sector = code + text
    if len(sector) > 510:
        raise SpecError("message", "is too long for a boot sector (at most 475 characters)")
    return sector.ljust(510, b"\x00") + b"\x55\xAA"


def _cache_path() -> str:
    base = os.environ.get("BUILDSTRAP_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "buildstrap")
    return os.path.join(base, "accel.json")


def _cache_key(conn, arch: str) -> str:
    info = api.hypervisor_info(conn)
    return f"{info['uri']}|{info['hostname']}|qemu-{info['hypervisor']}|libvirt-{info['libvirt']}|{arch}"


def _read_cache() -> dict:
    try:
        with open(_cache_path(), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def _write_cache(cache: dict) -> None:
    path = _cache_path()
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".accel-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(cache, handle, indent=2, sort_keys=True)
            os.chmod(tmp, 0o644)  # mkstemp's 0600: the answer is no secret, other users' runs may read it
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        raise host_file_error(f"writing the accelerator cache {path}", exc) from None


def _boot_hello(conn, name: str, arch: str, accel: str, pool_name: str, vol_name: str, deadline: float):
    """Start the hello guest under ``accel``; seconds until its line arrives, or None at the deadline."""
    spec = VMSpec(name=name, uuid=stable_uuid(name), arch=arch, accel=accel, memory_mib=32,
                  disks=(Disk(volume=vol_name, pool=pool_name, bus="ide", format="raw"),),
                  metadata=(("role", "accel-probe"),))
    dom = api.create_transient(conn, domain_xml(spec))
    start = time.monotonic()
    try:
        with ConsoleSession(conn, dom) as console:
            console.expect(PROBE_MESSAGE, deadline)
            return round(time.monotonic() - start, 2)
    except WaitTimeout:
        return None
    finally:
        api.destroy_domain(dom)


def probe(conn, arch: str, pool_name: str = api.DEFAULT_POOL, deadline: float = PROBE_DEADLINE) -> dict:
    """Boot the hello sector under TCG and then KVM and compare.

    KVM is chosen only when its guest prints, and no slower than twice TCG's time: a KVM whose guests crawl
    through the BIOS (measured here: 3.5 s against TCG's 0.14 s) is the one whose Linux guests hang.
    Returns {'accel', 'tcg_seconds', 'kvm_seconds', 'detail'}.
    """
    name = f"buildstrap-accel-probe-{os.getpid()}"
    pool = api.ensure_pool(conn, pool_name)
    vol_name = f"{name}.img"
    image = hello_sector(PROBE_MESSAGE) + b"\x00" * (1024 * 1024 - 512)
    vol = api.lookup_volume(pool, vol_name) or api.create_volume(pool, api.volume_xml(vol_name, len(image), "raw"))
    # Private scratch file (mkstemp: 0600, unpredictable name): this runs as root, and a fixed /tmp path could be
    # a symlink another user planted.
    tmp = None
    try:
        try:
            fd, tmp = tempfile.mkstemp(prefix="buildstrap-accel-probe-", suffix=".img")
            with os.fdopen(fd, "wb") as handle:
                handle.write(image)
        except OSError as exc:
            raise host_file_error("writing the probe guest's boot sector", exc) from None
        api.upload_volume(conn, vol, tmp)
        tcg = _boot_hello(conn, name, arch, "tcg", pool_name, vol_name, deadline)
        if tcg is None:
            raise WaitTimeout(f"the probe guest printed nothing in {deadline:.0f}s even under TCG: "
                              "QEMU cannot boot guests on this hypervisor")
        kvm = None
        kvm_offered = api.supports_kvm(conn, arch)
        if kvm_offered:
            kvm = _boot_hello(conn, name, arch, "kvm", pool_name, vol_name, deadline)
    finally:
        api.delete_volume(vol)
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    if not kvm_offered:
        detail, chosen = f"libvirt offers no kvm domain type for {arch}", "tcg"
    elif kvm is None:
        detail, chosen = f"a KVM guest printed nothing in {deadline:.0f}s (KVM guests hang here)", "tcg"
    elif kvm > max(2 * tcg, 0.5):
        detail, chosen = (f"a KVM guest took {kvm}s to print where TCG took {tcg}s: KVM is broken or "
                          "nested without acceleration here"), "tcg"
    else:
        detail, chosen = f"KVM guest printed in {kvm}s (TCG {tcg}s)", "kvm"
    return {"accel": chosen, "tcg_seconds": tcg, "kvm_seconds": kvm, "detail": detail}


def resolve(conn, requested: str, arch: str, refresh: bool = False, check_mode: bool = False) -> dict:
    """'kvm' or 'tcg' as asked, or for 'auto' the cached or freshly probed answer.

    In check mode nothing is probed or written: with no cached answer the result says the probe would run
    (source 'would probe') and assumes TCG, whose deadlines are the longer ones.
    Returns {'accel', 'source': requested|cache|probe|would probe, 'probe': {...}}.
    """
    if requested in ("kvm", "tcg"):
        return {"accel": requested, "source": "requested"}
    if requested != "auto":
        raise SpecError("accel", f"{requested!r} is not valid; use auto, kvm or tcg")
    key = _cache_key(conn, arch)
    cache = _read_cache()
    if not refresh and key in cache:
        return {"accel": cache[key]["accel"], "source": "cache", "probe": cache[key]}
    if check_mode:
        return {"accel": "tcg", "source": "would probe",
                "detail": f"no cached accelerator answer for {key} in {_cache_path()}: a real run boots two "
                          "probe guests to choose (check mode assumes tcg)"}
    entry = dict(probe(conn, arch), probed_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    cache[key] = entry
    _write_cache(cache)
    return {"accel": entry["accel"], "source": "probe", "probe": entry}
