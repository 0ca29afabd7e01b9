"""iso_remaster on ISOs built here with pycdlib: reproducible output, overlay contents, clear errors."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import pycdlib
import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.iso import remaster as rm
from ansible_collections.aloofix.buildstrap.plugins.module_utils.iso.cpio import newc, read_newc
from ansible_collections.aloofix.buildstrap.plugins.module_utils.iso.overlay import (
    HOSTKEY_MARK, READY_MARK, overlay_entries, parse_host_keys,
)
from tests.unit.iso.test_isolinux import ALOOFIX_CFG

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJx0bWCsQBQY3jZ2m2b8t5vCwH0Q3qv3b1Zs4i1n3kPq test"


def aloofix_layout_iso(path: Path, cfg: str = ALOOFIX_CFG, rock_ridge: bool = True) -> Path:
    """An ISO with Aloofix's layout: /boot/isolinux/{isolinux.bin,isolinux.cfg}, /boot/vmlinuz, iso_initrd.gz."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, rock_ridge="1.09" if rock_ridge else None, vol_ident="ALOOFIX")
    def add_dir(iso_path, name):
        iso.add_directory(iso_path, rr_name=name if rock_ridge else None)
    def add(iso_path, name, data):
        iso.add_fp(io.BytesIO(data), len(data), iso_path, rr_name=name if rock_ridge else None)
    add_dir("/BOOT", "boot")
    add_dir("/BOOT/ISOLINUX", "isolinux")
    add("/BOOT/ISOLINUX/ISOLINUX.BIN;1", "isolinux.bin", b"\xfa" * 2048)
    add("/BOOT/ISOLINUX/ISOLINUX.CFG;1", "isolinux.cfg", cfg.encode())
    add("/BOOT/VMLINUZ.;1", "vmlinuz", b"kernel" * 100)
    add("/BOOT/ISO_INIT.GZ;1", "iso_initrd.gz", gzip.compress(newc([("init", 0o100755, b"#!/bin/sh\n")]), mtime=0))
    iso.add_eltorito("/BOOT/ISOLINUX/ISOLINUX.BIN;1", bootcatfile="/BOOT/ISOLINUX.CAT;1", boot_load_size=4,
                     boot_info_table=True)
    iso.write(str(path))
    iso.close()
    return path


def read(path: Path, rr_path: str) -> bytes:
    iso = pycdlib.PyCdlib()
    iso.open(str(path))
    out = io.BytesIO()
    try:
        iso.get_file_from_iso_fp(out, rr_path=rr_path)
    finally:
        iso.close()
    return out.getvalue()


def do(src, dest, keys=(KEY,), check=False):
    result, tmp = rm.remaster(str(src), str(dest), "cd", 10, True, 0, 115200, [], list(keys) if keys else None,
                              ["dropbear"])
    rm.finish(tmp, str(dest), check or not result["changed"])
    return result


def test_remaster_is_reproducible_and_leaves_the_source_alone(tmp_path):
    src = aloofix_layout_iso(tmp_path / "aloofix.iso")
    before = src.read_bytes()
    first = do(src, tmp_path / "auto.iso")
    assert first["changed"] is True and first["isolinux_cfg_path"] == "/boot/isolinux/isolinux.cfg"
    second = do(src, tmp_path / "auto.iso")
    assert second["changed"] is False and second["sha256"] == first["sha256"]
    do(src, tmp_path / "auto2.iso")
    assert (tmp_path / "auto2.iso").read_bytes() == (tmp_path / "auto.iso").read_bytes(), "byte-identical"
    assert src.read_bytes() == before
    cfg = read(tmp_path / "auto.iso", "/boot/isolinux/isolinux.cfg").decode()
    assert cfg.startswith("serial 0 115200\ndefault cd\ntimeout 10\n")
    assert "initrd=/boot/iso_initrd.gz,/bsovrlay.gz" in cfg


def test_check_mode_writes_nothing(tmp_path):
    src = aloofix_layout_iso(tmp_path / "aloofix.iso")
    result = do(src, tmp_path / "auto.iso", check=True)
    assert result["changed"] is True and not (tmp_path / "auto.iso").exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".iso_remaster")]


def test_overlay_in_the_iso_is_the_unpackable_cpio(tmp_path):
    src = aloofix_layout_iso(tmp_path / "aloofix.iso")
    do(src, tmp_path / "auto.iso")
    entries = {name: data for name, _, data in read_newc(gzip.decompress(read(tmp_path / "auto.iso", "/bsovrlay.gz")))}
    assert entries["etc/buildstrap/authorized_keys"] == (KEY + "\n").encode()
    assert entries["init"].startswith(b"#!/bin/sh") and b"exec /bin/busybox init" in entries["init"]
    assert b"opkg install" in entries["etc/buildstrap/live-ssh"] and b"dropbear" in entries["etc/buildstrap/live-ssh"]
    assert not [n for n in entries if n.startswith(("sbin", "bin", "usr"))], "never replace distro directories"


def test_without_keys_only_serial_and_timeout(tmp_path):
    src = aloofix_layout_iso(tmp_path / "aloofix.iso", rock_ridge=False)
    result = do(src, tmp_path / "auto.iso", keys=None)
    assert result["overlay"] is None and "bsovrlay" not in result["isolinux_cfg"]
    assert "console=ttyS0,115200" in result["isolinux_cfg"]


@pytest.mark.parametrize("make, hint", [
    (lambda p: p.write_bytes(b"not an iso" * 1000), "is not an ISO9660 image"),
    (lambda p: None, "does not exist"),
])
def test_bad_sources(tmp_path, make, hint):
    src = tmp_path / "bad.iso"
    make(src)
    with pytest.raises(SpecError, match=r"^src: ") as err:
        do(src, tmp_path / "out.iso")
    assert hint in str(err.value)


def test_iso_without_isolinux_is_refused(tmp_path):
    from tests.integration.images import hello_iso
    src = hello_iso(tmp_path / "hello.iso", "HELLO")
    with pytest.raises(SpecError, match=r"^src: .*has no isolinux\.cfg"):
        do(src, tmp_path / "out.iso")


def test_dest_must_differ_from_src(tmp_path):
    src = aloofix_layout_iso(tmp_path / "aloofix.iso")
    with pytest.raises(SpecError, match=r"^dest: must differ"):
        do(src, src)


@pytest.mark.parametrize("keys, field", [([], "authorized_keys"), (["not a key"], "authorized_keys[0]")])
def test_bad_keys(keys, field):
    with pytest.raises(SpecError) as err:
        overlay_entries(keys, ["dropbear"])
    assert err.value.field == field


def test_host_keys_are_read_from_the_console_text():
    text = (f"initrd login: {HOSTKEY_MARK} ssh-ed25519 AAAAC3Nz\r\n{HOSTKEY_MARK} ssh-rsa AAAAB3Nz==\n"
            f"{HOSTKEY_MARK} ssh-rsa AAAAB3Nz==\n{READY_MARK} port=22\n")
    assert parse_host_keys(text) == ["ssh-ed25519 AAAAC3Nz", "ssh-rsa AAAAB3Nz=="]


def test_cpio_round_trip_is_deterministic():
    entries = [("etc", 0o40755, b""), ("etc/a", 0o100644, b"abc"), ("init", 0o100755, b"#!/bin/sh\n")]
    assert read_newc(newc(entries)) == entries and newc(entries) == newc(list(entries))
