# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Driving Aloofix's (and minifix's) install2hd over SSH under a pty, and preparing the installed disk.

install2hd prints each step as ``-> step`` with the step's output in /tmp/<step>.out, needs a real TTY, and
asks for the root password LAST with busybox passwd's prompts. Busybox flushes pending input around printing a
prompt, so each answer is sent only after its prompt appeared and the line went quiet (ExpectSession.answer).
"""

from __future__ import annotations

import os
import re
import shlex
import time

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import BuildstrapError, SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import client as ssh

STEP_RE = re.compile(r"^-> (\S+)\s*$", re.MULTILINE)
NEW_PASSWORD_RE = re.compile(r"New password: ?$", re.MULTILINE)
RETYPE_RE = re.compile(r"Retype password: ?$", re.MULTILINE)
MISMATCH_RE = re.compile(r"Passwords don't match")
DONE_RE = re.compile(r"Done\. Installation output written to /tmp")
ROOT_MOUNT = "/mnt/hd"
OPTION_FLAGS = (("hddev", "--hddev="), ("fstype", "--fstype="), ("bootsize", "--bootsize="),
                ("swapsize", "--swapsize="), ("pkgsets", "--pkgsets="))


class InstallError(BuildstrapError):
    """install2hd failed on the guest."""


def hddevs(value) -> list[str]:
    """--hddev's devices as a list: install2hd takes one device or a space-separated list of them."""
    if not value:
        return []
    return value.replace(",", " ").split() if isinstance(value, str) else [str(v) for v in value]


def install_argv(opts: dict, command: str = "install2hd") -> list[str]:
    """install2hd's options, mapped 1:1 from the action's arguments; ``command`` is the installer's name (or
    path) on the guest."""
    if not command or not re.match(r"^[A-Za-z0-9_./+-]+$", command):
        raise SpecError("command", f"{command!r} is not a command; use the installer's name or path, e.g. install2hd")
    argv = [command]
    for key, flag in OPTION_FLAGS:
        value = opts.get(key)
        if value in (None, "", []):
            continue
        if key == "hddev":
            value = " ".join(hddevs(value))  # one word: "--hddev=/dev/sda /dev/sdb"
        elif key == "pkgsets" and isinstance(value, list):
            value = " ".join(value)
        argv.append(f"{flag}{value}")
    if opts.get("force_fdisk"):
        argv.append("--force-fdisk")
    return argv


def validate(opts: dict) -> None:
    if not opts.get("root_password"):
        raise SpecError("root_password", "is missing or empty; set it from a variable (e.g. an Ansible vault)")
    if any(c in str(opts["root_password"]) for c in "\r\n"):
        raise SpecError("root_password", "must be one line")
    for device in hddevs(opts.get("hddev")):
        if not re.match(r"^/dev/[a-z]+[a-z0-9]*$", device):
            raise SpecError("hddev", f"{device!r} is not a disk device such as /dev/vda")
    for key in ("bootsize", "swapsize"):
        if opts.get(key) is not None and int(opts[key]) < 1:
            raise SpecError(key, f"{opts[key]} is out of range; use a whole number of megabytes >= 1")
    if opts.get("fstype") and not re.match(r"^[a-z0-9]+$", opts["fstype"]):
        raise SpecError("fstype", f"{opts['fstype']!r} is not a filesystem type such as ext4")


def _disks(client) -> dict[str, list[str]]:
    """{disk: [partitions]} from /proc/partitions, without CD drives."""
    _unused, out, _unused = ssh.run(client, "/bin/cat /proc/partitions", timeout=30)
    names = [ln.split()[3] for ln in out.splitlines()[1:] if len(ln.split()) == 4]
    disks = {n: [] for n in names if re.match(r"^(vd|sd|hd|ubd)[a-z]$", n)}
    for name in names:
        base = re.sub(r"\d+$", "", name)
        if base != name and base in disks:
            disks[base].append(name)
    return disks


