# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSH to guests with paramiko: only to pinned host keys (RejectPolicy), commands, and pty dialogues."""

from __future__ import annotations

import os
import socket
import threading
import time

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import BuildstrapError, WaitTimeout
from ansible_collections.aloofix.buildstrap.plugins.module_utils.expect import ExpectSession
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.known_hosts import fingerprint, host_pattern
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.profiles import LEGACY_PROFILES
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.profiles import profile as ssh_profile
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.hypervisor import KNOWN_HOSTS_FILES

try:
    import paramiko
    HAS_PARAMIKO = True
except ImportError:
    paramiko = None
    HAS_PARAMIKO = False


# Aloofix's dropbear gives root PATH=/usr/bin:/bin: every guest command states its PATH (or absolute paths).
GUEST_PATH = "/sbin:/usr/sbin:/bin:/usr/bin"


def explicit_path(line: str) -> str:
    """``line`` with the guest PATH set first, so sbin tools are found under any SSH server's default PATH."""
    return f"PATH={GUEST_PATH}; export PATH; {line}"


class HostKeyError(BuildstrapError):
    """The guest offered a host key that is not the pinned one."""


class SshError(BuildstrapError):
    """The connection could not be made or broke."""


if HAS_PARAMIKO:
    class _Client(paramiko.SSHClient):
        """An SSHClient that closes the connection to the hypervisor it jumped through with its own."""
        jump = None

        def close(self):
            super().close()
            if self.jump is not None:
                self.jump.close()
                self.jump = None


def open_jump(jump: dict, host: str, port: int, timeout: float):
    """(client of the hypervisor, channel to host:port on its loopback); the hypervisor's host key must be pinned
    where OpenSSH (and libvirt's qemu+ssh transport) look for it."""
    hv = paramiko.SSHClient()
    for path in KNOWN_HOSTS_FILES:
        path = os.path.expanduser(path)
        if os.path.exists(path):
            hv.get_host_keys().load(path)
    hv.set_missing_host_key_policy(paramiko.RejectPolicy())
    where = f"the hypervisor {jump.get('user') or ''}@{host_pattern(jump['host'], jump['port'])}"
    try:
        hv.connect(jump["host"], port=jump["port"], username=jump.get("user"), key_filename=jump.get("key_file"),
                   timeout=timeout, banner_timeout=timeout, auth_timeout=timeout, allow_agent=False,
                   look_for_keys=not jump.get("key_file"))
        channel = hv.get_transport().open_channel("direct-tcpip", (host, port), ("127.0.0.1", 0), timeout=timeout)
    except paramiko.SSHException as exc:
        hv.close()
        if "not found in known_hosts" in str(exc):
            raise HostKeyError(f"{where} has no pinned host key in {' or '.join(KNOWN_HOSTS_FILES)}; pin it "
                               "there (as for libvirt's qemu+ssh transport)") from None
        raise SshError(f"ssh through {where} to {host_pattern(host, port)}: {exc}") from None
    except (OSError, socket.timeout) as exc:
        hv.close()
        raise SshError(f"ssh through {where} to {host_pattern(host, port)}: {exc}") from None
    return hv, channel


