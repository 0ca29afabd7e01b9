"""Who a domain belongs to, and what `remove_volumes` removes: the vm module on qemu:///system with domains that
are defined, never started (no guest boots here)."""

from __future__ import annotations

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api, transform
from tests.integration.images import hello_iso

pytestmark = pytest.mark.vm

MINE = "root@host:/work/checkout-a"
THEIRS = "root@host:/work/checkout-b"


def defined(name, **extra):
    args = {"name": name, "state": "present", "accel": "tcg", "memory": 32, "cdrom": "", "boot": ["cdrom"],
            "metadata": {"pipeline": "tests", "recipe": "hello"}}
    args.update(extra)
    return args


def test_another_owners_domain_is_never_touched(module, run_id):
    name = f"{run_id}-owned"
    try:
        first = module("vm", defined(name, owner=MINE))
        assert first["changed"] is True and not first.failed, first.result
        with api.connection() as conn:
            meta = transform.domain_facts(api.domain_xml(api.lookup_domain(conn, name)))["metadata"]
        assert meta["owner"] == MINE and meta["recipe"] == "hello"

        # Another checkout: refused before anything changes, whatever it asks for, and the owner is named.
        for args in (defined(name, owner=THEIRS, memory=64), dict(defined(name, owner=THEIRS), state="absent"),
                     {"name": name, "state": "running", "update": False, "owner": THEIRS}):
            refused = module("vm", args)
            assert refused.failed, args
            assert refused["msg"].startswith("name: ") and MINE in refused["msg"] and "buildstrap_vm_name" in \
                refused["msg"], refused["msg"]
        with api.connection() as conn:
            dom = api.lookup_domain(conn, name)
            assert dom is not None and api.domain_state(dom) == "shutoff"
            assert transform.domain_facts(api.domain_xml(dom))["memory_mib"] == 32

        # Its owner: unchanged, then removed. A domain with no owner recorded is taken over by the first one.
        assert module("vm", defined(name, owner=MINE))["changed"] is False
        assert module("vm", defined(name))["changed"] is False, "no owner given: the recorded one is kept"
        assert module("vm", {"name": name, "state": "absent", "owner": MINE})["changed"] is True
        assert module("vm", defined(name))["changed"] is True  # defined again, with no owner
        taken = module("vm", defined(name, owner=THEIRS))
        assert taken["changed"] is True and "redefine" in taken["actions"], taken.result
    finally:
        module("vm", {"name": name, "state": "absent"})


def test_remove_volumes_removes_the_iso_volume_unless_another_domain_has_it(artifacts, module, run_id):
    iso = hello_iso(artifacts / "owner-cd.iso", "FROM-CD")
    volume, first, second = f"{run_id}-owner-cd.iso", f"{run_id}-iso-a", f"{run_id}-iso-b"
    # What the guest_vm role uploads for a VM and leaves in the pool once the ISO is ejected after the install.
    ejected = f"{second}-auto.iso"
    try:
        assert not module("vm_volume", {"name": volume, "src": str(iso)}).failed
        assert not module("vm_volume", {"name": ejected, "src": str(iso)}).failed
        for name in (first, second):
            made = module("vm", defined(name, cdrom={"volume": volume}, boot=["cdrom"]))
            assert not made.failed, made.result
        kept = module("vm", {"name": first, "state": "absent", "remove_volumes": True})
        assert f"keep ISO volume {volume} (in the drive of {second})" in kept["actions"], kept.result
        with api.connection() as conn:
            assert api.lookup_volume(api.lookup_pool(conn, api.DEFAULT_POOL), volume) is not None

        checked = module("vm", {"name": second, "state": "absent", "remove_volumes": True}, check=True)
        assert checked["changed"] is True and f"delete volumes {volume}, {ejected}" in checked["actions"], \
            checked.result
        with api.connection() as conn:
            assert api.lookup_volume(api.lookup_pool(conn, api.DEFAULT_POOL), volume) is not None
        gone = module("vm", {"name": second, "state": "absent", "remove_volumes": True})
        assert gone["volumes_deleted"] == [volume, ejected], gone.result
        with api.connection() as conn:
            pool = api.lookup_pool(conn, api.DEFAULT_POOL)
            assert api.lookup_volume(pool, volume) is None and api.lookup_volume(pool, ejected) is None
    finally:
        for name in (first, second):
            module("vm", {"name": name, "state": "absent"})
        for name in (volume, ejected):
            module("vm_volume", {"name": name, "state": "absent"})


def test_media_change_of_a_guest_that_just_powered_off(run_id):
    """vm changes the ISO live when it saw the domain running; a guest that powered off in between (install2hd's
    reboot does) gets the change in its definition instead of failing the task ("domain is not running")."""
    name = f"{run_id}-media"
    cdrom = "<disk type='file' device='cdrom'><source file='{}'/><target dev='sda' bus='sata'/><readonly/></disk>"
    xml = (f"<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type>"
           f"</os><devices>{cdrom.format('/nonexistent/a.iso')}</devices></domain>")
    with api.connection() as conn:
        dom = api.define_domain(conn, xml)
        try:
            assert not dom.isActive()
            api.update_device(dom, cdrom.format("/nonexistent/b.iso"), live=True)
            assert "/nonexistent/b.iso" in api.domain_xml(dom)
        finally:
            dom.undefine()
