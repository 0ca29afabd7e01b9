"""Unit tests for minifix's build tools that run on this host: the pycdlib mastering helper, the
stage-1 driver's freshness check, lib.sh's cpio and module helpers, and the opkg client (POSIX sh)."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import subprocess
import tarfile
import time
from pathlib import Path

import pycdlib
import pytest

from recipes.minifix import build as minifix_build
from recipes.minifix.scripts import mkiso  # type: ignore[attr-defined]
from tests.integration.minifix.newc import parse_newc

TREE = minifix_build.RECIPE_DIR
LIB = TREE / "scripts" / "lib.sh"
OPKG = TREE / "specs" / "pkgs" / "opkg" / "usr" / "bin" / "opkg"


def sh(script: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", "-c", script], capture_output=True, check=True, **kw)


# --- mkiso.py ---------------------------------------------------------------------------------------

def test_mkiso_writes_isolinux_layout(tmp_path):
    tree = tmp_path / "tree"
    (tree / "boot" / "isolinux").mkdir(parents=True)
    (tree / "boot" / "isolinux" / "isolinux.bin").write_bytes(b"\xeb" + b"\x00" * 4095)
    (tree / "bin").mkdir()
    (tree / "bin" / "install2hd").write_text("#!/bin/sh\n")
    os.chmod(tree / "bin" / "install2hd", 0o755)
    (tree / "pkgs").mkdir()
    (tree / "pkgs" / "a-rather-long-package-name_1.2.3-1_i686.opk").write_bytes(b"x")
    out = tmp_path / "out.iso"
    assert mkiso.main(["--volume-id", "TEST", "--output", str(out), str(tree)]) == 0

    iso = pycdlib.PyCdlib()
    iso.open(str(out))
    try:
        entry = iso.eltorito_boot_catalog.initial_entry
        assert (entry.boot_media_type, entry.sector_count) == (0, 4)
        buf = io.BytesIO()
        iso.get_file_from_iso_fp(buf, rr_path="/boot/isolinux/isolinux.bin")
        assert struct.unpack_from("<III", buf.getvalue(), 8) == (16, entry.load_rba, 4096)
        iso.get_record(rr_path="/boot/isolinux.boot.cat")
        iso.get_record(rr_path="/pkgs/a-rather-long-package-name_1.2.3-1_i686.opk")
        assert iso.get_record(rr_path="/bin/install2hd").rock_ridge.get_file_mode() & 0o111
    finally:
        iso.close()


def test_mkiso_refuses_tree_without_boot_image(tmp_path, capsys):
    assert mkiso.main(["--volume-id", "X", "--output", str(tmp_path / "x.iso"), str(tmp_path)]) == 1


# --- build.py ---------------------------------------------------------------------------------------

def test_is_up_to_date_compares_artifacts_with_recipe_tree(tmp_path):
    root = tmp_path / "recipe"
    (root / "scripts").mkdir(parents=True)
    (root / "config.sh").write_text("x=1\n")
    (root / "scripts" / "buildstrap").write_text("#!/bin/sh\n")
    out = tmp_path / "out"
    assert not minifix_build.is_up_to_date(out, root)
    out.mkdir()
    for name in minifix_build.ARTIFACTS:
        (out / name).write_bytes(b"")
    assert minifix_build.is_up_to_date(out, root)
    later = time.time() + 10
    os.utime(root / "scripts" / "buildstrap", (later, later))
    assert not minifix_build.is_up_to_date(out, root)


def test_buildstrap_command_runs_as_build_user_when_root(tmp_path):
    argv, env = minifix_build.buildstrap_command(tmp_path / "src", tmp_path / "cache", tmp_path)
    assert argv[-1] == "./scripts/buildstrap"
    assert env["DEB_CACHE"] == str(tmp_path / "cache")
    if os.geteuid() == 0:
        assert argv[:4] == ["runuser", "-u", minifix_build.BUILD_USER, "--"]
        assert (tmp_path / "pylib" / "pycdlib").is_symlink()
    else:
        assert argv == ["./scripts/buildstrap"]


# --- lib.sh -----------------------------------------------------------------------------------------

def test_cpio_devices_gives_initramfs_console_node():
    raw = sh(f"top=/nonexistent; . {LIB}; cpio_devices dev/console c 5 1 0600 dev/null c 1 3 0666").stdout
    entries = parse_newc(raw)
    assert entries["dev/console"].is_char_device and entries["dev/console"].rdev == (5, 1)
    assert entries["dev/console"].mode & 0o777 == 0o600
    assert entries["dev/null"].rdev == (1, 3) and entries["dev/null"].mode & 0o777 == 0o666


@pytest.mark.parametrize("debian, minifix", [
    ("1:1.35.0-4+deb12u1+b1", "1.35.0"),
    ("2.36-9+deb12u14", "2.36"),
    ("3:6.04~git20190206.bf6db5b4+dfsg1-3", "6.04~git20190206.bf6db5b4+dfsg1"),
    ("1.0", "1.0"),
])
def test_upstream_version(debian, minifix):
    assert sh(f"top=/x; . {LIB}; upstream_version '{debian}'").stdout.decode().strip() == minifix


def test_module_closure_follows_dependencies(tmp_path):
    dep = tmp_path / "modules.dep"
    dep.write_text("kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko\n"
                   "kernel/fs/jbd2/jbd2.ko:\nkernel/fs/mbcache.ko:\n"
                   "kernel/drivers/scsi/sr_mod.ko: kernel/drivers/cdrom/cdrom.ko\n"
                   "kernel/drivers/cdrom/cdrom.ko:\nkernel/net/unused.ko:\n")
    out = sh(f"top=/x; . {LIB}; module_closure {dep} ext4 sr_mod").stdout.decode().split()
    assert sorted(out) == sorted(["kernel/fs/ext4/ext4.ko", "kernel/fs/jbd2/jbd2.ko", "kernel/fs/mbcache.ko",
                                  "kernel/drivers/scsi/sr_mod.ko", "kernel/drivers/cdrom/cdrom.ko"])


# --- opkg -------------------------------------------------------------------------------------------

def _tgz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755 if name.endswith("/run") else 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def make_opk(directory: Path, name: str, files: dict[str, bytes], depends: str = "") -> Path:
    control = f"Package: {name}\nVersion: 1.0-1\nArchitecture: noarch\nDescription: test {name}\n"
    if depends:
        control += f"Depends: {depends}\n"
    opk = directory / f"{name}_1.0-1_noarch.opk"
    opk.write_bytes(_tgz({"./debian-binary": b"2.0\n", "./control.tar.gz": _tgz({"./control": control.encode()}),
                          "./data.tar.gz": _tgz(files)}))
    data = opk.read_bytes()
    (directory / f"{name}.control").write_text(
        control + f"Filename: {opk.name}\nSize: {len(data)}\nMD5sum: {hashlib.md5(data).hexdigest()}\n"
        f"SHA256sum: {hashlib.sha256(data).hexdigest()}\n")
    return opk


UPDATE_ALTERNATIVES = OPKG.parent / "update-alternatives"


@pytest.fixture(params=["dash", "busybox-ash"])
def shell(request):
    """The host's /bin/sh (dash on Debian) and minifix's own busybox ash: the same scripts run under both."""
    if request.param == "dash":
        return ["sh"]
    minifix = request.getfixturevalue("minifix")
    busybox = minifix.out / "src" / "build" / "src" / "busybox" / "busybox-static" / "bin" / "busybox"
    # make setup gives this host the i386 libraries; a busybox that cannot run is a broken setup, not a skip.
    assert busybox.exists() and subprocess.run([str(busybox), "true"], capture_output=True, check=False).returncode == 0, \
        f"minifix's i386 busybox does not run here ({busybox})"
    return [str(busybox), "ash"]


@pytest.fixture
def opkg_env(tmp_path, shell):
    feed = tmp_path / "feed"
    feed.mkdir()
    files = tmp_path / "files"
    files.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    conf = tmp_path / "opkg.conf"
    conf.write_text(f"option tmp_dir {tmp_path}\ndest root /\narch noarch 1\nsrc test file://{feed}\n")

    def opkg(*args, check=True):
        return subprocess.run([*shell, str(OPKG), "-f", str(conf), "-o", str(root), *args],
                              capture_output=True, text=True, check=check)

    def index():
        (feed / "Packages").write_text("\n".join(p.read_text() for p in sorted(feed.glob("*.control"))))

    return feed, root, opkg, index, files


def installed(opkg) -> list[str]:
    return opkg("list-installed").stdout.split("\n")[:-1]


def test_opkg_installs_file_and_feed_package_with_dependency(opkg_env):
    feed, root, opkg, index, _unused = opkg_env
    make_opk(feed, "libfoo", {"./usr/lib/libfoo.so.1": b"lib"})
    app = make_opk(feed, "app", {"./usr/bin/app": b"app"}, depends="libfoo")
    index()
    opkg("update")
    assert "app - 1.0-1 - test app" in opkg("list").stdout
    opkg("install", str(app))
    assert (root / "usr/bin/app").read_bytes() == b"app"
    assert (root / "usr/lib/libfoo.so.1").exists()
    assert installed(opkg) == ["app - 1.0-1", "libfoo - 1.0-1"]
    opkg("remove", "app")
    assert not (root / "usr/bin/app").exists()
    assert installed(opkg) == ["libfoo - 1.0-1"]


def test_opkg_refuses_package_whose_sha256_mismatches_index(opkg_env):
    feed, root, opkg, index, _unused = opkg_env
    opk = make_opk(feed, "app", {"./usr/bin/app": b"app"})
    index()
    opkg("update")
    with open(opk, "ab") as f:
        f.write(b"tampered")
    result = opkg("install", "app", check=False)
    assert result.returncode != 0
    assert "SHA256 mismatch" in result.stderr
    assert not (root / "usr/bin/app").exists()


def test_opkg_refuses_unsatisfiable_dependency(opkg_env):
    feed, root, opkg, index, files = opkg_env
    app = make_opk(files, "app", {"./usr/bin/app": b"app"}, depends="missing")
    result = opkg("install", str(app), check=False)
    assert result.returncode != 0
    assert "Cannot satisfy the following dependencies for app:" in result.stderr
    assert "\tmissing" in result.stderr
    assert not (root / "usr/bin/app").exists()


def test_opkg_resolves_dependencies_among_the_files_of_one_call(opkg_env):
    """Like Aloofix's live system (no status, no feed): a package file alone fails, its closure in one call
    works, dependencies first."""
    feed, root, opkg, index, files = opkg_env
    lic = make_opk(files, "z-license", {"./usr/share/licenses/z/COPYING": b"text"})
    lib = make_opk(files, "z-lib", {"./lib/libz.so.1": b"lib"}, depends="z-license")
    app = make_opk(files, "app", {"./usr/bin/app": b"app"}, depends="app-license, z-lib")
    app_lic = make_opk(files, "app-license", {"./usr/share/licenses/app/COPYING": b"text"})

    alone = opkg("install", str(app), check=False)
    assert alone.returncode != 0
    assert "Cannot satisfy the following dependencies for app:" in alone.stderr
    assert "\tapp-license" in alone.stderr and "\tz-lib" in alone.stderr
    assert not (root / "usr/bin/app").exists() and not (root / "usr/lib/opkg/status").exists()

    # one missing dependency deep down fails the whole call: nothing is installed
    partial = opkg("install", str(app), str(app_lic), str(lib), check=False)
    assert partial.returncode != 0 and "dependencies for z-lib:" in partial.stderr
    assert not (root / "usr/bin/app").exists() and not (root / "lib/libz.so.1").exists()

    done = opkg("install", str(app), str(app_lic), str(lib), str(lic))
    order = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("Installing ")]
    assert order.index("z-license") < order.index("z-lib") < order.index("app")
    assert order.index("app-license") < order.index("app")
    assert (root / "usr/bin/app").read_bytes() == b"app"
    assert len(installed(opkg)) == 4


def test_opkg_counts_installed_packages_as_satisfied(opkg_env):
    feed, root, opkg, index, files = opkg_env
    lib = make_opk(files, "libfoo", {"./usr/lib/libfoo.so.1": b"lib"})
    app = make_opk(files, "app", {"./usr/bin/app": b"app"}, depends="libfoo")
    opkg("install", str(lib))
    opkg("install", str(app))
    assert installed(opkg) == ["app - 1.0-1", "libfoo - 1.0-1"]
    again = opkg("install", str(app))
    assert "up to date" in again.stdout


def test_opkg_unknown_package_name_fails(opkg_env):
    feed, root, opkg, index, _unused = opkg_env
    index()
    opkg("update")
    result = opkg("install", "nosuch", check=False)
    assert result.returncode != 0
    assert "Unknown package 'nosuch'." in result.stderr


# --- update-alternatives ----------------------------------------------------------------------------

def test_update_alternatives_links_the_highest_priority(tmp_path, shell):
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)

    def ua(*args, check=True):
        return subprocess.run([*shell, str(UPDATE_ALTERNATIVES), *args], capture_output=True, text=True,
                              check=check, env={"PATH": os.environ["PATH"], "OPKG_OFFLINE_ROOT": str(root)})

    ua("--install", "/bin/sh", "sh", "busybox", "10")
    assert os.readlink(root / "bin/sh") == "busybox"
    ua("--install", "/bin/sh", "sh", "bash", "50")
    assert os.readlink(root / "bin/sh") == "bash"
    assert (root / "usr/lib/opkg/alternatives/sh").read_text() == "/bin/sh\nbusybox 10\nbash 50\n"
    ua("--remove", "sh", "bash")
    assert os.readlink(root / "bin/sh") == "busybox"
    ua("--remove", "sh", "busybox")
    assert not os.path.lexists(root / "bin/sh")
    assert not (root / "usr/lib/opkg/alternatives/sh").exists()
    (root / "bin/tar").write_text("GNU tar")
    refused = ua("--install", "/bin/tar", "tar", "busybox", "10", check=False)
    assert refused.returncode != 0 and "is not a link" in refused.stderr
