from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, RUN_ID, ansible_env


@pytest.fixture(scope="session")
def artifacts():
    """A directory QEMU can read (pytest's tmp_path is 0700 root, which the qemu user cannot enter)."""
    path = ROOT / "images" / "tests" / RUN_ID
    path.mkdir(parents=True, exist_ok=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def minifix_iso():
    """minifix's stage-1 ISO, built offline from Debian packages by its own scripts/buildstrap (reused when the
    recipe tree has not changed since the last build)."""
    out = ROOT / "images" / "minifix"
    proc = subprocess.run([sys.executable, "-m", "recipes.minifix.build", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, f"minifix build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    iso = out / "minifix-buildstrap.iso"
    assert iso.is_file()
    return iso


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
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr
