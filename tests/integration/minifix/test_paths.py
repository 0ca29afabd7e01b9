"""Aloofix's tools call programs by absolute path: minifix must have every one of them where the tool runs.

The lists come from upstream's install2hd and its steps (specs/pkgs/install2hd), scripts/buildstrap,
make-buildserver, magic-install and push-packages, and the service run scripts install2hd enables. The
live system is checked as it is after its rcS ran `busybox --install -s` (and, separately, that only busybox
itself is needed before that); the installed system as install2hd's packages and add-ons steps leave it.
Every ELF program of both must find its libraries there too."""

from __future__ import annotations

import pytest

from tests.integration.minifix.trees import missing_libraries

# install2hd and its steps run on the live system: the shebang, then what they call by full path.
LIVE_PATHS = (
    "/bin/ash",  # install2hd's and push-packages' shebang
    "/bin/sh", "/bin/busybox",
    "/bin/cat", "/bin/cp", "/bin/grep", "/bin/ln", "/bin/mkdir", "/bin/mount", "/bin/mountpoint", "/bin/mv",
    "/bin/sed", "/bin/touch", "/bin/umount", "/bin/getopt",
    "/sbin/fdisk", "/sbin/mkfs.ext2", "/sbin/mkfs.ext4", "/sbin/mkswap", "/sbin/extlinux", "/sbin/ip",
    "/sbin/fsck.ext4",  # `which fsck.$fstype`
    "/sbin/getty", "/sbin/udhcpc", "/sbin/modprobe",
    "/usr/sbin/chroot", "/usr/bin/opkg", "/usr/bin/which", "/usr/bin/awk", "/usr/bin/wget",
    "/usr/share/udhcpc/default.script",
)

# The installed system: install2hd's chroot calls, the services' run scripts, the build tools.
INSTALLED_PATHS = (
    "/bin/ash", "/bin/sh", "/bin/busybox", "/bin/mountpoint", "/bin/su",
    "/usr/bin/passwd", "/sbin/ldconfig", "/sbin/depmod", "/usr/bin/opkg", "/usr/bin/update-alternatives",
    "/usr/sbin/chroot", "/sbin/extlinux", "/sbin/mkfs.ext2", "/sbin/mkfs.ext4", "/sbin/mkswap", "/sbin/fdisk",
    "/sbin/ip", "/sbin/getty", "/sbin/poweroff", "/sbin/reboot", "/sbin/init", "/sbin/svadmin",
    # the services install2hd enables (ifplugd.eth0 klogd syslogd dropbear ntpd crond acpid-bb) and httpd
    "/sbin/udhcpc", "/sbin/ifconfig", "/sbin/klogd", "/sbin/syslogd", "/usr/sbin/dropbear", "/usr/bin/dropbearkey",
    "/usr/sbin/ntpd", "/usr/sbin/crond", "/sbin/acpid", "/usr/sbin/httpd", "/usr/bin/logger", "/usr/bin/sv",
    "/usr/bin/runsvdir", "/usr/bin/runsv", "/etc/acpi/power_btn.sh",
    # scripts/buildstrap, build-pkg, mkimage, magic-install (toolchain set)
    "/usr/bin/flock", "/usr/bin/tar", "/usr/bin/genisoimage", "/bin/cpio", "/usr/bin/sha256sum",
)

SERVICES = ("ifplugd.eth0", "klogd", "syslogd", "dropbear", "ntpd", "crond", "acpid-bb", "httpd")


@pytest.mark.parametrize("path", LIVE_PATHS)
def test_live_system_has_upstream_path(live_booted, path):
    assert live_booted.exists(path), f"{path} is missing on the live system"
    assert live_booted.is_executable(path), f"{path} is not an executable file"


@pytest.mark.parametrize("path", INSTALLED_PATHS)
def test_installed_system_has_upstream_path(installed, path):
    assert installed.exists(path), f"{path} is missing on the installed system"
    assert installed.is_executable(path), f"{path} is not an executable file"


def test_live_init_and_rcs_need_only_busybox(live):
    """Before rcS has run `busybox --install -s` the initrd has no /bin/sh: /init is busybox and rcS starts
    with an ash of busybox's own."""
    assert not live.exists("/bin/sh")
    assert live.resolve("/init") == "bin/busybox"
    rcs = live.nodes["etc/init.d/rcS"].data.decode().splitlines()
    assert rcs[0] in ("#!/bin/ash", "#!/bin/busybox ash")
    assert live.exists(rcs[0][2:].split()[0])
    first = next(line for line in rcs[1:] if line.strip() and not line.startswith("#"))
    assert first.strip() == "/bin/busybox --install -s"


@pytest.mark.parametrize("service", SERVICES)
def test_installed_services_exist_with_executable_run_scripts(installed, service):
    run = f"/etc/sv/all/{service}/run"
    assert installed.is_executable(run), run
    shebang = installed.node(run).data.decode().splitlines()[0]
    assert shebang.startswith("#!") and installed.is_executable(shebang[2:].split()[0]), shebang


def test_installed_acpi_power_button_powers_off(installed):
    assert "PWRF\tpower_btn.sh" in installed.node("/etc/acpid.conf").data.decode()
    assert "KEY_POWER" in installed.node("/etc/acpi.map").data.decode()
    assert "/sbin/poweroff" in installed.node("/etc/acpi/power_btn.sh").data.decode()
    modules = installed.node("/etc/modules").data.decode().split()
    assert {"button", "evdev"} <= set(modules)
    kver = next(n.split("/")[2] for n in installed.nodes if n.startswith("lib/modules/") and n.count("/") == 2)
    deps = installed.node(f"/lib/modules/{kver}/modules.dep").data.decode()
    assert "/button.ko" in deps and "/evdev.ko" in deps, "the kernel's button and evdev modules are missing"


def test_live_programs_find_their_libraries(live_booted):
    assert missing_libraries(live_booted) == {}


def test_installed_programs_find_their_libraries(installed):
    assert missing_libraries(installed) == {}
