"""minifix's stage-1 ISO, read back with pycdlib: boot layout, menu, packages and the live initrd."""

from __future__ import annotations

import io
import re
import struct
import tarfile

import pytest

from tests.integration.minifix.cd import listdir, pkgset, read
from tests.integration.minifix.trees import closure, depends

OPK_NAME = re.compile(r"^(?P<name>[a-z0-9][a-z0-9+.-]*)_(?P<version>[^_]+)-(?P<seq>\d+)_(?P<arch>i686|noarch)\.opk$")
ISOLINUX_FILES = ("isolinux.bin", "isolinux.cfg", "ldlinux.c32", "menu.c32", "libutil.c32", "libcom32.c32",
                  "chain.c32", "mbr.bin")
# The packages whose recipes make a -lib package (their base package, if any, depends on it).
LIB_SPLITS = {"glibc": "glibc-lib", "zlib": "zlib-lib", "e2fsprogs": "e2fsprogs-lib"}


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
    assert {"base.list", "toolchain.list", "default.pkgsets"} <= pkgs
    assert read(iso, "/pkgs/default.pkgsets").decode().split() == ["toolchain"]
    for name in ("base", "toolchain"):
        listed = pkgset(iso, name)
        assert listed and set(listed) <= pkgs
    base = {OPK_NAME.match(n)["name"] for n in pkgset(iso, "base")}
    assert {"glibc-min", "glibc-lib", "glibc", "zlib-lib", "busybox", "opkg", "dropbear", "openntpd"} <= base
    assert "zlib" not in base
    toolchain = {OPK_NAME.match(n)["name"] for n in pkgset(iso, "toolchain")}
    assert toolchain >= {"minifix-src", "genisoimage", "tar", "util-linux"}


def test_cd_has_no_packages_index(iso):
    """As on Aloofix: /pkgs holds the package files and the set lists, no Packages index."""
    assert "Packages" not in listdir(iso, "/pkgs")
    assert not [n for n in listdir(iso, "/pkgs") if not n.endswith((".opk", ".list", ".pkgsets"))]


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
        fields = dict(line.split(": ", 1) for line in control.splitlines() if ": " in line)
        assert fields["Package"] == match["name"]
        assert fields["Version"] == f"{match['version']}-{match['seq']}"
        assert fields["Architecture"] == match["arch"]


def test_every_package_has_a_license_package_it_depends_on_first(packages):
    for name, package in packages.items():
        if name.endswith("-license"):
            assert package.control["Architecture"] == "noarch"
            assert "Depends" not in package.control, name
            base = name.removesuffix("-license")
            files = [f for f in tarfile.open(fileobj=io.BytesIO(package.data)).getnames()
                     if f.startswith(f"./usr/share/licenses/{base}/") and not f.endswith("/")]
            assert files, f"{name} has no license text in /usr/share/licenses/{base}/"
            continue
        recipe = next((r for r in (name.rsplit("-", 1)[0], name) if f"{r}-license" in packages), None)
        assert recipe, f"{name} has no -license package"
        deps = depends(package.control)
        if name == recipe and recipe in LIB_SPLITS:
            assert deps[:2] == [LIB_SPLITS[recipe], f"{recipe}-license"], (name, deps)
        else:
            assert deps[0] == f"{recipe}-license", (name, deps)


def test_aloofix_dependency_shapes(packages):
    assert depends(packages["glibc"].control) == ["glibc-lib", "glibc-license", "base", "glibc-min"]
    assert depends(packages["glibc-min"].control) == ["glibc-license"]
    assert depends(packages["glibc-lib"].control) == ["glibc-license"]
    assert depends(packages["zlib-lib"].control) == ["zlib-license"]
    assert "zlib" not in packages  # zlib's base package has no files, as on Aloofix


def test_glibc_split(packages):
    def files(name):
        return {f.removeprefix("./") for f in tarfile.open(fileobj=io.BytesIO(packages[name].data)).getnames()}
    lib = "lib/i386-linux-gnu/"
    minimal = files("glibc-min")
    assert {"etc/ld.so.conf", "lib/ld-linux.so.2", lib + "libc.so.6", lib + "libm.so.6", lib + "libdl.so.2",
            lib + "libpthread.so.0", lib + "libcrypt.so.1", lib + "libresolv.so.2", lib + "libnss_files.so.2",
            lib + "libnss_dns.so.2"} <= minimal
    assert lib + "libutil.so.1" not in minimal
    assert lib + "libutil.so.1" in files("glibc-lib")
    assert "sbin/ldconfig" in files("glibc")
    assert lib + "libz.so.1" in files("zlib-lib")


