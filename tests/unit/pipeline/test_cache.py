"""Stage cache keys, manifests, verification of outputs, forcing and invalidation (pure file handling)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.pipeline import cache

STAGES = ["stage1", "install1", "native", "install2"]


def no_volumes(_spec):
    raise AssertionError("no volume expected")


@pytest.fixture
def iso(tmp_path):
    path = tmp_path / "iso1.iso"
    path.write_bytes(b"iso" * 1000)
    return path


def run_stage(tmp_path, stage, inputs, outputs, force=()):
    checked = cache.check(stage, STAGES, inputs, str(tmp_path / "m"), list(force), no_volumes)
    if not checked["hit"]:
        cache.invalidate(str(tmp_path / "m"), stage)
        cache.record(stage, checked["key"], checked["resolved_inputs"], outputs, no_volumes, 0.0,
                     str(tmp_path / "m"), {"progress_total": 7}, [])
    return checked


def test_miss_record_hit(tmp_path, iso):
    first = run_stage(tmp_path, "stage1", {"tree": "abc"}, {"iso": {"file": str(iso)}})
    assert not first["hit"] and first["reason"].startswith("no manifest")
    second = run_stage(tmp_path, "stage1", {"tree": "abc"}, {"iso": {"file": str(iso)}})
    assert second["hit"] and second["key"] == first["key"]
    manifest = json.loads((tmp_path / "m" / "stage1.json").read_text())
    assert manifest["outputs"]["iso"]["sha256"] == cache.file_sha256(str(iso))
    assert second["previous_progress_total"] == 7


def test_changed_input_names_it(tmp_path, iso):
    run_stage(tmp_path, "install1", {"iso1": {"file": str(iso)}, "vm": {"memory": 256}}, {})
    iso.write_bytes(b"other")
    again = run_stage(tmp_path, "install1", {"iso1": {"file": str(iso)}, "vm": {"memory": 256}}, {})
    assert not again["hit"] and again["reason"] == "inputs changed: iso1"


def test_corrupted_output_is_rebuilt_not_used(tmp_path, iso):
    run_stage(tmp_path, "stage1", {"tree": "abc"}, {"iso": {"file": str(iso)}})
    iso.write_bytes(b"iso" * 999 + b"xyz")
    again = cache.check("stage1", STAGES, {"tree": "abc"}, str(tmp_path / "m"), [], no_volumes)
    assert not again["hit"] and "does not match its sha256" in again["reason"]
    iso.unlink()
    gone = cache.check("stage1", STAGES, {"tree": "abc"}, str(tmp_path / "m"), [], no_volumes)
    assert not gone["hit"] and "is missing" in gone["reason"]


def test_force_applies_to_the_stage_and_those_after(tmp_path):
    for stage in STAGES:
        run_stage(tmp_path, stage, {"x": 1}, {})
    hits = {s: cache.check(s, STAGES, {"x": 1}, str(tmp_path / "m"), ["native"], no_volumes)["hit"]
            for s in STAGES}
    assert hits == {"stage1": True, "install1": True, "native": False, "install2": False}
    assert not cache.check("stage1", STAGES, {"x": 1}, str(tmp_path / "m"), ["all"], no_volumes)["hit"]


def test_a_stage_that_runs_is_not_left_cached(tmp_path):
    run_stage(tmp_path, "native", {"x": 1}, {})
    checked = cache.check("native", STAGES, {"x": 1}, str(tmp_path / "m"), ["native"], no_volumes)
    cache.invalidate(str(tmp_path / "m"), "native")  # what stage_cache does on a miss
    assert not (tmp_path / "m" / "native.json").exists()
    after_failure = cache.check("native", STAGES, {"x": 1}, str(tmp_path / "m"), [], no_volumes)
    assert not after_failure["hit"] and after_failure["previous_seconds"] == checked["previous_seconds"]


@pytest.mark.parametrize("stage, force, field", [("bake", [], "stage"), ("native", ["nosuch"], "buildstrap_force")])
def test_bad_names(tmp_path, stage, force, field):
    with pytest.raises(SpecError) as err:
        cache.check(stage, STAGES, {}, str(tmp_path), force, no_volumes)
    assert err.value.field == field


def test_volume_outputs_are_verified_through_the_digest(tmp_path):
    digests = {"disk1": "a" * 64}

    def volumes(spec):
        return digests.get(spec["volume"])
    checked = cache.check("install1", STAGES, {}, str(tmp_path), [], volumes)
    cache.record("install1", checked["key"], checked["resolved_inputs"], {"disk": {"volume": "disk1"}}, volumes,
                 0.0, str(tmp_path), {}, [])
    assert cache.check("install1", STAGES, {}, str(tmp_path), [], volumes)["hit"]
    digests["disk1"] = "b" * 64
    assert "rebuilding" in cache.check("install1", STAGES, {}, str(tmp_path), [], volumes)["reason"]


@pytest.fixture
def served(tmp_path):
    """A real HTTP server on 127.0.0.1 serving tmp_path/www (a feed's Packages)."""
    import functools
    import http.server
    import threading

    root = tmp_path / "www"
    root.mkdir()
    (root / "Packages").write_text("Package: busybox\nVersion: 1.36.1-1\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_url_output_is_fetched_again_on_check(tmp_path, served):
    """A build server's verified feed: the cached stage re-reads Packages and reruns when it changed or is gone."""
    root, base = served
    outputs = {"feed": {"url": f"{base}/Packages"}}
    assert not run_stage(tmp_path, "native", {"after": "k"}, outputs)["hit"]
    manifest = json.loads((tmp_path / "m" / "native.json").read_text())
    assert manifest["outputs"]["feed"]["sha256"] == cache.url_sha256(f"{base}/Packages")
    assert run_stage(tmp_path, "native", {"after": "k"}, outputs)["hit"]
    (root / "Packages").write_text("Package: busybox\nVersion: 1.36.1-2\n")
    again = cache.check("native", STAGES, {"after": "k"}, str(tmp_path / "m"), [], no_volumes)
    assert not again["hit"] and "serves something else" in again["reason"]
    (root / "Packages").unlink()
    gone = cache.check("native", STAGES, {"after": "k"}, str(tmp_path / "m"), [], no_volumes)
    assert not gone["hit"] and "does not answer" in gone["reason"]


def test_url_output_with_a_verified_digest_is_recorded_as_given(tmp_path, served):
    _unused, base = served
    checked = cache.check("native", STAGES, {}, str(tmp_path / "m"), [], no_volumes)
    recorded = cache.record("native", checked["key"], checked["resolved_inputs"],
                            {"feed": {"url": f"{base}/Packages", "sha256": "ab" * 32}}, no_volumes, 0.0,
                            str(tmp_path / "m"), {}, [])
    assert recorded["manifest"]["outputs"]["feed"]["sha256"] == "ab" * 32
    with pytest.raises(SpecError) as err:
        cache.record("native", checked["key"], {}, {"feed": {"url": f"{base}/nothing"}}, no_volumes, 0.0,
                     str(tmp_path / "m"), {}, [])
    assert err.value.field == "outputs.feed"


def test_has_manifest_and_invalidate(tmp_path):
    manifests = str(tmp_path / "m")
    assert not cache.has_manifest(manifests, "stage1")
    cache.write_manifest(manifests, "stage1", {"key": "k"})
    assert cache.has_manifest(manifests, "stage1")
    cache.invalidate(manifests, "stage1")
    assert not cache.has_manifest(manifests, "stage1") and cache.has_manifest(manifests, "stage1.previous")
