"""playbooks/buildstrap.yml on minifix with real TCG VMs: the whole pipeline from zero, a cached rerun that
boots nothing. Bad recipes refused before any VM starts are test_bad_recipes.py; runs that fail in the middle (a VM killed during
install2hd, SSH cut, a full disk, Ctrl-C, ...) and resume are tests/faults/."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import client as ssh
from tests.conftest import ROOT, ansible_env
from tests.integration.pipeline import (
    ANSIBLE_PLAYBOOK, STAGES, changed_tasks, domain_id, stage_status,
)

pytestmark = pytest.mark.vm


def test_pipeline_from_zero_and_cached(native_pipeline):
    """The session's pipeline from zero (tests/integration/conftest.py; the build server tests ran on its native
    instance first, which the cached run must not notice), then a cached run."""
    pipeline, first = native_pipeline
    assert first["rc"] == 0, first["output"][-5000:]
    status = stage_status(first["timeline"])
    assert [status[s] for s in ("stage1", "install1", "native", "install2")] == ["ok"] * 4, status

    # Provenance: a manifest per stage with the outputs' sha256, inputs, timings, tools and log digests.
    manifests = {s: json.loads((pipeline.manifests / f"{s}.json").read_text()) for s in STAGES}
    iso1, iso2 = manifests["stage1"]["outputs"]["iso"], manifests["native"]["outputs"]["iso"]
    assert len(iso1["sha256"]) == 64 and len(iso2["sha256"]) == 64
    assert iso2["file"].endswith("/stage2/minifix-buildstrap.iso") and os.path.getsize(iso2["file"]) > 1 << 20
    assert manifests["install1"]["outputs"]["disk"]["volume"] == f"{pipeline.vm_name}-disk1.qcow2"
    assert manifests["native"]["inputs"]["installed_disk"] == manifests["install1"]["outputs"]["disk"]["sha256"]
    assert manifests["native"]["progress_total"] >= 10, "the native rebuild reported its packages"
    assert manifests["native"]["logs"] and manifests["install1"]["tools"]["qemu"]
    assert all(m["timings"]["seconds"] > 0 for m in manifests.values())
    # Progress lines of the native rebuild appeared in the output as it went.
    assert re.search(r"\[native\] \S+ \(\d+\), elapsed \d+s", first["output"])
    # The installed source tree's build/ is empty (as aloofix-src's): the native stage pushed stage 1's tarballs.
    pushed = [t for stage in first["timeline"]["stages"] for t in stage["tasks"]
              if t["action"] == "aloofix.buildstrap.guest_push"]
    assert [t["status"] for t in pushed] == ["ok"], pushed
    # The timeline exists as a file a person can open.
    assert "<svg" in (first["dir"] / "timeline.html").read_text()

    # The native instance is left running, reachable with its pinned key, and written down for later playbooks.
    instance = json.loads((pipeline.images / "minifix" / "state" / "instance.json").read_text())
    assert instance["ssh_profile"] == "dropbear-2013" and instance["ansible_ssh_private_key_file"].endswith("id_rsa")
    with ssh.connect("127.0.0.1", instance["ansible_port"], "root", instance["ansible_ssh_private_key_file"],
                     instance["known_hosts"], profile=instance["ssh_profile"]) as client:
        _unused, hostname, _unused = ssh.run(client, "hostname", timeout=60)
        _unused, root, _unused = ssh.run(client, "grep ' / ' /proc/mounts", timeout=60)
    assert hostname.strip() == instance["hostname"] and re.match(r"^host[0-9a-f]{12}$", hostname.strip())
    assert root.startswith("/dev/vda3 ")
    # The inventory plugin offers the instance to the next playbooks.
    config = pipeline.workdir / "instances.buildstrap.yml"
    config.write_text(f"plugin: aloofix.buildstrap.instances\nimages_dir: {pipeline.images}\n")
    listed = json.loads(subprocess.run([ANSIBLE_PLAYBOOK.replace("-playbook", "-inventory"), "-i", str(config),
                                        "--list"], cwd=ROOT, env=ansible_env(), capture_output=True, text=True,
                                       check=True).stdout)
    assert listed["buildstrap_native_instances"]["hosts"] == [pipeline.vm_name]
    assert listed["_meta"]["hostvars"][pipeline.vm_name]["ansible_port"] == instance["ansible_port"]

    # No secret anywhere in the output or the run's files.
    password = (pipeline.images / "minifix" / "state" / "root_password").read_text().strip()
    assert password and password not in first["output"]
    for path in first["dir"].rglob("*"):
        if path.is_file():
            assert password not in path.read_text(errors="replace"), path

    # Run again at once: every stage cached, no VM booted, a fraction of the time.
    domain_before = domain_id(pipeline.vm_name)
    again = pipeline.run("cached")
    assert again["rc"] == 0, again["output"][-3000:]
    assert set(stage_status(again["timeline"])[s] for s in ("stage1", "install1", "native", "install2")) == \
        {"cached"}
    assert domain_id(pipeline.vm_name) == domain_before, "the cached run must not start or restart the VM"
    assert changed_tasks(again["output"]) == 0, again["output"][-3000:]
