"""One molecule scenario end to end (extensions/molecule/), as `make molecule` runs each: `molecule test -s
profile_base` against the session's pipeline - the shared create clones the native instance's installed disk into
a client VM with its own pinned host keys, converge applies profile_base (the site's files, the build server's feed,
a package, the admins, NTP, syslog), idempotence changes nothing, verify checks the guest's real state, and destroy
leaves no VM, disk or record behind.

The scenario's VMs are named after this session (BUILDSTRAP_MOLECULE_PREFIX=RUN_ID-mol), so the session's cleanup
removes them even when molecule dies half-way."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, RUN_ID, ansible_env, remove_test_objects

pytestmark = pytest.mark.vm

SCENARIO = "profile_base"
PREFIX = f"{RUN_ID}-mol"
FLEET = f"{PREFIX}-{SCENARIO.replace('_', '-')}"
# profile_base's block moves to 32600-32699: clear of the scenarios' own table (23000-24399), so a developer's
# `make molecule` may run next to the tests, of vm's automatic ports (20000-29999) that the tests running beside
# this one take, and of the kernel's ephemeral ports (32768 and up).
PORT_OFFSET = 8600
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _libvirt_names(prefix: str) -> list[str]:
    from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api

    names = []
    with api.connection("qemu:///system") as conn:
        names += [dom.name() for dom in api.list_domains(conn)]
        for pool in conn.listAllStoragePools(0):
            if pool.isActive():
                pool.refresh(0)
                names += [vol.name() for vol in pool.listAllVolumes(0)]
    return [name for name in names if name.startswith(prefix)]


@pytest.fixture(scope="module")
def pipeline(native_pipeline):
    """The session's native instance as a build server with every recipe in its feed (profile_base installs a
    package that --minimal does not build): cached when test_clients.py's fleet made it so."""
    pipeline, first = native_pipeline
    assert first["rc"] == 0, "the session's buildstrap pipeline failed:\n" + first["output"][-3000:]
    server = pipeline.run("molecule-buildserver", "-e", "buildstrap_buildserver_options=--buildall",
                          playbook="buildserver.yml", timeout=3600)
    assert server["rc"] == 0, server["output"][-5000:]
    return pipeline


def test_a_scenario_converges_idempotently_verifies_and_leaves_nothing(pipeline, artifacts):
    workdir = artifacts / "molecule"
    workdir.mkdir(exist_ok=True)
    env = ansible_env()
    env.update(BUILDSTRAP_IMAGES_DIR=str(pipeline.images), BUILDSTRAP_VM_NAME=pipeline.vm_name,
               BUILDSTRAP_MOLECULE_PREFIX=PREFIX, BUILDSTRAP_MOLECULE_PORT_OFFSET=str(PORT_OFFSET),
               # its own working directory (not ~/.ansible/tmp's, which a developer's run of the scenario uses)
               MOLECULE_EPHEMERAL_DIRECTORY=str(workdir / "ephemeral"), BUILDSTRAP_RUN_DIR=str(workdir / "logs"),
               NO_COLOR="1", ANSIBLE_CALLBACK_RESULT_FORMAT="yaml")
    molecule = str(Path(sys.executable).parent / "molecule")
    try:
        proc = subprocess.run([molecule, "test", "-s", SCENARIO], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=3600, check=False)
        output = _ANSI.sub("", proc.stdout + proc.stderr)
        (workdir / "molecule.log").write_text(output)
        assert proc.returncode == 0, output[-8000:]
        for step in ("create", "converge", "idempotence", "verify", "destroy"):
            assert re.search(rf"{SCENARIO} (➜|>) {step}: Executed: Successful", output), f"{step}:\n{output[-8000:]}"
        assert "Idempotence test failed" not in output
        # create cloned the instance and reached it through its own pinned keys, on the session's ports
        assert f"{FLEET}-base" in output and "StrictHostKeyChecking=no" not in output
        # destroy: no VM, disk or record of the scenario is left
        assert _libvirt_names(FLEET) == []
        assert not (pipeline.state / "fleet" / FLEET).exists()
        config = workdir / "ephemeral" / "instance_config.yml"
        assert not config.exists() or config.read_text().strip() in ("", "[]")
    finally:
        remove_test_objects(match=lambda name: name.startswith(PREFIX + "-"))
