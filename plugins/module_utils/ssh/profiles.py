# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSH algorithm profiles: modern defaults for every guest, and legacy algorithm sets only for guests whose recipe
names them (``ssh.legacy: dropbear-2013``). One table drives both SSH clients Buildstrap uses (paramiko for
sessions, OpenSSH for Ansible's ``ssh`` connection), the controller's key type and the host key types the SSH
overlay makes. Pure data and lookups; host keys stay pinned under every profile."""

from __future__ import annotations

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError

# SHA-1 and DSA algorithms: never offered to a guest that does not need them.
_SHA1_KEX = ["diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1"]
_SHA1_KEYS = ["ssh-rsa", "ssh-dss"]

MODERN = "modern"
PROFILES = {
    MODERN: {
        "description": "current algorithms only (curve25519/ecdh/group14-sha256 and up; ed25519, ecdsa, rsa-sha2)",
        "key_type": "ed25519",
        "host_key_types": ["ed25519", "rsa"],
        "paramiko_disabled": {"kex": _SHA1_KEX, "keys": _SHA1_KEYS, "pubkeys": _SHA1_KEYS},
        "openssh_options": [],
    },
    # Aloofix 0.9's dropbear 2013.58: key exchange diffie-hellman-group1-sha1 and diffie-hellman-group14-sha1 only,
    # host keys ssh-rsa and ssh-dss only, user keys RSA/DSS with SHA-1 signatures (it sends no server-sig-algs,
    # so a client must not try rsa-sha2-*).
    "dropbear-2013": {
        "description": "dropbear 2013.58: DH group1/group14 with SHA-1, ssh-rsa/ssh-dss host keys, RSA user key",
        "key_type": "rsa",
        "host_key_types": ["rsa", "dss"],
        "paramiko_disabled": {"pubkeys": ["rsa-sha2-512", "rsa-sha2-256"]},
        "openssh_options": [
            "KexAlgorithms=+diffie-hellman-group14-sha1,diffie-hellman-group1-sha1",
            "HostKeyAlgorithms=+ssh-rsa,ssh-dss",
            "PubkeyAcceptedAlgorithms=+ssh-rsa",
        ],
    },
}
LEGACY_PROFILES = tuple(name for name in PROFILES if name != MODERN)


def profile(name: str | None, field: str = "ssh.legacy") -> dict:
    """The profile called ``name`` (None or "modern": modern defaults)."""
    key = name or MODERN
    if key not in PROFILES:
        raise SpecError(field, f"{name!r} is not an SSH profile; use one of {', '.join(LEGACY_PROFILES)} "
                               "(or leave it unset for modern algorithms)")
    return dict(PROFILES[key], name=key)


def key_file_name(name: str | None) -> str:
    """The controller key's file name under a recipe's state directory (id_ed25519, id_rsa)."""
    return f"id_{profile(name)['key_type']}"


def openssh_args(name: str | None) -> str:
    """``-o`` options for OpenSSH (Ansible's ssh connection) under the profile; empty for modern."""
    return " ".join(f"-o {option}" for option in profile(name)["openssh_options"])


def facts(name: str | None, state_dir: str) -> dict:
    """What the playbooks need to know of a recipe's profile."""
    chosen = profile(name)
    return {"profile": chosen["name"], "legacy": chosen["name"] != MODERN, "key_type": chosen["key_type"],
            "key_file": f"{state_dir}/{key_file_name(name)}", "host_key_types": chosen["host_key_types"],
            "openssh_args": openssh_args(name)}
