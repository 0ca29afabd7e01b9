"""Where a hypervisor is and how its guests are reached (pure)."""

from __future__ import annotations

import shlex

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import hypervisor as hv


@pytest.mark.parametrize("uri, jump", [
    ("qemu:///system", None),
    ("qemu:///session", None),
    ("test:///default", None),
    ("qemu+ssh://buildstrap-hv@127.0.0.1:2222/session?keyfile=/root/.ssh/buildstrap-hv",
     {"host": "127.0.0.1", "port": 2222, "user": "buildstrap-hv", "key_file": "/root/.ssh/buildstrap-hv"}),
    ("qemu+ssh://hv.example/system", {"host": "hv.example", "port": 22, "user": None, "key_file": None}),
    ("qemu+libssh2://root@hv.example:2200/system?known_hosts=/k",
     {"host": "hv.example", "port": 2200, "user": "root", "key_file": None}),
])
def test_jump_from_uri(uri, jump):
    assert hv.jump_from_uri(uri) == jump
    assert hv.is_local(uri) is (jump is None)


@pytest.mark.parametrize("uri, words", [
    ("qemu+tcp://hv.example/system", "qemu+ssh"),
    ("qemu+tls://hv.example/system", "qemu+ssh"),
    ("system", "not a libvirt URI"),
    (None, "not a libvirt URI"),
])
def test_a_hypervisor_that_cannot_be_jumped_through(uri, words):
    with pytest.raises(SpecError) as err:
        hv.jump_from_uri(uri, "hv2: hypervisor_uri")
    assert err.value.field == "hv2: hypervisor_uri" and words in str(err.value)


def test_proxy_command_pins_and_never_prompts():
    jump = {"host": "127.0.0.1", "port": 2222, "user": "buildstrap-hv", "key_file": "/k e y"}
    argv = shlex.split(hv.proxy_command(jump))
    assert argv[:7] == ["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-p", "2222"]
    assert argv[-3:] == ["-W", "%h:%p", "buildstrap-hv@127.0.0.1"]
    assert "/k e y" in argv and "StrictHostKeyChecking=no" not in hv.proxy_command(jump)
    # one shell word for ansible_ssh_common_args, empty for a local hypervisor
    assert shlex.split(hv.openssh_jump_args(jump)) == ["-o", "ProxyCommand=" + hv.proxy_command(jump)]
    assert hv.openssh_jump_args(None) == ""
