# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pinned host keys: a run's own known_hosts file, written only with keys learned from the guest itself
(printed on its console, or read over an already-verified connection). Pure file handling."""

from __future__ import annotations

import base64
import hashlib
import os
import re

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError

_KEY_RE = re.compile(r"^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(?:256|384|521)) ([A-Za-z0-9+/]+={0,2})$")


def host_pattern(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key: str) -> str:
    """OpenSSH's SHA256 fingerprint of 'type base64'."""
    blob = base64.b64decode(key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def check_key(key: str, field: str = "host_keys") -> str:
    key = " ".join(key.split()[:2])
    if not _KEY_RE.match(key):
        raise SpecError(field, f"{key[:40]!r} is not an SSH public host key ('ssh-ed25519 AAAA...')")
    return key


def pin(path: str, host: str, port: int, keys: list[str]) -> bool:
    """Make ``keys`` the only keys of host:port in ``path``; True if the file changed."""
    if not keys:
        raise SpecError("host_keys", "no host key was learned from the guest; nothing to pin")
    keys = [check_key(k) for k in keys]
    pattern = host_pattern(host, port)
    lines = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            lines = [ln.rstrip("\n") for ln in handle if ln.strip()]
    current = [ln.split(" ", 1)[1] for ln in lines if ln.split(" ", 1)[0] == pattern]
    if current == keys:
        return False
    wanted = [ln for ln in lines if ln.split(" ", 1)[0] != pattern] + [f"{pattern} {key}" for key in keys]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in wanted))
    os.replace(tmp, path)
    return True


def pinned(path: str, host: str, port: int) -> list[str]:
    pattern = host_pattern(host, port)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return [ln.split(" ", 1)[1].strip() for ln in handle if ln.split(" ", 1)[0] == pattern]
