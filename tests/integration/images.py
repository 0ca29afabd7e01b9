"""Tiny real guests for the libvirt tests: a BIOS disk and a no-emulation El Torito CD that print a line."""

from __future__ import annotations

import io
from pathlib import Path

import pycdlib

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.accel import hello_sector


def hello_disk(path: Path, message: str, size: int = 1024 * 1024) -> Path:
    path.write_bytes(hello_sector(message).ljust(size, b"\x00"))
    return path


def hello_iso(path: Path, message: str) -> Path:
    """A bootable ISO whose boot image is the hello sector (loaded at 0x7c00 by the BIOS)."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, vol_ident="BSTEST")
    boot = hello_sector(message).ljust(2048, b"\x00")
    iso.add_fp(io.BytesIO(boot), len(boot), "/BOOT.IMG;1")
    iso.add_eltorito("/BOOT.IMG;1", bootcatfile="/BOOT.CAT;1", media_name="noemul", boot_load_size=4)
    iso.write(str(path))
    iso.close()
    return path