def test_dropbear_closure_on_the_live_system(packages):
    """The live opkg has no status and no feed: dropbear (which needs libutil from glibc-lib) is installed
    with exactly these package files in one call."""
    controls = {name: p.control for name, p in packages.items()}
    assert closure(["dropbear", "glibc-lib"], controls) == {
        "zlib-license", "zlib-lib", "glibc-license", "glibc-lib", "dropbear-license", "dropbear"}


@pytest.mark.parametrize("pkgset_name", ["base", "toolchain"])
def test_package_sets_satisfy_their_dependencies(iso, packages, pkgset_name):
    """install2hd installs base.list in one opkg call, then each other set in one call on top of it."""
    controls = {name: p.control for name, p in packages.items()}
    by_file = {p.filename: name for name, p in packages.items()}
    names = {by_file[f] for f in pkgset(iso, pkgset_name)}
    installed = set() if pkgset_name == "base" else {by_file[f] for f in pkgset(iso, "base")}
    assert closure(sorted(names), controls, installed) == names


def test_minifix_src_has_an_empty_build_directory(packages):
    names = tarfile.open(fileobj=io.BytesIO(packages["minifix-src"].data)).getnames()
    tree = "./usr/src/minifix-0.9/"
    assert tree + "build" in names
    assert not [n for n in names if n.startswith(tree + "build/")]
    assert {tree + "scripts/buildstrap", tree + "config.sh", tree + "COPYING"} <= set(names)


def test_installer_on_the_cd(iso):
    assert "install2hd" in listdir(iso, "/bin")
    steps = set(listdir(iso, "/usr/share/install2hd"))
    assert {"select-disk", "partition", "filesystems", "packages", "add-ons", "bootloader", "localize"} <= steps
    record = iso.get_record(rr_path="/bin/install2hd")
    assert record.rock_ridge.get_file_mode() & 0o111
    assert read(iso, "/bin/install2hd").startswith(b"#!/bin/ash\n")


def test_live_initrd_boots_busybox_init(live):
    assert live.link("init") == "/bin/busybox"
    assert live.nodes["dev/console"].mode & 0o170000 == 0o020000
    inittab = live.nodes["etc/inittab"].data.decode().splitlines()
    assert "::sysinit:/etc/init.d/rcS" in inittab
    assert "::respawn:-/sbin/getty 115200 console" in inittab
    assert live.nodes["etc/hostname"].data.decode().strip() == "initrd"
    assert live.nodes["etc/shadow"].data.decode().startswith("root::")


def test_live_initrd_has_no_ssh_server(live):
    assert not [name for name in live.nodes if name.endswith(("/dropbear", "/sshd"))]
    boot = "\n".join(line for f in ("etc/inittab", "etc/init.d/rcS")
                     for line in live.nodes[f].data.decode().splitlines() if not line.lstrip().startswith("#"))
    assert "telnetd" not in boot and "dropbear" not in boot
    assert live.exists("usr/bin/opkg")


def test_live_initrd_has_glibc_min_only(live):
    assert live.exists("lib/i386-linux-gnu/libc.so.6")
    assert not live.exists("lib/i386-linux-gnu/libutil.so.1")
    assert not live.exists("lib/i386-linux-gnu/libz.so.1")


def test_live_opkg_has_no_status_and_no_feed(live):
    assert not live.exists("usr/lib/opkg/status")
    assert not [n for n in live.nodes if n.startswith("usr/lib/opkg/info/")]
    conf = live.nodes["etc/opkg/opkg.conf"].data.decode().splitlines()
    assert not [line for line in conf if line.split()[:1] in (["src"], ["src/gz"])]
    assert "dest hd /mnt/hd" in conf


def test_manifest_records_debian_versions(minifix):
    text = minifix.manifest.read_text()
    assert re.search(r"^busybox: [0-9a-f]{64}  busybox-static_.*_i386\.deb$", text, re.MULTILINE)
    assert re.search(r"^linux: [0-9a-f]{64}  linux-min_.*\.tar\.gz$", text, re.MULTILINE)


def test_stage1_prefetches_every_recipes_debs_in_one_call(minifix):
    """build.py asks apt-get once for what the cache lacks (apt-get costs about 1.5 s a call); the list is what
    the recipes' debs= name, and the names map to the file globs build-pkg's retrieve looks for."""
    import subprocess

    from recipes.minifix import build

    listed = subprocess.run(["sh", "-c", build.LIST_DEBS], cwd=build.RECIPE_DIR, capture_output=True, text=True,
                            check=True).stdout.split()
    assert {"busybox-static:i386", "libc6:i386", "zlib1g:i386", "syslinux-common", "isolinux"} <= set(listed)
    assert build._deb_glob("zlib1g:i386") == "zlib1g_*_i386.deb" and build._deb_glob("isolinux") == "isolinux_*_all.deb"
    cache = minifix.out.parent / "cache" / "debs"
    assert all(any(cache.glob(build._deb_glob(name))) for name in listed), "every listed package was fetched"
