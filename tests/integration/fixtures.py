"""The session's shared fixtures of the tests that boot VMs: ``artifacts`` (a directory QEMU can read) and
``native_pipeline`` (the session's pipeline). A plugin of the top conftest (``pytest_plugins``), so that tests in
tests/integration and tests/faults share the one pipeline (a fixture imported into two conftests would be two
session fixtures, two pipelines)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import RUN_ID, TESTS_TMP, server_handed_over
from tests.integration import handoff


@pytest.fixture(scope="session")
def artifacts():
    """A directory QEMU can read wherever the checkout is (pytest's tmp_path is 0700 root, and so may be the
    directory a checkout lives in, which the qemu user cannot enter)."""
    path = TESTS_TMP / RUN_ID
    path.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o755)
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def native_pipeline(artifacts, run_id, request):
    """playbooks/buildstrap.yml from zero on minifix, once per session: (Pipeline, the first run's result). Its
    native instance is the build server of the buildserver tests, then the pipeline test's cached run and the
    fault suite's failed and resumed runs (tests/faults) use it; it is removed with its volumes at the end, pass or
    fail."""
    from tests.conftest import run_module
    from tests.integration.conftest import wait_for_server_tests
    from tests.integration.pipeline import Pipeline

    reuse = os.environ.get("BUILDSTRAP_TEST_REUSE_PIPELINE")
    if reuse:
        # Developers: BUILDSTRAP_TEST_REUSE_PIPELINE=WORKDIR:VM_NAME runs tests that only need a native instance
        # (and build server) against one made before (WORKDIR/images), which is left as it is afterwards.
        workdir, vm_name = reuse.rsplit(":", 1)
        yield Pipeline(Path(workdir), vm_name), {"rc": 0, "output": "(reused)"}
        return
    workdir = artifacts / "pipeline"
    workdir.mkdir()
    pipe = Pipeline(workdir, f"{run_id}-pipe")
    first = {"rc": 1}
    try:
        first = pipe.run("zero")
        if first["rc"] != 0 and server_handed_over():
            handoff.gone("the session's buildstrap pipeline failed (see the pipeline's tests)")
        yield pipe, first
    finally:
        if server_handed_over():
            if first["rc"] == 0:  # a session without the fleet and fault suites never published it
                wait_for_server_tests(request.session, pipe)
            handoff.gone("the session's pipeline was removed")
        run_module("vm", {"name": pipe.vm_name, "state": "absent", "remove_volumes": True})
