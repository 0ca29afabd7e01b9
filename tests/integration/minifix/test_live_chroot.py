"""minifix's live system and installer run for real on this host, in a chroot (minifix is i686: x86 hosts run
it). No VM, no disk: the live initrd is unpacked into a directory with the CD's files under /mnt/cdrom, and
install2hd's packages and add-ons steps install into a tmpfs standing in for the new disk's /mnt/hd.

(install2hd's /mnt/hd and /mnt/hd/boot are tmpfs mounts.) Covers what the build tests cannot see: the live opkg (no status, no feed) refusing dropbear alone and
installing its closure in one call, install2hd's option handling (refusals before any disk is touched, exit
status 1 for a bad option), the installed system's /bin/sh and other busybox alternatives made by the
postinsts in the chroot, and the native rebuild's refusal when build/tarballs is not seeded."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest


@pytest.fixture(scope="module", autouse=True)
def _root_with_chroot_and_cpio():
    """make test runs as root with cpio installed (make setup): anything else is a broken setup, not a skip."""
    assert os.geteuid() == 0 and shutil.which("chroot") and shutil.which("cpio"), \
        "these tests need root (chroot, bind mounts) and cpio"


PATH = "/bin:/sbin:/usr/bin:/usr/sbin:/mnt/cdrom/bin"
DROPBEAR_CLOSURE = ("glibc-lib", "glibc-license", "zlib-license", "zlib-lib", "dropbear-license", "dropbear")


def run(root: Path, script: str, user: str | None = None, check: bool = False) -> subprocess.CompletedProcess:
    argv = ["chroot"] + ([f"--userspec={user}"] if user else []) + [str(root), "/bin/ash", "-c", script]
    return subprocess.run(argv, capture_output=True, text=True, check=check,
                          env={"PATH": PATH, "HOME": "/root", "TERM": "dumb"}, stdin=subprocess.DEVNULL)


def mounted(path: Path) -> bool:
    return subprocess.run(["mountpoint", "-q", str(path)], check=False).returncode == 0


@pytest.fixture(scope="module")
def live_template(minifix, tmp_path_factory):
    """The live initrd unpacked, before its rcS; the CD's files in mnt/cdrom."""
    root = tmp_path_factory.mktemp("live-template") / "root"
    root.mkdir()
    subprocess.run(["cpio", "-idmu", "--quiet", "--no-absolute-filenames"], cwd=root,
                   input=gzip.decompress(minifix.initrd.read_bytes()), check=True)
    cdtree = minifix.out / "src" / "build" / "imagetrees" / "minifix-buildstrap"
    shutil.copytree(cdtree, root / "mnt" / "cdrom", symlinks=True, dirs_exist_ok=True)
    assert run(root, "/bin/busybox true").returncode == 0, "this host cannot run minifix's i686 binaries"
    return root


@pytest.fixture
def live(live_template, tmp_path):
    """A fresh copy of the live system after rcS's `/bin/busybox --install -s`."""
    root = tmp_path / "live"
    subprocess.run(["cp", "-a", str(live_template), str(root)], check=True)
    assert not os.path.lexists(root / "bin/sh")
    run(root, "/bin/busybox --install -s", check=True)
    assert os.readlink(root / "bin/sh") == "/bin/busybox"
    return root


def opk_files(root: Path, names) -> list[str]:
    pkgs = root / "mnt/cdrom/pkgs"
    files = []
    for name in names:
        match = [p.name for p in pkgs.glob(f"{name}_*.opk")]
        assert len(match) == 1, (name, match)
        files.append(match[0])
    return files


def test_live_opkg_refuses_dropbear_alone(live):
    result = run(live, f"cd /mnt/cdrom/pkgs && opkg install {opk_files(live, ['dropbear'])[0]}")
    assert result.returncode != 0
    assert "Cannot satisfy the following dependencies for dropbear:" in result.stderr
    assert not (live / "usr/sbin/dropbear").exists()
    assert not (live / "usr/lib/opkg/status").exists()


