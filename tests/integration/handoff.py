"""The session's build server, handed from the pipeline's line of work to the other one (`make test`, two
pytest-xdist workers; tests/conftest.py SERVER_FILES).

The tests of the guest modules (test_buildserver_modules.py, test_guest_resources.py) only need a running
build server to work on, and put it back as they found it. Under `make test` they run at the end of the "rest"
line, beside the pipeline line's fleet and molecule tests, instead of after them:

- the pipeline line publishes the build server once its feed is final (after the fleet's --buildall run);
- the rest line waits for that, runs the tests, and marks each of their modules done;
- the pipeline line waits for those marks before the fault suite, which destroys and reinstalls the VM.

Both workers of a run find each other in the directory BUILDSTRAP_TESTS_HANDOFF names, which the controller
sets under its basetemp when it starts workers (tests/conftest.py; removed with the basetemp). A side that ends without
publishing (a failed pipeline, a worker that stopped) says so, so the other one never waits for nothing.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

WAIT = 3600.0  # the longest a side waits for the other (a cold machine's pipeline and build server take ~10 min)


def _dir() -> Path:
    path = Path(os.environ["BUILDSTRAP_TESTS_HANDOFF"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write(name: str, data: dict) -> None:
    tmp = _dir() / f".{name}.tmp"
    tmp.write_text(json.dumps(data))
    tmp.replace(_dir() / name)


def publish(pipeline) -> None:
    """The build server is ready for the other line (idempotent)."""
    if not (_dir() / "ready.json").exists():
        _write("ready.json", {"workdir": str(pipeline.workdir), "vm_name": pipeline.vm_name})


def gone(reason: str) -> None:
    """There is no build server to hand over (any more): waiters stop waiting and fail with the reason."""
    _write("gone.json", {"reason": reason})


def wait_ready(timeout: float = WAIT) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name in ("ready.json", "gone.json"):
            path = _dir() / name
            if path.exists():
                data = json.loads(path.read_text())
                if name == "gone.json":
                    raise AssertionError(f"the session's build server is not available: {data['reason']}")
                return data
        time.sleep(1)
    raise AssertionError(f"the pipeline's line did not publish the build server within {timeout:.0f}s")


def done(module: str) -> None:
    _write(f"{module}.done", {})


def wait_done(modules, timeout: float = WAIT) -> list[str]:
    """Wait until the other line marked every one of ``modules`` done; return the ones it did not (timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        missing = [m for m in modules if not (_dir() / f"{m}.done").exists()]
        if not missing or time.monotonic() >= deadline:
            return missing
        time.sleep(1)
