"""Shared test helpers: run the collection's modules the way a user does, and leave nothing behind."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The fault suite's table in the terminal summary (under pytest-xdist no conftest below tests/ runs in the
# controller, which prints the summary), and the session's pipeline, shared by tests/integration and tests/faults.
pytest_plugins = ("tests.faults.summary", "tests.integration.fixtures")
# Every libvirt object a test creates starts with this, so the session can remove them even after a failure.
TEST_PREFIX = "bstest"
RUN_ID = f"{TEST_PREFIX}{os.getpid()}"
_RESULT_RE = re.compile(r"^localhost \| (\S+)(?: \| rc=\d+)? => ", re.MULTILINE)


def ansible_env() -> dict:
    env = dict(os.environ)
    env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_DEPRECATION_WARNINGS="0",
               PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}")
    return env


class ModuleRun:
    def __init__(self, status: str, result: dict, stdout: str, stderr: str):
        self.status, self.result, self.stdout, self.stderr = status, result, stdout, stderr

    @property
    def failed(self) -> bool:
        return self.status.startswith("FAILED") or self.status.startswith("UNREACHABLE")

    def __getitem__(self, key):
        return self.result[key]

    def get(self, key, default=None):
        return self.result.get(key, default)


def run_module(module: str, args: dict, check: bool = False, diff: bool = False) -> ModuleRun:
    """``ansible localhost -m aloofix.buildstrap.<module>`` from the checkout, as a user would run it."""
    cmd = [str(Path(sys.executable).parent / "ansible"), "localhost", "-m", f"aloofix.buildstrap.{module}",
           "-a", json.dumps(args)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    proc = subprocess.run(cmd, cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=900, check=False)
    match = _RESULT_RE.search(proc.stdout)
    if not match:
        raise AssertionError(f"no module result in ansible's output\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    result, _unused = json.JSONDecoder().raw_decode(proc.stdout[match.end():])
    return ModuleRun(match.group(1), result, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def module():
    return run_module


@pytest.fixture(scope="session")
def run_id():
    return RUN_ID


def hypervisor_uris() -> list[str]:
    """qemu:///system and every hypervisor of the example fleet's inventory (the second one, buildstrap-hv's
    qemu:///session over SSH, that scripts/setup.sh makes): the ones `make clean` cleans."""
    from scripts.cleanup import hypervisor_uris as known

    return known()


def remove_test_objects(uris=None, match=lambda name: name.startswith(TEST_PREFIX)) -> list[str]:
    """Destroy and undefine every domain, volume and network whose name ``match`` accepts, on every hypervisor."""
    removed = []
    for uri in uris or hypervisor_uris():
        removed += _remove_objects(uri, match)
    return removed


def _remove_objects(uri: str, match) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api

    removed = []
    with api.connection(uri) as conn:
        for dom in api.list_domains(conn):
            if match(dom.name()):
                api.destroy_domain(dom)
                if dom.isPersistent():
                    api.undefine_domain(dom)
                removed.append(f"domain {dom.name()} ({uri})")
        for pool in conn.listAllStoragePools(0):
            if not pool.isActive():
                continue
            api.refresh_pool(pool)
            for vol in pool.listAllVolumes(0):
                if match(vol.name()):
                    api.delete_volume(vol)
                    removed.append(f"volume {vol.name()}")
        for net in conn.listAllNetworks(0):
            if match(net.name()):
                api.remove_network(net)
                removed.append(f"network {net.name()}")
    return removed


def _stale(name: str) -> bool:
    """Objects of a test session whose process is gone (a crashed or killed run); never another live run's."""
    match = re.match(rf"^{TEST_PREFIX}(\d+)-", name)
    return bool(match) and not os.path.exists(f"/proc/{match.group(1)}")


@pytest.fixture(scope="session", autouse=True)
def leave_nothing_behind(request):
    """Before the session, remove what crashed runs left; after it (pass or fail), remove this run's objects."""
    needs_libvirt = any(item.get_closest_marker("vm") or "integration" in str(item.fspath)
                        for item in request.session.items)
    if not needs_libvirt:
        yield
        return
    remove_test_objects(match=_stale)
    yield
    left = remove_test_objects(match=lambda name: name.startswith(RUN_ID + "-"))
    if left:
        print(f"\nremoved test objects left by tests: {', '.join(left)}")


# Every test's scratch space: pytest's temporary directories, the artifacts QEMU reads, the libvirtd lock.
TESTS_TMP = Path("/var/tmp/buildstrap-tests")


def pytest_configure(config):
    """pytest's temporary directories go under /var/tmp/buildstrap-tests/<run>-pytest (one per session, so a
    session never cleans up another's) and are removed at its end, pass or fail. Under pytest-xdist the workers
    get sub-directories of the controller's."""
    if config.option.basetemp is None and not hasattr(config, "workerinput"):
        # pytest makes the basetemp itself but not its parent (a new machine has no /var/tmp/buildstrap-tests)
        TESTS_TMP.mkdir(parents=True, exist_ok=True)
        TESTS_TMP.chmod(0o755)
        config.option.basetemp = str(TESTS_TMP / f"{RUN_ID}-pytest")
        config._buildstrap_basetemp = config.option.basetemp
    workers = getattr(config.option, "numprocesses", None)
    if not hasattr(config, "workerinput") and isinstance(workers, int) and workers >= 2 and config.option.basetemp:
        # Two workers or more: the build server is handed between the lines (tests/integration/handoff.py).
        os.environ["BUILDSTRAP_TESTS_HANDOFF"] = str(Path(config.option.basetemp) / "server-handoff")


