# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a hypervisor is and how its guests are reached. Pure.

A guest's port forwards are bound to its hypervisor's loopback (127.0.0.1). On this machine's hypervisor
(``qemu:///system``, ``qemu:///session``) that is our own loopback; on a remote one (``qemu+ssh://user@host/...``)
it is the remote machine's, so SSH to such a guest jumps through the hypervisor's SSH server: the same server,
user and key that libvirt's own ``qemu+ssh`` transport uses. The hypervisor's host key is pinned as OpenSSH
pins it for that transport (``/etc/ssh/ssh_known_hosts`` or ``~/.ssh/known_hosts``); the guest's key is pinned in
the guest's own known_hosts file. Nothing here turns host key checking off.
"""

from __future__ import annotations

import shlex
from urllib.parse import parse_qs, urlsplit

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError

# Where OpenSSH looks for pinned host keys by default, in its order; paramiko reads the same files.
KNOWN_HOSTS_FILES = ("/etc/ssh/ssh_known_hosts", "~/.ssh/known_hosts")


def is_local(uri: str) -> bool:
    """True when the hypervisor is this machine (a URI without a transport or host: qemu:///system)."""
    scheme = uri.split(":", 1)[0]
    return "+" not in scheme and "//" in uri and uri.split("//", 1)[1].startswith("/")


def jump_from_uri(uri: str, field: str = "uri") -> dict | None:
    """None for a local hypervisor; for ``qemu+ssh://[user@]host[:port]/path[?keyfile=K]`` the SSH jump to its
    loopback: {host, port, user, key_file}. Other remote transports have no SSH to jump through."""
    if not isinstance(uri, str) or "://" not in uri:
        raise SpecError(field, f"{uri!r} is not a libvirt URI such as qemu:///system or "
                               "qemu+ssh://user@host/system")
    if is_local(uri):
        return None
    parts = urlsplit(uri)
    transport = parts.scheme.split("+", 1)[1] if "+" in parts.scheme else ""
    if transport not in ("ssh", "libssh", "libssh2") or not parts.hostname:
        raise SpecError(field, f"{uri!r}: a remote hypervisor's guests are reached through SSH to it (their port "
                               "forwards are on its loopback); use a qemu+ssh://user@host/... URI")
    query = parse_qs(parts.query)
    return {"host": parts.hostname, "port": parts.port or 22, "user": parts.username,
            "key_file": (query.get("keyfile") or [None])[0]}


def proxy_command(jump: dict) -> str:
    """OpenSSH's ProxyCommand that reaches a guest's forward (%h:%p on the hypervisor's loopback) through the
    hypervisor, its host key checked against the pinned ones (BatchMode: never a prompt)."""
    argv = ["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-p", str(jump["port"])]
    if jump.get("key_file"):
        argv += ["-o", "IdentitiesOnly=yes", "-i", jump["key_file"]]
    target = f"{jump['user']}@{jump['host']}" if jump.get("user") else jump["host"]
    return " ".join(shlex.quote(a) for a in argv) + f" -W %h:%p {shlex.quote(target)}"


def openssh_jump_args(jump: dict | None) -> str:
    """The ``ansible_ssh_common_args`` part for a guest behind ``jump`` ('' for a local hypervisor)."""
    if not jump:
        return ""
    return "-o " + shlex.quote("ProxyCommand=" + proxy_command(jump))
