from __future__ import annotations

import shutil

import pytest

from tests.conftest import ROOT, RUN_ID


@pytest.fixture(scope="session")
def artifacts():
    """A directory QEMU can read (pytest's tmp_path is 0700 root, which the qemu user cannot enter)."""
    path = ROOT / "images" / "tests" / RUN_ID
    path.mkdir(parents=True, exist_ok=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)
