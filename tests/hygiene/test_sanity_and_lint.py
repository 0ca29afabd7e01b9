"""The collection passes ansible-test sanity (no ignore files) and ansible-lint's production profile, offline.

Both run on this machine, not in containers. ansible-test sanity covers the collection's Ansible content and its
tests; recipes/ (distro data: busybox ash scripts for the guests, the minifix build tool), bench/ and scripts/
(developer tools) and the ansible_collections/ symlink that makes the checkout a collection path are not part of
it. scripts/setup.sh puts the pip bootstrap ansible-test would download in its cache (scripts/get_pip.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

BIN = Path(sys.executable).parent
COLLECTION = ROOT / "ansible_collections" / "aloofix" / "buildstrap"
SANITY_TARGETS = ["plugins/", "roles/", "playbooks/", "meta/", "tests/", "extensions/", "inventory/", "galaxy.yml"]


def _env() -> dict:
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}", ANSIBLE_NOCOLOR="1", NO_COLOR="1")
    env.pop("ANSIBLE_CONFIG", None)  # each tool reads the collection's own configuration
    return env


def _run(argv: list[str], cwd: Path, env: dict) -> None:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=3600, check=False)
    assert proc.returncode == 0, f"{' '.join(argv)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"


def test_no_sanity_ignore_files():
    assert not list((ROOT / "tests" / "sanity").glob("ignore-*.txt"))


def test_ansible_test_sanity():
    # ansible-test finds the collection from its path; the checkout is one through the symlink, which
    # os.getcwd() resolves, hence the explicit content root.
    env = dict(_env(), ANSIBLE_TEST_CONTENT_ROOT=str(COLLECTION))
    _run([str(BIN / "ansible-test"), "sanity", "--python", "3.11", "--color", "no", *SANITY_TARGETS],
         COLLECTION, env)


def test_ansible_lint_production_profile():
    # .ansible-lint: profile production, offline, and what it leaves out.
    _run([str(BIN / "ansible-lint"), "--offline", "--nocolor", "--format", "pep8"], ROOT, _env())
