"""The instances inventory plugin reads instance.json files, with images_dir relative to its config file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, ansible_env


def _inventory(config, cwd=ROOT, strict=True):
    """ansible-inventory --list on one configuration file, as a user runs it."""
    env = dict(ansible_env(), ANSIBLE_INVENTORY_UNPARSED_FAILED="1") if strict else ansible_env()
    return subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(config), "--list"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_instances_relative_to_the_config_file(tmp_path):
    state = tmp_path / "images" / "aloofix-0.9" / "state"
    state.mkdir(parents=True)
    (state / "instance.json").write_text(json.dumps({
        "name": "aloofix-buildstrap", "recipe": "aloofix-0.9", "hostname": "host525400aabbcc",
        "ansible_host": "127.0.0.1", "ansible_port": 22333, "ansible_ssh_private_key_file": str(state / "id"),
        "known_hosts": str(state / "known_hosts"), "accel": "tcg", "ssh_profile": "dropbear-2013"}))
    (tmp_path / "inv").mkdir()
    config = tmp_path / "inv" / "instances.buildstrap.yml"
    config.write_text("plugin: aloofix.buildstrap.instances\nimages_dir: ../images\n")
    proc = _inventory(config, cwd="/", strict=False)
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    assert listed["buildstrap_native_instances"]["hosts"] == ["aloofix-buildstrap"]
    assert listed["buildstrap_aloofix_0_9"]["hosts"] == ["aloofix-buildstrap"]
    # Values from inventory plugins are marked unsafe (never templated); ansible-inventory shows that wrapper.
    hostvars = {k: v["__ansible_unsafe"] if isinstance(v, dict) and "__ansible_unsafe" in v else v
                for k, v in listed["_meta"]["hostvars"]["aloofix-buildstrap"].items()}
    assert hostvars["ansible_port"] == 22333 and "StrictHostKeyChecking=yes" in hostvars["ansible_ssh_common_args"]
    assert f"UserKnownHostsFile={state / 'known_hosts'}" in hostvars["ansible_ssh_common_args"]
    # Aloofix's dropbear 2013.58: OpenSSH gets the legacy algorithms for this host only; pins stay checked.
    assert "KexAlgorithms=+diffie-hellman-group14-sha1" in hostvars["ansible_ssh_common_args"]
    assert hostvars["buildstrap_ssh_profile"] == "dropbear-2013"


def test_an_unknown_ssh_profile_is_a_clear_error(tmp_path):
    state = tmp_path / "images" / "x" / "state"
    state.mkdir(parents=True)
    (state / "instance.json").write_text(json.dumps({"name": "x", "recipe": "x", "ssh_profile": "telnet"}))
    config = tmp_path / "instances.buildstrap.yml"
    config.write_text("plugin: aloofix.buildstrap.instances\nimages_dir: images\n")
    proc = _inventory(config)
    assert proc.returncode != 0 and "ssh_profile: 'telnet' is not an SSH profile" in proc.stdout + proc.stderr


def test_a_broken_instance_file_is_a_clear_error(tmp_path):
    state = tmp_path / "images" / "x" / "state"
    state.mkdir(parents=True)
    (state / "instance.json").write_text("{not json")
    config = tmp_path / "instances.buildstrap.yml"
    config.write_text("plugin: aloofix.buildstrap.instances\nimages_dir: images\n")
    proc = _inventory(config)
    assert proc.returncode != 0 and "not a Buildstrap instance file" in proc.stdout + proc.stderr