def preflight(client, opts: dict) -> dict:
    """Which disk install2hd will take, and refuse a partitioned one unless force_fdisk (disk untouched)."""
    disks = _disks(client)
    chosen = [d.rsplit("/", 1)[1] for d in hddevs(opts.get("hddev"))]
    for name in chosen:
        if name not in disks:
            raise SpecError("hddev", f"/dev/{name} is not a disk of the guest; it has "
                                     f"{', '.join('/dev/' + d for d in disks) or 'none'}")
    if chosen:
        disk = chosen[0]  # install2hd boots from the first device's partition 1
    elif len(disks) == 1:
        disk = next(iter(disks))
    elif not disks:
        raise SpecError("hddev", "the guest has no disk for install2hd (No candidate disks found); add a disk "
                                 "to the VM")
    else:
        raise SpecError("hddev", "the guest has several disks (" + ", ".join("/dev/" + d for d in disks)
                        + "); say which one install2hd may wipe")
    existing = [part for name in (chosen or [disk]) for part in disks[name]]
    if existing and not opts.get("force_fdisk"):
        raise SpecError("force_fdisk", f"{', '.join('/dev/' + d for d in (chosen or [disk]))} already has "
                                       f"partitions ({', '.join(existing)}); install2hd refuses to repartition "
                                       "it. Set force_fdisk: true to wipe it")
    return {"disk": f"/dev/{disk}", "existing_partitions": existing}


def run_install(client, opts: dict, name: str, log_dir: str, timeout: float, command: str = "install2hd") -> dict:
    """Run install2hd under a pty, answering the password prompts; return steps and timings."""
    argv = install_argv(opts, command)
    password = str(opts["root_password"])
    transcript = os.path.join(log_dir, "install2hd.transcript.log")
    steps, started = [], time.monotonic()
    # PATH: Aloofix puts install2hd in /mnt/cdrom/bin through its profile, which a non-login command skips.
    line = "PATH=/mnt/cdrom/bin:/sbin:/usr/sbin:/bin:/usr/bin; export PATH; " + " ".join(shlex.quote(a) for a in argv)
    with ssh.PtySession(client, line, name, transcript=transcript, secrets=[password]) as session:
        session.note("running " + " ".join(argv))
        prompts = 0
        while True:
            try:
                index, match = session.expect([STEP_RE, NEW_PASSWORD_RE, RETYPE_RE, MISMATCH_RE, DONE_RE],
                                              timeout, what="install2hd's next step")
            except BuildstrapError as exc:
                if session.closed:
                    break  # ended without Done: judged by the exit status below
                raise InstallError(f"install2hd on {name}: {exc}") from None
            now = round(time.monotonic() - started, 2)
            if index == 0:
                steps.append({"step": match.group(1), "started": now})
            elif index in (1, 2):
                prompts += 1
                if prompts > 6:
                    raise InstallError("install2hd keeps asking for the root password; giving up after 3 tries")
                session.answer(password, secret=True)
            elif index == 3:
                session.note("passwords did not match; install2hd asks again")
            elif index == 4:
                break
        if session.connection_lost:  # the guest, its SSH server or the VM went away: no step output to fetch
            last = steps[-1]["step"] if steps else "(none)"
            raise InstallError(f"install2hd on {name}: the SSH connection to the guest was lost during step {last} "
                               f"(no exit status; did the VM stop?); transcript {transcript}")
        rc = session.exit_status(timeout)
        screen = session.screen()
    for i, step in enumerate(steps):
        end = steps[i + 1]["started"] if i + 1 < len(steps) else round(time.monotonic() - started, 2)
        step["seconds"] = round(end - step["started"], 2)
    result = {"argv": argv, "rc": rc, "steps": steps, "seconds": round(time.monotonic() - started, 2),
              "transcript": transcript, "password_prompts": prompts}
    if rc != 0 or not DONE_RE.search(screen + "\n"):
        last = steps[-1]["step"] if steps else None
        result["failed_step"] = last
        result["screen"] = screen
    return result


