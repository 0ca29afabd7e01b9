"""A second checkout on the same hypervisor never replaces the session pipeline's native instance: the domain
records its owner (user@host:checkout) and the second checkout's run refuses, naming it, before touching it."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.pipeline import recipe as recipes
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api, transform
from tests.conftest import ROOT, ansible_env
from tests.integration.pipeline import ANSIBLE_PLAYBOOK, domain_id

pytestmark = pytest.mark.vm

SKIP = shutil.ignore_patterns(".venv", ".git", "images", "logs", "tests", "__pycache__", "output", ".pytest_cache")


def test_a_second_checkout_refuses_the_first_ones_vm(native_pipeline, artifacts):
    pipeline, first = native_pipeline
    assert first["rc"] == 0, "the session's buildstrap pipeline failed:\n" + first["output"][-3000:]
    mine = recipes.owner(os.path.realpath(ROOT), getpass.getuser(), socket.gethostname())
    with api.connection() as conn:
        recorded = transform.domain_facts(api.domain_xml(api.lookup_domain(conn, pipeline.vm_name)))["metadata"]
    assert recorded.get("owner") == mine, "the pipeline's VM records this checkout as its owner"

    other = artifacts / "checkout2"
    shutil.copytree(ROOT, other, symlinks=True, ignore=SKIP)
    theirs = recipes.owner(os.path.realpath(other), getpass.getuser(), socket.gethostname())
    assert recipes.default_vm_name("minifix", theirs) != recipes.default_vm_name("minifix", mine)

    # The second checkout names the first one's VM and asks to start from zero: refused before anything is removed.
    before = domain_id(pipeline.vm_name)
    manifests = sorted(p.name for p in pipeline.manifests.iterdir())
    env = ansible_env()
    env.update(ANSIBLE_CONFIG=str(other / "ansible.cfg"), BUILDSTRAP_RUN_DIR=str(artifacts / "checkout2-run"))
    proc = subprocess.run([ANSIBLE_PLAYBOOK, str(other / "playbooks" / "buildstrap.yml"),
                           "-e", f"buildstrap_images_dir={artifacts / 'checkout2-images'}",
                           "-e", f"buildstrap_vm_name={pipeline.vm_name}", "-e", "buildstrap_clean=true"],
                          cwd=other, env=env, capture_output=True, text=True, timeout=600, check=False)
    output = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0, output[-3000:]
    assert f"name: the domain '{pipeline.vm_name}' belongs to {mine}" in output, output[-3000:]
    assert f"not to {theirs}" in output and "buildstrap_vm_name" in output
    assert "Traceback" not in output
    assert domain_id(pipeline.vm_name) == before, "the first checkout's VM was not touched"
    assert sorted(p.name for p in pipeline.manifests.iterdir()) == manifests