def test_live_opkg_installs_the_dropbear_closure_in_one_call(live):
    files = " ".join(opk_files(live, DROPBEAR_CLOSURE))
    result = run(live, f"cd /mnt/cdrom/pkgs && opkg install {files}")
    assert result.returncode == 0, result.stderr
    assert run(live, "/usr/sbin/dropbear -V").returncode == 0  # libutil (glibc-lib) and libz (zlib-lib) load
    listed = run(live, "opkg list-installed", check=True).stdout.split()
    assert set(DROPBEAR_CLOSURE) <= set(listed[::3])


@pytest.mark.parametrize("args, message", [
    ("--bogus", "unrecognized option"),
    ("--mdadm=raid1", "--mdadm=raid1: minifix has no mdadm"),
    ("--lvm", "--lvm: minifix has no lvm"),
    ("--initramfs", "--initramfs is not supported by minifix"),
    ("--hddev='/tmp/disk1 /tmp/disk2'", "minifix installs to one disk only"),
    ("--hddev=/tmp/nodisk", 'Invalid hddev value: "/tmp/nodisk"'),
    ("--fstype=xfs", "Unsupported filesystem type: xfs"),
    ("--pkgsets=nosuch", "Unknown package set: nosuch"),
])
def test_install2hd_refuses_before_touching_a_disk(live, args, message):
    # fake block devices (no such disk behind them): --hddev accepts them, the disk count does not
    run(live, "mknod /tmp/disk1 b 7 250 && mknod /tmp/disk2 b 7 251", check=True)
    result = run(live, f"install2hd {args}")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert message in result.stderr
    assert "->" not in result.stdout  # no step ran


def test_install2hd_accepts_upstream_options_and_looks_for_disks(live):
    """Valid options pass (fsck.ext4 on PATH, the default pkgsets from the CD) and the first step runs: the
    chroot's /dev (from the initrd's cpio: no device) has no disk, so select-disk stops there."""
    assert not [p for p in (live / "dev").iterdir() if p.is_block_device()]
    result = run(live, "install2hd --force-fdisk --force-md0 --force-vg0 --fstype=ext4 --bootsize=16 --swapsize=64")
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["-> select-disk"]
    assert "No candidate disks found." in result.stderr


def test_install2hd_help(live):
    result = run(live, "install2hd -h")
    assert result.returncode == 0
    for option in ("--initramfs", "--mdadm=RAIDTYPE", "--lvm", "--fstype", "--hddev", "--bootsize", "--swapsize",
                   "--pkgsets", "--force-fdisk", "--force-md0", "--force-vg0"):
        assert option in result.stderr


@pytest.fixture
def hd(live):
    """live with tmpfs on /mnt/hd and /mnt/hd/boot (install2hd checks they are mount points, by device)."""
    target = live / "mnt" / "hd"
    mounts = []
    try:
        for path in (target, target / "boot"):
            path.mkdir(exist_ok=True)
            subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", str(path)], check=True)
            mounts.append(path)
        yield live
    finally:
        for path in [target / "proc", target / "dev" / "null"] + mounts[::-1]:
            if mounted(path):
                subprocess.run(["umount", "-l", str(path)], check=False)


STEP = """set -e; set -u
die() {{ echo "$@" >&2; exit 1; }}
root_mount=/mnt/hd; boot_mount=/mnt/hd/boot; cdrom_mount=/mnt/cdrom; pkgsets=toolchain
{pre}
. $cdrom_mount/usr/share/install2hd/{step} >/tmp/{step}.out
"""


def kernel_version(root: Path) -> str:
    opk = next((root / "mnt/cdrom/pkgs").glob("linux-modules_*.opk"))
    with tarfile.open(opk) as outer, tarfile.open(fileobj=outer.extractfile("./data.tar.gz")) as data:
        return next(n.split("/")[3] for n in data.getnames() if n.count("/") >= 3 and n.startswith("./lib/modules/"))


