"""Fixtures for minifix's own tests: the stage-1 build, reused while the recipe tree is unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from recipes.minifix import build as minifix_build


@dataclass(frozen=True)
class MinifixImages:
    out: Path
    iso: Path
    initrd: Path
    kernel: Path
    manifest: Path


def minifix_images(out: Path = minifix_build.DEFAULT_OUT) -> MinifixImages:
    """Build minifix's stage-1 images unless they are up to date; return their paths.

    VM tests elsewhere can import this (tests.integration.minifix.conftest.minifix_images) and boot
    `kernel` + `initrd` directly or the ISO through ISOLINUX.
    """
    iso = minifix_build.ensure_built(out)
    return MinifixImages(out=out, iso=iso, initrd=out / "iso_initrd.gz", kernel=out / "vmlinuz",
                         manifest=out / "manifest.txt")


@pytest.fixture(scope="session")
def minifix():
    return minifix_images()
