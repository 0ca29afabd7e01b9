"""Check mode changes nothing: every playbook, run with --check on a clean machine (a fresh images directory, a
fresh VM name, no accelerator answer cached), leaves no libvirt domain, volume, network or pool and no file
behind. A playbook that needs a built pipeline may fail in check mode; then with a message, never a traceback."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api
from tests.conftest import ROOT, RUN_ID, TEST_PREFIX
from tests.integration.conftest import run_playbook

PLAYBOOKS = sorted(str(p.relative_to(ROOT / "playbooks")) for p in (ROOT / "playbooks").rglob("*.yml"))
# The fleet's playbooks take the example fleet's inventory (their headers say so); the rest the default one.
FLEET_INVENTORY = {"clients.yml": "inventory/fleet", "site.yml": "inventory/fleet"}
# What a run may legitimately stop at on a clean machine: nothing built yet (an artifact or the native instance
# a later stage needs), or, for a stage playbook run on its own, the facts of the stages before it (stages/ are
# imported by the top-level playbooks, whose first stage loads the recipe).
NOTHING_BUILT_YET = re.compile(r"does not exist|run playbooks/buildstrap\.yml")
STAGE_ALONE = re.compile(r"'(buildstrap|install_stage)' is undefined")


def libvirt_objects(uri: str = api.DEFAULT_URI) -> set[tuple[str, str]]:
    """(kind, name) of every domain, storage pool, volume and network on ``uri``."""
    objects = set()
    with api.connection(uri) as conn:
        objects |= {("domain", dom.name()) for dom in api.list_domains(conn)}
        for pool in conn.listAllStoragePools(0):
            objects.add(("pool", pool.name()))
            if pool.isActive():
                api.refresh_pool(pool)  # waits out another client's upload into the pool
                objects |= {("volume", f"{pool.name()}/{vol.name()}") for vol in api.list_volumes(pool)}
        objects |= {("network", net.name()) for net in conn.listAllNetworks(0)}
    return objects


def _ours(kind: str, name: str) -> bool:
    """Whether an object that appeared during the run can be this run's doing. The hypervisor is shared (other
    test sessions, the fault suite's second checkout with default names, a developer's pipeline), so domains and
    volumes count when they carry this run's names (every name a run derives comes from its VM name or fleet
    name, both set to this session's RUN_ID), pools and networks always (nothing else makes them while tests
    run), probe guests when the process that made them has ended (a probe of this run's playbook would also
    have written the cache, which is asserted on its own)."""
    base = name.rsplit("/", 1)[-1]
    probe = re.match(r"^buildstrap-accel-probe-(\d+)", base)
    if probe:
        return not os.path.exists(f"/proc/{probe.group(1)}")
    if base.startswith(TEST_PREFIX):
        return base.startswith(RUN_ID)
    return kind in ("pool", "network")


def new_objects(before: set, after: set) -> list:
    return sorted((kind, name) for kind, name in after - before if _ours(kind, name))


def files_under(path: Path) -> list[str]:
    """Every file and directory under ``path`` (check mode creates neither)."""
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.fixture
def clean_machine(artifacts, monkeypatch):
    """A fresh images directory and accelerator cache (BUILDSTRAP_CACHE_DIR), and a run directory outside them
    (the timeline callback writes the run's log there, which is the run's record, not the pipeline's state)."""
    root = artifacts / "check-mode"
    shutil.rmtree(root, ignore_errors=True)
    images, cache, runs = root / "images", root / "cache", root / "runs"
    for path in (images, cache, runs):
        path.mkdir(parents=True)
    monkeypatch.setenv("BUILDSTRAP_CACHE_DIR", str(cache))
    yield {"images": images, "cache": cache, "runs": runs}
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_in_check_mode_changes_nothing(playbook, clean_machine, run_id):
    vm_name = f"{run_id}-check"
    before = libvirt_objects()
    extra = {"buildstrap_images_dir": clean_machine["images"], "buildstrap_vm_name": vm_name,
             "fleet_name": f"{run_id}-checkfleet",
             "buildstrap_run_dir": clean_machine["runs"] / playbook.replace("/", "-")}
    options = ["--check"]
    if playbook in FLEET_INVENTORY:
        options += ["-i", str(ROOT / FLEET_INVENTORY[playbook])]
    rc, output = run_playbook(ROOT / "playbooks" / playbook, extra, timeout=900, options=options)
    after = libvirt_objects()

    assert "Traceback" not in output, output[-5000:]
    created = new_objects(before, after)
    assert created == [], f"check mode created libvirt objects: {created}\n" + output[-3000:]
    assert files_under(clean_machine["images"]) == [], "check mode wrote into the images directory"
    assert files_under(clean_machine["cache"]) == [], "check mode wrote the accelerator cache (a probe ran)"
    if rc != 0:
        errors = [line for line in output.splitlines() if line.startswith("[ERROR]")]
        assert errors, f"{playbook} failed without an error message:\n{output[-3000:]}"
        expected = NOTHING_BUILT_YET.search("\n".join(errors)) or (
            playbook.startswith("stages/") and STAGE_ALONE.search("\n".join(errors)))
        assert expected, f"{playbook} failed unexpectedly:\n{output[-3000:]}"


def test_vm_check_mode_does_not_probe(clean_machine, module, run_id):
    """With no cached accelerator answer, vm in check mode reports that it would probe instead of booting probe
    guests, creating a pool and a volume, and writing the cache."""
    name = f"{run_id}-checkvm"
    before = libvirt_objects()
    planned = module("vm", {"name": name, "state": "running", "accel": "auto", "memory": 32,
                            "disks": [{"volume": f"{name}.qcow2", "size": "16M"}]}, check=True)
    after = libvirt_objects()
    assert not planned.failed, planned.result
    assert planned["changed"] is True and planned["accel_source"] == "would probe", planned.result
    assert "probe" in planned["accel_detail"]
    assert new_objects(before, after) == []
    assert files_under(clean_machine["cache"]) == []


def test_stage_cache_check_reports_the_manifest_it_sets_aside(tmp_path, module):
    """state=check on a miss sets the stage's manifest aside: reported as a change, and in check mode only
    reported."""
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "stage1.json").write_text(json.dumps({"version": 1, "key": "old", "inputs": {"tree": "a"}}))
    args = {"stage": "stage1", "stages": ["stage1"], "inputs": {"tree": "b"}, "manifest_dir": str(manifests)}

    checked = module("stage_cache", args, check=True)
    assert checked["changed"] is True and checked["cache_hit"] is False
    assert (manifests / "stage1.json").exists() and not (manifests / "stage1.previous.json").exists()

    real = module("stage_cache", args)
    assert real["changed"] is True and real["cache_hit"] is False
    assert not (manifests / "stage1.json").exists() and (manifests / "stage1.previous.json").exists()

    again = module("stage_cache", args)  # nothing left to set aside
    assert again["changed"] is False and again["cache_hit"] is False