def pytest_unconfigure(config):
    basetemp = getattr(config, "_buildstrap_basetemp", None)
    if basetemp:
        shutil.rmtree(basetemp, ignore_errors=True)


# Tests beside the pipeline's (group "rest") hold this lock shared while they run; a fault test that restarts
# libvirtd (tests/faults) holds it exclusively, so it waits for the test beside it and the next one waits for it.
LIBVIRTD_LOCK = TESTS_TMP / "libvirtd.lock"


@contextlib.contextmanager
def libvirtd_lock(exclusive: bool):
    LIBVIRTD_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(LIBVIRTD_LOCK, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(autouse=True)
def libvirtd_in_use(request):
    uses_libvirt = request.node.get_closest_marker("vm") or "integration" in str(request.node.path)
    if line_of_work(request.node.nodeid) != "rest" or not uses_libvirt:
        yield
        return
    with libvirtd_lock(exclusive=False):
        yield


# The pipeline's line is the critical path of `make test`: the other line yields the CPU to it. Its worker (and
# what it starts: ansible-playbook, ansible-test sanity and ansible-lint, whose pylint and rule runs use every
# core) runs at a lower priority, so it takes what the pipeline's guests leave. Its own guests run at libvirt's
# priority, one at a time, beside the pipeline's.
REST_NICENESS = 10


@pytest.fixture(autouse=True)
def rest_line_yields_the_cpu(request):
    """... but for the build server's tests, which the fault suite waits for (SERVER_FILES)."""
    if line_of_work(request.node.nodeid) == "rest":
        wanted = 0 if file_of(request.node.nodeid) in SERVER_FILES else REST_NICENESS
        if os.getpriority(os.PRIO_PROCESS, 0) != wanted:
            os.setpriority(os.PRIO_PROCESS, 0, wanted)
    yield


# The files whose tests use the session's pipeline (fixture native_pipeline): they run in this order, one after
# another, on one of `make test`'s two workers (but for SERVER_FILES, below); every other test runs on the
# other one. Collection fails if a test elsewhere asks for the pipeline (it would build a second one).
PIPELINE_FILES = ("tests/integration/test_buildserver.py", "tests/integration/test_buildserver_modules.py",
                  "tests/integration/test_clients.py", "tests/integration/test_molecule.py",
                  "tests/integration/test_buildstrap_pipeline.py", "tests/integration/test_guest_resources.py",
                  "tests/integration/test_second_checkout.py", "tests/faults/test_faults.py")


# Of PIPELINE_FILES, the tests that only work on the running build server (and put it back as they found it).
# With two workers they run at the end of the other line, beside the fleet and molecule tests; the fault suite
# waits for them (tests/integration/handoff.py). In one process they keep their place in PIPELINE_FILES.
SERVER_FILES = ("tests/integration/test_buildserver_modules.py", "tests/integration/test_guest_resources.py")


def file_of(nodeid: str) -> str:
    """The file of a test (its node ID's path), as PIPELINE_FILES and SERVER_FILES name it."""
    return nodeid.split("::", 1)[0]


def server_handed_over() -> bool:
    return bool(os.environ.get("BUILDSTRAP_TESTS_HANDOFF"))


def line_of_work(nodeid: str) -> str:
    path = file_of(nodeid)
    if path in SERVER_FILES and server_handed_over():
        return "rest"
    return "pipeline" if path in PIPELINE_FILES else "rest"


def pytest_collection_modifyitems(session, config, items):
    """Two lines of work that `make test` runs side by side (pytest-xdist, `-n 2`), one per core: the tests of
    the session's pipeline and its native instance ("pipeline", in PIPELINE_FILES' order, the fault suite last:
    it breaks and resumes the pipeline), and all the others ("rest": they boot their own small guests or none).

    So in the pipeline's line the fleet's and molecule's tests (test_clients.py, test_molecule.py) run before the
    pipeline test: their clones are made from the native instance's installed disk and configured from its
    --buildall feed, and the pipeline test reinstalls that instance (after which its build server would have to
    build every package again)."""
    strays = [item.nodeid for item in items
              if "native_pipeline" in getattr(item, "fixturenames", ()) and line_of_work(item.nodeid) != "pipeline"]
    if strays:
        raise pytest.UsageError(f"{', '.join(strays)} use the session's pipeline: add their files to "
                                "tests/conftest.py's PIPELINE_FILES")
    order = {path: n for n, path in enumerate(PIPELINE_FILES)}
    pipeline = sorted((item for item in items if line_of_work(item.nodeid) == "pipeline"),
                      key=lambda item: order[file_of(item.nodeid)])  # stable: tests keep their order
    # The rest line: first the tests that boot guests of their own (beside the pipeline's one guest), then the
    # build server's tests (handed over some 15 minutes into the run, when the fleet's --buildall run has made
    # its feed final; the fault suite waits for them), then the tests that only need the CPU (unit, hygiene).
    rest = sorted((item for item in items if line_of_work(item.nodeid) == "rest"), key=_rest_rank)  # stable
    items[:] = pipeline + rest


def _rest_rank(item) -> int:
    path = file_of(item.nodeid)
    if path in SERVER_FILES:
        return 1
    return 0 if path.startswith(("tests/integration/", "tests/faults/")) else 2


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's scheduler with two scopes, "pipeline" and "rest", one per worker. (Its own --dist loadgroup
    cannot be used: it renames items through an attribute that pytest 9 no longer reads.)"""
    from xdist.scheduler import LoadScopeScheduling

    class TwoLines(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return line_of_work(nodeid)

    return TwoLines(config, log)
