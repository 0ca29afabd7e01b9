"""Against libvirt's own test:///default driver (real libvirt code, no daemon, no VMs): check mode probes and
writes nothing, the probe's scratch file is private, file and libvirt errors name their object, and vm_network
reaches libvirt only through api.py."""

from __future__ import annotations

import json
import os
import stat
import tempfile

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import HostFileError, HypervisorError, SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import accel, api, network, volume
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.timeouts import TIMEOUT_SCALE, scaled

URI = "test:///default"


@pytest.fixture
def conn():
    with api.connection(URI) as connection:
        yield connection


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    path = tmp_path / "cache"
    monkeypatch.setenv("BUILDSTRAP_CACHE_DIR", str(path))
    return path


def names(conn):
    pools = conn.listAllStoragePools(0)
    return ({d.name() for d in api.list_domains(conn)}, {p.name() for p in pools},
            {v.name() for p in pools if p.isActive() for v in api.list_volumes(p)})


@pytest.mark.parametrize("seconds, accel_name, expected", [(30, "kvm", 30), (30, "tcg", 120), (0.5, "tcg", 2)])
def test_scaled(seconds, accel_name, expected):
    assert scaled(seconds, accel_name) == expected


def test_scaled_names_a_bad_accelerator():
    with pytest.raises(SpecError, match=r"^accel: 'hvf' is not valid; use kvm or tcg$"):
        scaled(1, "hvf")
    assert set(TIMEOUT_SCALE) == {"kvm", "tcg"}


def test_check_mode_reports_the_probe_instead_of_running_it(conn, cache_dir, monkeypatch):
    def no_probe(*_args, **_kwargs):
        raise AssertionError("check mode must not boot probe guests")

    monkeypatch.setattr(accel, "probe", no_probe)
    before = names(conn)
    chosen = accel.resolve(conn, "auto", "x86_64", check_mode=True)
    assert chosen["accel"] == "tcg" and chosen["source"] == "would probe"
    assert "probe guests" in chosen["detail"] and str(cache_dir) in chosen["detail"]
    assert names(conn) == before
    assert not cache_dir.exists(), "check mode must not create the cache"
    # A cached answer is used in check mode as in a real run; requested accelerators need no cache at all.
    accel._write_cache({accel._cache_key(conn, "x86_64"): {"accel": "kvm"}})
    assert accel.resolve(conn, "auto", "x86_64", check_mode=True)["source"] == "cache"
    assert accel.resolve(conn, "kvm", "x86_64", check_mode=True) == {"accel": "kvm", "source": "requested"}


def test_cache_is_written_atomically_and_readable(cache_dir):
    accel._write_cache({"k": {"accel": "tcg"}})
    assert os.listdir(cache_dir) == ["accel.json"], "no temporary file left beside the cache"
    assert json.loads((cache_dir / "accel.json").read_text()) == {"k": {"accel": "tcg"}}
    assert stat.S_IMODE((cache_dir / "accel.json").stat().st_mode) == 0o644


def test_cache_write_failure_names_the_file(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("BUILDSTRAP_CACHE_DIR", str(blocker / "cache"))
    with pytest.raises(HostFileError, match=r"^writing the accelerator cache .*not-a-dir/cache/accel\.json"):
        accel._write_cache({})


def test_probe_scratch_file_is_private_and_removed(conn, tmp_path, monkeypatch):
    """The boot sector goes through an mkstemp file (0600, unpredictable name), removed with the probe volume."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen = {}

    def upload(_conn, vol, src):
        with open(src, "rb") as handle:
            sector = handle.read(512)
        seen.update(path=src, mode=stat.S_IMODE(os.stat(src).st_mode), size=os.path.getsize(src), sector=sector,
                    volume=vol.name())
        raise HypervisorError("stop here: the test driver boots no guests")

    monkeypatch.setattr(api, "upload_volume", upload)
    before = names(conn)
    with pytest.raises(HypervisorError, match="stop here"):
        accel.probe(conn, "x86_64", pool_name="default-pool")
    assert seen["mode"] == 0o600 and seen["size"] == 1024 * 1024
    assert seen["sector"] == accel.hello_sector(accel.PROBE_MESSAGE)
    assert os.path.dirname(seen["path"]) == str(tmp_path)
    assert os.path.basename(seen["path"]) != seen["volume"], "the scratch name must not be predictable"
    assert list(tmp_path.iterdir()) == [], "the scratch file is removed"
    assert names(conn) == before, "the probe volume is removed"


def test_file_errors_name_the_volume_and_the_file(conn, tmp_path):
    pool = api.lookup_pool(conn, "default-pool")
    vol = api.create_volume(pool, api.volume_xml("bstest-err.img", 4096, "raw"))
    try:
        with pytest.raises(HostFileError, match=r"^uploading /nonexistent/disk\.img to volume bstest-err\.img"
                                                r": No such file or directory$"):
            api.upload_volume(conn, vol, "/nonexistent/disk.img")
        dest = tmp_path / "missing-dir" / "out.img"
        with pytest.raises(HostFileError, match=rf"^downloading volume bstest-err\.img to {dest}"):
            api.download_volume(conn, vol, str(dest))
        assert list(tmp_path.iterdir()) == []
    finally:
        api.delete_volume(vol)
    with pytest.raises(HostFileError, match=r"^reading the image /nonexistent\.qcow2: No such file or directory$"):
        volume.image_format("/nonexistent.qcow2")


def test_vm_network_through_api_only(conn):
    params = {"name": "bstest-unit-lan", "uri": URI}
    try:
        planned = network.ensure(params, check_mode=True)
        assert planned["changed"] and planned["actions"] == ["define"]
        assert api.lookup_network(conn, "bstest-unit-lan") is None
        made = network.ensure(params)
        assert made["changed"] and made["actions"] == ["define", "start"]
        net = api.lookup_network(conn, "bstest-unit-lan")
        assert api.network_is_active(net) and net.autostart()
        assert network.network_facts(api.network_definition(net))["managed"]
        assert network.ensure(params)["changed"] is False
    finally:
        gone = network.ensure(dict(params, state="absent"))
    assert gone["changed"] and api.lookup_network(conn, "bstest-unit-lan") is None


def test_libvirt_errors_name_the_object(conn):
    pool = api.lookup_pool(conn, "default-pool")
    vol = api.create_volume(pool, api.volume_xml("bstest-twice.img", 4096, "raw"))
    try:
        with pytest.raises(HypervisorError, match=r"^creating volume bstest-twice\.img in storage pool default-pool: "):
            api.create_volume(pool, api.volume_xml("bstest-twice.img", 4096, "raw"))
    finally:
        api.delete_volume(vol)
    with pytest.raises(HypervisorError, match=r"^defining network bstest-bad-net: "):
        api.define_network(conn, "<network><name>bstest-bad-net</name><forward mode='nonsense'/></network>")