def test_install2hd_packages_and_add_ons_steps(hd):
    target = hd / "mnt" / "hd"
    # The host's kernel is not minifix's: the packages step's depmod (for `uname -r`) gets minifix's modules.
    kver = kernel_version(hd)
    pre = f"mkdir -p /mnt/hd/lib/modules; [ -e /mnt/hd/lib/modules/$(uname -r) ] || ln -s {kver} /mnt/hd/lib/modules/$(uname -r)"
    packages = run(hd, STEP.format(pre=pre, step="packages"))
    assert packages.returncode == 0, packages.stderr
    # /bin/sh: linked by the step, registered as busybox's alternative by its postinst (run in the chroot)
    assert os.readlink(target / "bin/sh") == "busybox"
    assert (target / "usr/lib/opkg/alternatives/sh").read_text().splitlines() == ["/bin/sh", "busybox 10"]
    assert os.readlink(target / "sbin/ip") == "../bin/busybox"
    assert os.readlink(target / "usr/bin/awk") == "../../bin/busybox"
    assert (target / "etc/ld.so.cache").exists()
    assert (target / f"lib/modules/{kver}/modules.dep").exists()
    assert not mounted(target / "proc")
    assert run(hd, "/usr/sbin/chroot /mnt/hd /usr/sbin/dropbear -V").returncode == 0

    addons = run(hd, STEP.format(pre="", step="add-ons"))
    assert addons.returncode == 0, addons.stderr
    tree = target / "usr/src/minifix-0.9"
    assert (tree / "scripts/buildstrap").exists()
    assert list((tree / "build").iterdir()) == []
    assert "src build file:///usr/src/minifix-0.9/pkgs" in (target / "etc/opkg/opkg.conf").read_text()
    installed = run(hd, "/usr/sbin/chroot /mnt/hd /usr/bin/opkg list-installed", check=True).stdout
    assert "minifix-src - " in installed and "glibc-lib - " in installed and "flock" not in installed

    # localize: everything but the root password, which needs a terminal (stdin is /dev/null here)
    localize = run(hd, STEP.format(pre="hostname=; bootfstype=ext2; fstype=ext4; rootdev=/dev/vda3", step="localize"))
    assert localize.returncode == 1
    assert "No terminal: cannot set the root password" in localize.stderr
    hostname = (target / "etc/hostname").read_text().strip()
    eth0 = Path("/sys/class/net/eth0/address")
    if eth0.exists():  # the chroot shares this host's network: its eth0
        assert hostname == "host" + eth0.read_text().strip().replace(":", "")
    assert f"127.0.0.1\t{hostname}.localdomain {hostname} localhost" in (target / "etc/hosts").read_text()
    for service in ("ifplugd.eth0", "klogd", "syslogd", "dropbear", "ntpd", "crond", "acpid-bb"):
        link = target / "etc/sv/default" / service
        assert os.readlink(link) == f"../all/{service}" and (link / "run").exists(), service
    assert os.readlink(target / "etc/ifplugd/ifplugd.eth0") == "dhcp"
    inittab = (target / "etc/inittab").read_text()
    assert "::respawn:-/sbin/getty 115200 console" in inittab and "tty2::respawn:-/sbin/getty 115200 tty2" in inittab
    assert "root=/dev/vda3" in (target / "boot/extlinux/extlinux.conf").read_text()
    assert (target / "firstboot").exists()

    # The native rebuild (as build, in the installed source tree) needs seeded kept sources.
    (target / "dev/null").touch()
    subprocess.run(["mount", "--bind", "/dev/null", str(target / "dev/null")], check=True)
    rebuild = subprocess.run(
        ["chroot", "--userspec=999:999", str(target), "/bin/sh", "-c",
         "cd /usr/src/minifix-0.9 && ./scripts/build-pkg zlib"],
        capture_output=True, text=True, env={"PATH": "/bin:/sbin:/usr/bin:/usr/sbin", "HOME": "/home/build"}, check=False)
    assert rebuild.returncode != 0
    assert ("building zlib failed in retrieve: no kept sources in build/tarballs/zlib (missing zlib1g:i386) "
            "and no apt-get; seed build/tarballs") in rebuild.stderr
