"""iso_remaster on ISOs built here with pycdlib: reproducible output, overlay contents, clear errors."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
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


# Aloofix 0.9's package graph around dropbear (build-pkg prepends <name>-license and <name>-lib): dropbear's
# Depends does not name glibc-lib although its binary needs libutil from it, so a recipe names it as a root.
ALOOFIX_PKGS = {
    "busybox_1.21.0-1_i686.opk": "busybox-license, base, glibc-min",
    "glibc-min_2.17-2_i686.opk": "glibc-license",
    "glibc-lib_2.17-2_i686.opk": "glibc-license",
    "glibc-license_2.17-2_noarch.opk": "",
    "zlib-lib_1.2.8-1_i686.opk": "zlib-license",
    "zlib-license_1.2.8-1_noarch.opk": "",
    "dropbear_2013.58-2_i686.opk": "dropbear-license, zlib-lib",
    "dropbear-license_2013.58-2_noarch.opk": "",
}


def _targz(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def opk(filename: str, depends: str) -> bytes:
    """An opkg 0.1.8 package file: a gzip'd tar of debian-binary, control.tar.gz, data.tar.gz."""
    name, version, arch = filename[:-4].split("_")
    control = f"Package: {name}\nVersion: {version}\nArchitecture: {arch}\n"
    if depends:
        control += f"Depends: {depends}\n"
    return _targz({"./debian-binary": b"2.0\n", "./control.tar.gz": _targz({"./control": control.encode()}),
                   "./data.tar.gz": _targz({})})


def aloofix_layout_iso(path: Path, cfg: str = ALOOFIX_CFG, rock_ridge: bool = True, pkgs=None) -> Path:
    """An ISO with Aloofix's layout: /boot/isolinux/{isolinux.bin,isolinux.cfg}, /boot/vmlinuz, iso_initrd.gz,
    and /pkgs with package files but no Packages index."""
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
    add_dir("/PKGS", "pkgs")
    for i, (filename, depends) in enumerate(sorted((ALOOFIX_PKGS if pkgs is None else pkgs).items())):
        add(f"/PKGS/P{i}.OPK;1", filename, opk(filename, depends))
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


def do(src, dest, keys=(KEY,), check=False, roots=("glibc-lib", "dropbear"), host_key_types=("rsa", "dss")):
    result, tmp = rm.remaster(str(src), str(dest), "cd", 10, True, 0, 115200, [], list(keys) if keys else None,
                              list(roots), list(host_key_types))
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
    entries = {name: data for name, _unused, data in read_newc(gzip.decompress(read(tmp_path / "auto.iso", "/bsovrlay.gz")))}
    assert entries["etc/buildstrap/authorized_keys"] == (KEY + "\n").encode()
    # Aloofix's live initrd has no /bin/sh before rcS: the overlay's scripts run under busybox itself.
    assert entries["init"].startswith(b"#!/bin/busybox sh\n") and b"exec /bin/busybox init" in entries["init"]
    live_ssh = entries["etc/buildstrap/live-ssh"].decode()
    assert live_ssh.startswith("#!/bin/busybox sh\n")
    closure = " ".join("/mnt/cdrom/pkgs/" + f for f in (
        "glibc-license_2.17-2_noarch.opk", "glibc-lib_2.17-2_i686.opk", "dropbear-license_2013.58-2_noarch.opk",
        "zlib-license_1.2.8-1_noarch.opk", "zlib-lib_1.2.8-1_i686.opk", "dropbear_2013.58-2_i686.opk"))
    assert f"opkg install {closure} >>" in live_ssh, "the whole closure in one opkg call"
    assert "for type in rsa dss; do" in live_ssh
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


def test_ssh_closure_comes_from_the_packages_control_files(tmp_path):
    src = aloofix_layout_iso(tmp_path / "aloofix.iso")
    result = do(src, tmp_path / "auto.iso")
    assert sorted(result["ssh_closure"]) == sorted(["zlib-license_1.2.8-1_noarch.opk", "zlib-lib_1.2.8-1_i686.opk",
                                                    "glibc-license_2.17-2_noarch.opk", "glibc-lib_2.17-2_i686.opk",
                                                    "dropbear-license_2013.58-2_noarch.opk",
                                                    "dropbear_2013.58-2_i686.opk"])
    order = result["ssh_closure"]
    assert order.index("zlib-lib_1.2.8-1_i686.opk") < order.index("dropbear_2013.58-2_i686.opk")
    assert order.index("zlib-license_1.2.8-1_noarch.opk") < order.index("zlib-lib_1.2.8-1_i686.opk")


@pytest.mark.parametrize("pkgs, roots, hint", [
    ({k: v for k, v in ALOOFIX_PKGS.items() if not k.startswith("zlib-license")}, ["dropbear"],
     "'zlib-lib' depends on 'zlib-license', which is not a package file"),
    (ALOOFIX_PKGS, ["openssh"], "'openssh' is not a package file"),
    ({}, ["dropbear"], "known: none"),
])
def test_a_closure_that_cannot_be_met_is_refused_before_writing(tmp_path, pkgs, roots, hint):
    src = aloofix_layout_iso(tmp_path / "aloofix.iso", pkgs=pkgs)
    with pytest.raises(SpecError, match=r"^ssh_packages: ") as err:
        do(src, tmp_path / "auto.iso", roots=roots)
    assert hint in str(err.value)
    assert not (tmp_path / "auto.iso").exists()


@pytest.mark.parametrize("keys, types, field", [([], None, "authorized_keys"),
                                                (["not a key"], None, "authorized_keys[0]"),
                                                ([KEY], ["ed448"], "host_key_types[0]")])
def test_bad_keys(keys, types, field):
    with pytest.raises(SpecError) as err:
        overlay_entries(keys, ["dropbear_1_i686.opk"], types)
    assert err.value.field == field


def test_host_keys_are_read_from_the_console_text():
    text = (f"initrd login: {HOSTKEY_MARK} ssh-ed25519 AAAAC3Nz\r\n{HOSTKEY_MARK} ssh-rsa AAAAB3Nz==\n"
            f"{HOSTKEY_MARK} ssh-rsa AAAAB3Nz==\n{READY_MARK} port=22\n")
    assert parse_host_keys(text) == ["ssh-ed25519 AAAAC3Nz", "ssh-rsa AAAAB3Nz=="]


def test_cpio_round_trip_is_deterministic():
    entries = [("etc", 0o40755, b""), ("etc/a", 0o100644, b"abc"), ("init", 0o100755, b"#!/bin/sh\n")]
    assert read_newc(newc(entries)) == entries and newc(entries) == newc(list(entries))


def test_check_mode_writes_no_file(tmp_path, monkeypatch):
    """Check mode computes the remastered ISO's sha256 in an anonymous temporary file: nothing appears next to
    dest, nor in the temporary directory."""
    src = aloofix_layout_iso(tmp_path / "aloofix.iso")
    real = do(src, tmp_path / "real.iso")
    out, scratch = tmp_path / "out", tmp_path / "scratch"
    out.mkdir()
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    result, tmp = rm.remaster(str(src), str(out / "auto.iso"), "cd", 10, True, 0, 115200, [], [KEY],
                              ["glibc-lib", "dropbear"], ["rsa", "dss"], check_mode=True)
    rm.finish(tmp, str(out / "auto.iso"), True)
    assert tmp is None and result["changed"] is True and result["sha256"] == real["sha256"]
    assert list(out.iterdir()) == [] and list(scratch.iterdir()) == []
