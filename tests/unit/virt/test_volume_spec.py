"""vm_volume's input checks (pure): a copy from another hypervisor names what is wrong before anything moves."""

from __future__ import annotations

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import volume

REMOTE = "qemu+ssh://buildstrap-hv@127.0.0.1:2222/session?keyfile=/root/.ssh/buildstrap-hv"


def test_copy_from_defaults_to_the_system_hypervisor_and_pool():
    opts = volume._validate({"name": "base.qcow2", "uri": REMOTE, "copy_from": {"volume": "vm-disk2.qcow2"}})
    assert opts["copy_from"] == {"uri": "qemu:///system", "pool": "buildstrap", "volume": "vm-disk2.qcow2"}


@pytest.mark.parametrize("params, field, words", [
    ({"copy_from": {"volume": "d.qcow2"}}, "copy_from.uri", "use backing"),  # same hypervisor as uri's default
    ({"uri": REMOTE, "copy_from": {"pool": "buildstrap"}}, "copy_from", "volume: NAME"),
    ({"uri": REMOTE, "copy_from": {"volume": "d.qcow2", "path": "/x"}}, "copy_from", "volume: NAME"),
    ({"uri": REMOTE, "copy_from": {"volume": "../d"}}, "copy_from.volume", ""),
    ({"uri": REMOTE, "backing": "b.qcow2", "copy_from": {"volume": "d.qcow2"}}, "copy_from", "one origin"),
])
def test_bad_copy_from_names_the_field(params, field, words):
    with pytest.raises(SpecError) as err:
        volume._validate(dict({"name": "base.qcow2"}, **params))
    assert err.value.field == field and words in str(err.value)
