"""Accelerator probe boots and the vm_network module on qemu:///system."""

from __future__ import annotations

import json

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import accel, api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.timeouts import scaled

pytestmark = pytest.mark.vm


def test_auto_accel_is_decided_by_a_probe_boot_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("BUILDSTRAP_CACHE_DIR", str(tmp_path))
    with api.connection() as conn:
        first = accel.resolve(conn, "auto", "i686")
        second = accel.resolve(conn, "auto", "i686")
        pool = api.lookup_pool(conn, "buildstrap")
        assert not [v for v in pool.listAllVolumes(0) if "accel-probe" in v.name()], "probe volume left behind"
        assert not [d for d in api.list_domains(conn) if "accel-probe" in d.name()], "probe domain left behind"
    probe = first["probe"]
    assert first["source"] == "probe" and second["source"] == "cache"
    assert second["accel"] == first["accel"]
    assert probe["tcg_seconds"] is not None and probe["tcg_seconds"] < accel.PROBE_DEADLINE
    # The decision follows the measurement: KVM only if its guest printed, and not much slower than TCG.
    kvm_ok = probe["kvm_seconds"] is not None and probe["kvm_seconds"] <= max(2 * probe["tcg_seconds"], 0.5)
    assert first["accel"] == ("kvm" if kvm_ok else "tcg"), probe["detail"]
    cached = json.loads((tmp_path / "accel.json").read_text())
    assert [entry["accel"] for entry in cached.values()] == [first["accel"]]
    assert accel.resolve(conn=None, requested="tcg", arch="i686") == {"accel": "tcg", "source": "requested"}


def test_scaled_deadlines():
    assert scaled(30, "kvm") == 30 and scaled(30, "tcg") == 120


def test_isolated_network_module_three_runs(module, run_id):
    name = f"{run_id}-lan"
    try:
        planned = module("vm_network", {"name": name}, check=True)
        assert planned["changed"] is True
        made = module("vm_network", {"name": name})
        assert made["changed"] is True and made["network"]["host_addresses"] == []
        assert module("vm_network", {"name": name}, check=True)["changed"] is False
        with api.connection() as conn:
            net = api.lookup_network(conn, name)
            assert net.isActive() and "<ip" not in net.XMLDesc(0)
    finally:
        module("vm_network", {"name": name, "state": "absent"})
    with api.connection() as conn:
        assert api.lookup_network(conn, name) is None