def connect(host: str, port: int, user: str, key_file: str, known_hosts: str, timeout: float = 30,
            profile: str | None = None, jump: dict | None = None):
    """An SSHClient that trusts only the keys pinned for host:port in ``known_hosts``, speaking the algorithms of
    the SSH ``profile`` (profiles.py: modern unless a recipe names a legacy one). With ``jump`` (a remote
    hypervisor, virt/hypervisor.py), host:port is on that hypervisor's loopback and reached through it."""
    chosen = ssh_profile(profile, "ssh_profile")
    client = _Client()
    client.load_host_keys(known_hosts)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    sock = None
    if jump:
        client.jump, sock = open_jump(jump, host, port, timeout)
    try:
        client.connect(host, port=port, username=user, key_filename=key_file, timeout=timeout,
                       banner_timeout=timeout, auth_timeout=timeout, allow_agent=False, look_for_keys=False,
                       disabled_algorithms=chosen["paramiko_disabled"], sock=sock)
    except paramiko.BadHostKeyException as exc:
        client.close()
        offered = f"{exc.key.get_name()} {exc.key.get_base64()}"
        raise HostKeyError(f"host key of {host_pattern(host, port)} changed: the guest offered "
                           f"{fingerprint(offered)}, but {known_hosts} pins {fingerprint(exc.expected_key.get_name() + ' ' + exc.expected_key.get_base64())}. "
                           "Refusing to connect. If the guest was reinstalled on purpose, learn its key again "
                           "(guest_hostkey) instead of editing known_hosts") from None
    except paramiko.SSHException as exc:
        client.close()
        if "not found in known_hosts" in str(exc):
            raise HostKeyError(f"{host_pattern(host, port)} has no pinned host key in {known_hosts}; learn it "
                               "from the guest first (guest_hostkey)") from None
        if "Incompatible" in str(exc) or "no acceptable" in str(exc):
            raise SshError(f"ssh to {user}@{host_pattern(host, port)} under the {chosen['name']!r} SSH profile: "
                           f"{exc}. A guest with an old SSH server needs its recipe to name a legacy profile "
                           f"(ssh.legacy: one of {', '.join(LEGACY_PROFILES)})") from None
        raise SshError(f"ssh to {user}@{host_pattern(host, port)}: {exc}") from None
    except (OSError, socket.timeout) as exc:
        client.close()
        raise SshError(f"ssh to {user}@{host_pattern(host, port)}: {exc}") from None
    return client


def run(client, command: str, timeout: float, stdin: bytes | None = None) -> tuple[int, str, str]:
    """Run a command without a pty; (rc, stdout, stderr)."""
    try:
        chan = client.get_transport().open_session(timeout=timeout)
        chan.settimeout(timeout)
        chan.exec_command(explicit_path(command))
        if stdin is not None:
            chan.sendall(stdin)
        chan.shutdown_write()
        out, err = [], []
        deadline = time.monotonic() + timeout
        while True:
            if chan.recv_ready():
                out.append(chan.recv(65536))
            elif chan.recv_stderr_ready():
                err.append(chan.recv_stderr(65536))
            elif chan.exit_status_ready() and not chan.recv_ready() and not chan.recv_stderr_ready():
                break
            elif time.monotonic() > deadline:
                chan.close()
                raise WaitTimeout(f"timed out after {timeout:.0f}s running {command!r}")
            else:
                time.sleep(0.02)
        rc = chan.recv_exit_status()
        chan.close()
    except (paramiko.SSHException, OSError) as exc:
        raise SshError(f"running {command!r}: {exc}") from None
    return rc, b"".join(out).decode("utf-8", "replace"), b"".join(err).decode("utf-8", "replace")


class PtySession(ExpectSession):
    """A command under a pty on the guest, as an expect session (for programs that need a TTY)."""

    label = "ssh session"

    def __init__(self, client, command: str, name: str, transcript: str | None = None, secrets=()):
        super().__init__(name, transcript, secrets)
        try:
            self._chan = client.get_transport().open_session()
            self._chan.get_pty(term="vt100", width=132, height=40)
            self._chan.exec_command(command)
        except paramiko.SSHException as exc:
            raise SshError(f"starting {command!r} on {name}: {exc}") from None
        self._reader = threading.Thread(target=self._read, name=f"pty-{name}", daemon=True)
        self._reader.start()

    def _read(self):
        try:
            while True:
                data = self._chan.recv(65536)
                if not data:
                    break
                self.feed(data)
        except (OSError, paramiko.SSHException):
            pass
        self.mark_closed()

    def _write(self, data: bytes) -> None:
        try:
            self._chan.sendall(data)
        except (OSError, paramiko.SSHException) as exc:
            raise SshError(f"writing to {self.name}: {exc}") from None

    def _shutdown(self) -> None:
        self._chan.close()

    @property
    def connection_lost(self) -> bool:
        """The SSH connection itself died (the server, its session process or the network went away): the
        command's end was never reported."""
        transport = self._chan.get_transport()
        return transport is None or not transport.is_active()

    def exit_status(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while not self._chan.exit_status_ready():
            if time.monotonic() > deadline:
                raise WaitTimeout(f"timed out after {timeout:.0f}s waiting for the command on {self.name} to end",
                                  self.screen())
            time.sleep(0.05)
        return self._chan.recv_exit_status()
