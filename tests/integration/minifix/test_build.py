"""minifix's stage-1 ISO, read back with pycdlib: boot layout, menu, packages and the live initrd."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import struct
import tarfile

import pycdlib
import pytest

from tests.integration.minifix.newc import parse_newc

OPK_NAME = re.compile(r"^(?P<name>[a-z0-9][a-z0-9+.-]*)_(?P<version>[^_]+)-(?P<seq>\d+)_(?P<arch>i686|noarch)\.opk$")
ISOLINUX_FILES = ("isolinux.bin", "isolinux.cfg", "ldlinux.c32", "menu.c32", "libutil.c32", "libcom32.c32",
                  "chain.c32", "mbr.bin")


@pytest.fixture(scope="module")
def iso(minifix):
    handle = pycdlib.PyCdlib()
    handle.open(str(minifix.iso))
    yield handle
    handle.close()


def read(iso, path: str) -> bytes:
    buf = io.BytesIO()
    iso.get_file_from_iso_fp(buf, rr_path=path)
    return buf.getvalue()


def listdir(iso, path: str) -> list[str]:
    names = []
    for child in iso.list_children(rr_path=path):
        if child.is_dot() or child.is_dotdot():
            continue
        names.append(child.rock_ridge.name().decode())
    return names


def parse_stanzas(text: str) -> list[dict[str, str]]:
    stanzas = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if fields:
            stanzas.append(fields)
    return stanzas


def test_iso_size_within_target(minifix):
    assert minifix.iso.stat().st_size <= 64 * 2**20


def test_boot_files_in_aloofix_layout(iso):
    assert set(ISOLINUX_FILES) <= set(listdir(iso, "/boot/isolinux"))
    assert {"vmlinuz", "iso_initrd.gz", "isolinux.boot.cat"} <= set(listdir(iso, "/boot"))


def test_el_torito_no_emulation_with_boot_info_table(iso):
    entry = iso.eltorito_boot_catalog.initial_entry
    assert entry.boot_indicator == 0x88
    assert entry.boot_media_type == 0  # no emulation
    assert entry.sector_count == 4
    image = read(iso, "/boot/isolinux/isolinux.bin")
    pvd_lba, file_lba, length = struct.unpack_from("<III", image, 8)
    assert pvd_lba == 16
    assert file_lba == entry.load_rba
    assert length == len(image)


def test_menu_matches_aloofix(iso):
    cfg = read(iso, "/boot/isolinux/isolinux.cfg").decode()
    lines = [line.strip() for line in cfg.splitlines()]
    assert "ui menu.c32" in lines
    assert "prompt 0" in lines
    assert "menu title Minifix Installation CD" in lines
    cd = cfg.split("label cd", 1)[1].split("label hd", 1)[0]
    assert "menu label Boot from CD-ROM" in cd
    assert "kernel /boot/vmlinuz" in cd
    assert "initrd=/boot/iso_initrd.gz" in cd
    hd = cfg.split("label hd", 1)[1]
    assert "menu label Boot from Hard Drive" in hd
    assert "kernel chain.c32" in hd
    assert "append hd0 1" in hd


def test_menu_has_no_serial_default_or_timeout(iso):
    cfg = read(iso, "/boot/isolinux/isolinux.cfg").decode().lower()
    keywords = {line.split()[0] for line in cfg.splitlines() if line.strip()}
    assert not keywords & {"serial", "default", "timeout", "totaltimeout", "ontimeout"}
    assert "console=" not in cfg


def test_package_sets(iso):
    pkgs = set(listdir(iso, "/pkgs"))
    assert {"base.list", "toolchain.list", "default.pkgsets", "Packages"} <= pkgs
    assert read(iso, "/pkgs/default.pkgsets").decode().split() == ["toolchain"]
    for pkgset in ("base", "toolchain"):
        listed = read(iso, f"/pkgs/{pkgset}.list").decode().split()
        assert listed and set(listed) <= pkgs
    base = read(iso, "/pkgs/base.list").decode().split()
    assert any(name.startswith("dropbear_") for name in base)
    toolchain = read(iso, "/pkgs/toolchain.list").decode().split()
    assert {OPK_NAME.match(n)["name"] for n in toolchain} >= {"minifix-src", "genisoimage", "tar"}


def test_every_opk_is_a_gzipped_tar_of_three_members(iso):
    opks = [n for n in listdir(iso, "/pkgs") if n.endswith(".opk")]
    assert opks
    for name in opks:
        match = OPK_NAME.match(name)
        assert match, name
        data = read(iso, f"/pkgs/{name}")
        assert data[:2] == b"\x1f\x8b", f"{name} is not gzip'd"
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as outer:
            members = outer.getnames()
            assert sorted(members) == ["./control.tar.gz", "./data.tar.gz", "./debian-binary"], name
            assert outer.extractfile("./debian-binary").read() == b"2.0\n"
            with tarfile.open(fileobj=outer.extractfile("./control.tar.gz"), mode="r:gz") as control_tar:
                control = control_tar.extractfile("./control").read().decode()
        fields = parse_stanzas(control)[0]
        assert fields["Package"] == match["name"]
        assert fields["Version"] == f"{match['version']}-{match['seq']}"
        assert fields["Architecture"] == match["arch"]


def test_packages_index_matches_files(iso):
    stanzas = parse_stanzas(read(iso, "/pkgs/Packages").decode())
    opks = {n for n in listdir(iso, "/pkgs") if n.endswith(".opk")}
    assert {s["Filename"] for s in stanzas} == opks
    for stanza in stanzas:
        data = read(iso, f"/pkgs/{stanza['Filename']}")
        assert int(stanza["Size"]) == len(data)
        assert stanza["MD5sum"] == hashlib.md5(data).hexdigest()
        assert stanza["SHA256sum"] == hashlib.sha256(data).hexdigest()


def test_installer_on_the_cd(iso):
    assert "install2hd" in listdir(iso, "/bin")
    steps = set(listdir(iso, "/usr/share/install2hd"))
    assert {"select-disk", "partition", "filesystems", "packages", "add-ons", "bootloader", "localize"} <= steps
    record = iso.get_record(rr_path="/bin/install2hd")
    assert record.rock_ridge.get_file_mode() & 0o111


@pytest.fixture(scope="module")
def live(iso):
    return parse_newc(gzip.decompress(read(iso, "/boot/iso_initrd.gz")))


def test_live_initrd_boots_busybox_init(live):
    assert live["init"].is_symlink and live["init"].data.decode().endswith("busybox")
    assert live["dev/console"].is_char_device and live["dev/console"].rdev == (5, 1)
    inittab = live["etc/inittab"].data.decode().splitlines()
    assert "::sysinit:/etc/init.d/rcS" in inittab
    assert "::respawn:-/sbin/getty 115200 console" in inittab
    assert live["etc/hostname"].data.decode().strip() == "initrd"
    assert live["etc/shadow"].data.decode().startswith("root::")


def test_live_initrd_has_no_ssh_server(live):
    assert not [name for name in live if name.endswith(("/dropbear", "/sshd"))]
    boot = "\n".join(line for f in ("etc/inittab", "etc/init.d/rcS")
                     for line in live[f].data.decode().splitlines() if not line.lstrip().startswith("#"))
    assert "telnetd" not in boot and "dropbear" not in boot
    assert "usr/bin/opkg" in live


def test_manifest_records_debian_versions(minifix):
    text = minifix.manifest.read_text()
    assert re.search(r"^busybox: [0-9a-f]{64}  busybox-static_.*_i386\.deb$", text, re.MULTILINE)
    assert re.search(r"^linux: [0-9a-f]{64}  linux-min_.*\.tar\.gz$", text, re.MULTILINE)
