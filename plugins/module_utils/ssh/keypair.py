# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's key pair for guests, made with cryptography (paramiko's own dependency)."""

from __future__ import annotations

import os

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.known_hosts import fingerprint

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False


KEY_TYPES = ("ed25519", "rsa")
RSA_BITS = 3072


def _generate(key_type: str):
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    return ed25519.Ed25519PrivateKey.generate()


def _type_of(key) -> str:
    return "rsa" if isinstance(key, rsa.RSAPrivateKey) else "ed25519" if isinstance(key, ed25519.Ed25519PrivateKey) \
        else type(key).__name__


def ensure_keypair(path: str, comment: str, check_mode: bool = False, key_type: str = "ed25519") -> dict:
    """A ``key_type`` key at ``path`` (0600) and ``path``.pub; made once, then only read."""
    if key_type not in KEY_TYPES:
        raise SpecError("type", f"{key_type!r} is not a key type; use one of {', '.join(KEY_TYPES)}")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory) and not check_mode:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    if os.path.exists(path):
        with open(path, "rb") as handle:
            try:
                key = serialization.load_ssh_private_key(handle.read(), password=None)
            except ValueError:
                raise SpecError("path", f"{path} exists but is not an unencrypted OpenSSH private key; "
                                        "remove it or choose another path") from None
        if _type_of(key) != key_type:
            raise SpecError("type", f"{path} holds a {_type_of(key)} key, not {key_type}; choose another path "
                                    f"(e.g. id_{key_type}) instead of replacing a key guests may trust")
        changed = False
    else:
        key = _generate(key_type)
        changed = True
        if not check_mode:
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                    serialization.NoEncryption())
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    public_line = f"{public} {comment}".strip()
    pub_path = path + ".pub"
    current = open(pub_path, encoding="utf-8").read().strip() if os.path.exists(pub_path) else None
    if current != public_line:
        changed = True
        if not check_mode:
            with open(pub_path, "w", encoding="utf-8") as handle:
                handle.write(public_line + "\n")
    return {"changed": changed, "path": path, "public_key": public_line, "fingerprint": fingerprint(public)}
