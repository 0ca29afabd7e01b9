"""Fixtures for minifix's own tests: the stage-1 build, reused while the recipe tree is unchanged, and what
its CD carries (read with pycdlib: nothing is unpacked)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pycdlib
import pytest

from recipes.minifix import build as minifix_build
from tests.integration.minifix import cd


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


@pytest.fixture(scope="session")
def iso(minifix):
    handle = pycdlib.PyCdlib()
    handle.open(str(minifix.iso))
    yield handle
    handle.close()


@pytest.fixture(scope="session")
def packages(iso) -> dict[str, cd.Package]:
    return cd.cd_packages(iso)


@pytest.fixture(scope="session")
def live(iso):
    """The live initrd's tree as the kernel unpacks it."""
    return cd.live_tree(iso)


@pytest.fixture(scope="session")
def live_booted(live, packages):
    """The live system once its rcS has run `busybox --install -s`."""
    return cd.after_busybox_install(live, packages["busybox"])


@pytest.fixture(scope="session")
def installed(iso, packages):
    """The disk system of install2hd's default package sets (base + toolchain)."""
    return cd.installed_tree(packages, cd.pkgset(iso, "base") + cd.pkgset(iso, "toolchain"))