def fetch_step_logs(client, log_dir: str, steps: list[dict]) -> list[str]:
    """Copy /tmp/<step>.out (RAM on the live system, lost at reboot) into the run's log directory."""
    fetched = []
    _unused, out, _unused = ssh.run(client, "/bin/ls /tmp/*.out 2>/dev/null", timeout=30)
    names = {os.path.basename(p) for p in out.split()} | {f"{s['step']}.out" for s in steps}
    for name in sorted(names):
        if not re.match(r"^[A-Za-z0-9_.-]+\.out$", name):
            continue
        rc, content, _unused = ssh.run(client, f"/bin/cat /tmp/{name}", timeout=60)
        if rc == 0:
            path = os.path.join(log_dir, name)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(content)
            fetched.append(path)
    return fetched


PREPARE = r"""
set -e
PATH=/sbin:/usr/sbin:/bin:/usr/bin
root={root}
disk={disk}
part() {{ case "$disk" in *[0-9]) echo "${{disk}}p$1" ;; *) echo "$disk$1" ;; esac; }}
grep -q " $root " /proc/mounts || mount "$(part 3)" "$root"
grep -q " $root/boot " /proc/mounts || mount "$(part 1)" "$root/boot"
mkdir -p "$root/root/.ssh"
chmod 700 "$root/root/.ssh"
cat >"$root/root/.ssh/authorized_keys" <<'KEYS'
{keys}
KEYS
chmod 600 "$root/root/.ssh/authorized_keys"
mkdir -p "$root/etc/sysconfig"
if [ -f "$root/etc/sysconfig/dropbear" ]; then
    sed -i -e '/^allow_root=/d' "$root/etc/sysconfig/dropbear"
fi
echo 'allow_root=y' >>"$root/etc/sysconfig/dropbear"
cfg="$root/boot/extlinux/extlinux.conf"
if [ "{serial}" = yes ]; then
    grep -q 'console=ttyS0' "$cfg" || sed -i -e '/^[[:space:]]*[Aa][Pp][Pp][Ee][Nn][Dd]/ s/$/ console=tty0 console=ttyS0,115200/' "$cfg"
    grep -qi '^serial' "$cfg" || sed -i -e '1i serial 0 115200' "$cfg"
fi
mkdir -p "$root/etc/dropbear"
for t in ed25519 ecdsa rsa dss; do
    k="/etc/dropbear/dropbear_${{t}}_host_key"
    [ -f "$root$k" ] || chroot "$root" dropbearkey -t "$t" -f "$k" >/dev/null 2>&1 || rm -f "$root$k"
done
echo "@hostname $(cat "$root/etc/hostname" 2>/dev/null)"
for k in "$root"/etc/dropbear/dropbear_*_host_key; do
    [ -f "$k" ] || continue
    chroot "$root" dropbearkey -y -f "${{k#$root}}" | sed -n -e 's/^\(ssh-[a-z0-9]*\|ecdsa-[a-z0-9-]*\) \([A-Za-z0-9+/=]*\).*/@hostkey \1 \2/p'
done
echo "@layout"
fdisk -l "$disk" 2>/dev/null || cat /proc/partitions
sync
umount "$root/boot" "$root"
"""


def prepare_disk(client, disk: str, authorized_keys: list[str], serial: bool) -> dict:
    """Ready the installed system for automation: root's key, dropbear allow_root=y, console=ttyS0, and host
    keys made now and read over this verified connection so they can be pinned before the reboot."""
    script = PREPARE.format(root=ROOT_MOUNT, disk=shlex.quote(disk), keys="\n".join(authorized_keys),
                            serial="yes" if serial else "no")
    rc, out, err = ssh.run(client, "/bin/sh -s", timeout=600, stdin=script.encode())
    if rc != 0:
        raise InstallError(f"preparing the installed disk failed (rc {rc}): {err.strip() or out.strip()}")
    hostname, keys, layout, in_layout = None, [], [], False
    for line in out.splitlines():
        if line.startswith("@hostname "):
            hostname = line.split(" ", 1)[1].strip()
        elif line.startswith("@hostkey "):
            keys.append(line.split(" ", 1)[1].strip())
        elif line.startswith("@layout"):
            in_layout = True
        elif in_layout and line.strip():
            layout.append(line.rstrip())
    if not keys:
        raise InstallError("the installed system has no dropbear host key (dropbearkey failed in the chroot)")
    return {"hostname": hostname, "host_keys": keys, "layout": layout}
