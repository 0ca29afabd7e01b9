from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, RUN_ID, ansible_env


@pytest.fixture(scope="session")
def artifacts():
    """A directory QEMU can read wherever the checkout is (pytest's tmp_path is 0700 root, and so may be the
    directory a checkout lives in, which the qemu user cannot enter)."""
    path = Path("/var/tmp/buildstrap-tests") / RUN_ID
    path.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o755)
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def minifix_iso():
    """minifix's stage-1 ISO, built offline from Debian packages by its own scripts/buildstrap (reused while the
    recipe tree is unchanged)."""
    from tests.integration.minifix.conftest import minifix_images

    return minifix_images().iso


def run_playbook(playbook, extra_vars: dict, secrets_file=None, timeout: int = 1800):
    """ansible-playbook from the checkout; returns (rc, combined output)."""
    cmd = [str(ROOT / ".venv" / "bin" / "ansible-playbook") if (ROOT / ".venv").exists()
           else os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(playbook)]
    for key, value in extra_vars.items():
        cmd += ["-e", f"{key}={value}"]
    if secrets_file:
        cmd += ["-e", f"@{secrets_file}"]
    env = ansible_env()
    env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "yaml"
    if "buildstrap_run_dir" in extra_vars:  # the timeline callback writes there too, not into the checkout
        env["BUILDSTRAP_RUN_DIR"] = str(extra_vars["buildstrap_run_dir"])
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr
