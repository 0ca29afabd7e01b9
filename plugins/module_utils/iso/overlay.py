# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The initrd overlay that makes a live ISO reachable: SSH with a pinned key, host keys on the console.

Aloofix's live system has no sshd; dropbear is only a package file on the CD. The overlay is a second cpio that
the kernel unpacks over the distro's initrd. It replaces /init (busybox init on Aloofix and minifix) with a
small script that adds one inittab entry and then execs busybox init, so the distro boots as it always does.
The entry runs after the distro's sysinit (which mounts the CD and starts DHCP): it installs dropbear from
the CD with the distro's own opkg (the whole closure, resolved by the remaster from the packages' control files,
in one call: the live opkg has no status and no feed), authorises the given key for root, creates host keys, prints their public
halves on the console (``BUILDSTRAP-HOSTKEY <type> <base64>``) for the controller to pin, and starts dropbear
with password logins disabled.
"""

from __future__ import annotations

import re

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.iso.cpio import S_DIR, S_FILE

HOSTKEY_MARK = "BUILDSTRAP-HOSTKEY"
READY_MARK = "BUILDSTRAP-SSH-READY"
FAILED_MARK = "BUILDSTRAP-SSH-FAILED"
_PUBKEY_RE = re.compile(r"^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$")

# Aloofix's live initrd has no /bin/sh until its rcS runs `busybox --install -s`: both scripts name busybox.
INIT = """#!/bin/busybox sh
# buildstrap overlay: one more inittab entry, then the distro's own init.
if [ -f /etc/inittab ]; then
    echo '::once:/etc/buildstrap/live-ssh' >>/etc/inittab
else
    printf '%s\\n' '::sysinit:/etc/init.d/rcS' '::respawn:-/sbin/getty 115200 console' \\
        '::once:/etc/buildstrap/live-ssh' >/etc/inittab
fi
exec /bin/busybox init "$@"
"""

LIVE_SSH = """#!/bin/busybox sh
# buildstrap overlay: start dropbear on the live system and publish its host keys on the console.
PATH=/sbin:/bin:/usr/sbin:/usr/bin:/mnt/cdrom/bin
export PATH
exec >/dev/console 2>&1
log=/tmp/buildstrap-live-ssh.log
fail() { echo "@FAILED@ $*"; exit 1; }
n=0
until ls /mnt/cdrom/pkgs/*.opk >/dev/null 2>&1; do
    n=$((n + 1)); [ $n -gt 120 ] && fail "no /mnt/cdrom/pkgs after 120 s"
    sleep 1
done
if ! command -v dropbear >/dev/null 2>&1 && [ -n "@FILES@" ]; then
    opkg install @FILES@ >>$log 2>&1 || { tail -n 5 $log; fail "opkg install @FILES@ failed (see $log)"; }
fi
command -v dropbear >/dev/null 2>&1 || fail "dropbear is not installed and not on the CD"
mkdir -p /root/.ssh /etc/dropbear
chmod 700 /root/.ssh
cp /etc/buildstrap/authorized_keys /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
shell=$(awk -F: '$1 == "root" { print $7 }' /etc/passwd)
[ -n "$shell" ] && ! grep -qx "$shell" /etc/shells 2>/dev/null && echo "$shell" >>/etc/shells
keys=
for type in @KEYTYPES@; do
    key=/etc/dropbear/dropbear_${type}_host_key
    bits=
    [ $type = rsa ] && bits="-s 2048"
    [ -f $key ] || dropbearkey -t $type $bits -f $key >>$log 2>&1 || continue
    keys="$keys -r $key"
    dropbearkey -y -f $key 2>/dev/null | grep -E '^(ssh-|ecdsa-)' | while read -r kt kb rest; do
        printf '\n@HOSTKEY@ %s %s\n' "$kt" "$kb"
    done
done
[ -n "$keys" ] || fail "dropbearkey could not make a host key"
# -s: no password logins (root's live password is empty); keys only.
dropbear $keys -s -p 22 >>$log 2>&1 || fail "dropbear did not start (see $log)"
printf '\n@READY@ port=22\n'
"""


HOST_KEY_TYPES = ("ed25519", "ecdsa", "rsa", "dss")
_FILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+._-]*$")


def overlay_entries(authorized_keys: list[str], package_files: list[str],
                    host_key_types: list[str] | None = None) -> list[tuple[str, int, bytes]]:
    """The files of the overlay cpio, in a fixed order. ``package_files``: the SSH server's install closure, file
    names in the CD's pkgs directory; ``host_key_types``: dropbearkey types to make (the SSH profile's)."""
    if not authorized_keys:
        raise SpecError("authorized_keys", "give at least one SSH public key for root (e.g. the contents of "
                                           "~/.ssh/id_ed25519.pub)")
    for i, key in enumerate(authorized_keys):
        if not _PUBKEY_RE.match(key.strip()):
            raise SpecError(f"authorized_keys[{i}]", "is not an OpenSSH public key line ('ssh-ed25519 AAAA...')")
    for i, name in enumerate(package_files):
        if not _FILE_RE.match(name):
            raise SpecError(f"ssh_packages[{i}]", f"{name!r} is not a package file name")
    host_key_types = list(host_key_types or ["ed25519", "rsa"])
    for i, kind in enumerate(host_key_types):
        if kind not in HOST_KEY_TYPES:
            raise SpecError(f"host_key_types[{i}]", f"{kind!r} is not valid; use {', '.join(HOST_KEY_TYPES)}")
    live_ssh = (LIVE_SSH.replace("@FILES@", " ".join(f"/mnt/cdrom/pkgs/{name}" for name in package_files)).replace("@FAILED@", FAILED_MARK)
                .replace("@KEYTYPES@", " ".join(host_key_types))
                .replace("@HOSTKEY@", HOSTKEY_MARK).replace("@READY@", READY_MARK))
    keys = "".join(k.strip() + "\n" for k in authorized_keys)
    return [
        ("etc", S_DIR | 0o755, b""),
        ("etc/buildstrap", S_DIR | 0o755, b""),
        ("etc/buildstrap/authorized_keys", S_FILE | 0o600, keys.encode()),
        ("etc/buildstrap/live-ssh", S_FILE | 0o755, live_ssh.encode()),
        # Only files under /etc and /init: a directory entry for, say, /sbin would replace a merged-usr symlink.
        ("init", S_FILE | 0o755, INIT.encode()),
    ]


def parse_host_keys(text: str) -> list[str]:
    """'type base64' host keys printed on the console by the overlay (the last boot's, deduplicated)."""
    found = []
    # A getty may have printed its prompt on the same line just before: do not anchor at the line start.
    for match in re.finditer(rf"{HOSTKEY_MARK} (\S+) ([A-Za-z0-9+/=]+)\s*$", text, re.MULTILINE):
        key = f"{match.group(1)} {match.group(2)}"
        if key not in found:
            found.append(key)
    return found
