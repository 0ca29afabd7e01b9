"""SSH profiles (modern by default, legacy only by name) and the controller's key pairs of both types."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import serialization

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import profiles
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.keypair import ensure_keypair


def test_modern_is_the_default_and_refuses_every_sha1_algorithm():
    modern = profiles.profile(None)
    assert modern["name"] == "modern" and profiles.openssh_args(None) == ""
    disabled = modern["paramiko_disabled"]
    assert {"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1"} <= set(disabled["kex"])
    assert {"ssh-rsa", "ssh-dss"} <= set(disabled["keys"]) and {"ssh-rsa", "ssh-dss"} <= set(disabled["pubkeys"])


def test_dropbear_2013_speaks_exactly_what_that_server_needs():
    facts = profiles.facts("dropbear-2013", "/state")
    assert facts == {"profile": "dropbear-2013", "legacy": True, "key_type": "rsa", "key_file": "/state/id_rsa",
                     "host_key_types": ["rsa", "dss"], "openssh_args": profiles.openssh_args("dropbear-2013")}
    # It sends no server-sig-algs: an RSA user key must sign with ssh-rsa (SHA-1), never rsa-sha2-*.
    assert profiles.profile("dropbear-2013")["paramiko_disabled"] == {"pubkeys": ["rsa-sha2-512", "rsa-sha2-256"]}
    assert "-o KexAlgorithms=+diffie-hellman-group14-sha1,diffie-hellman-group1-sha1" in facts["openssh_args"]
    assert "StrictHostKeyChecking" not in facts["openssh_args"], "host keys stay pinned under every profile"


def test_an_unknown_profile_names_the_field():
    with pytest.raises(SpecError, match=r"^ssh\.legacy: 'openssh-7' is not an SSH profile; use one of "
                                        r"dropbear-2013"):
        profiles.profile("openssh-7")


@pytest.mark.parametrize("key_type, prefix", [("ed25519", "ssh-ed25519 "), ("rsa", "ssh-rsa ")])
def test_keypair_of_each_type_is_made_once(tmp_path, key_type, prefix):
    path = str(tmp_path / f"id_{key_type}")
    first = ensure_keypair(path, "bs", key_type=key_type)
    assert first["changed"] and first["public_key"].startswith(prefix)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    again = ensure_keypair(path, "bs", key_type=key_type)
    assert not again["changed"] and again["public_key"] == first["public_key"]
    key = serialization.load_ssh_private_key(open(path, "rb").read(), password=None)
    if key_type == "rsa":
        assert key.key_size == 3072


def test_a_key_of_another_type_is_refused_not_replaced(tmp_path):
    path = str(tmp_path / "id")
    made = ensure_keypair(path, "bs", key_type="ed25519")
    with pytest.raises(SpecError, match=r"^type: .* holds a ed25519 key, not rsa"):
        ensure_keypair(path, "bs", key_type="rsa")
    assert ensure_keypair(path, "bs")["public_key"] == made["public_key"]


def test_check_mode_makes_no_key(tmp_path):
    result = ensure_keypair(str(tmp_path / "id_rsa"), "bs", check_mode=True, key_type="rsa")
    assert result["changed"] and not os.listdir(tmp_path)
