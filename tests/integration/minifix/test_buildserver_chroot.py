"""make-buildserver and push-packages run for real on an installed minifix (install2hd's packages and add-ons
steps into a tmpfs, in a chroot, as test_live_chroot does), its source tree seeded with stage 1's kept sources
as the pipeline seeds the native tree: --minimal builds and installs rsync with its libraries from the tree as
`build`, push-packages publishes pkgs/ (and refuses clearly without rsync), a deleted package leaves the index
and the feed, and --buildall builds every recipe, then resumes quickly when run again."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from recipes.minifix import build as minifix_build
# hd, live, live_template and _root_with_chroot_and_cpio are pytest fixtures: used by name, never referenced.
from tests.integration.minifix.test_live_chroot import (STEP, _root_with_chroot_and_cpio, hd, kernel_version,  # noqa: F401 pylint: disable=unused-import
                                                         live, live_template, run)

TREE = "/usr/src/minifix-0.9"
ENV = {"PATH": "/sbin:/usr/sbin:/bin:/usr/bin", "HOME": "/root", "TERM": "dumb"}
RSYNC_CLOSURE = {"rsync", "popt-lib", "openssl-lib", "acl-lib", "lz4-lib", "zstd-lib", "xxhash-lib"}


def in_root(target: Path, script: str, user: str | None = None) -> subprocess.CompletedProcess:
    """script run by /bin/sh in the installed system, as root or as user (uid:gid)."""
    env = dict(ENV, HOME="/home/build") if user else ENV
    argv = ["chroot"] + ([f"--userspec={user}"] if user else []) + [str(target), "/bin/sh", "-c", script]
    return subprocess.run(argv, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False)


@pytest.fixture
def installed(hd, minifix):
    """The installed system of install2hd's default sets, with build/tarballs seeded from stage 1 and a
    /dev/null (the hd fixture unmounts it)."""
    target = hd / "mnt" / "hd"
    kver = kernel_version(hd)
    pre = f"mkdir -p /mnt/hd/lib/modules; [ -e /mnt/hd/lib/modules/$(uname -r) ] || ln -s {kver} /mnt/hd/lib/modules/$(uname -r)"
    for step, before in (("packages", pre), ("add-ons", "")):
        result = run(hd, STEP.format(pre=before, step=step))
        assert result.returncode == 0, (step, result.stderr)
    shutil.copytree(minifix.out / "src" / "build" / "tarballs", target / TREE.lstrip("/") / "build" / "tarballs",
                    symlinks=True, dirs_exist_ok=True)
    subprocess.run(["chown", "-R", "999:999", str(target / TREE.lstrip("/"))], check=True)
    (target / "dev/null").touch()
    subprocess.run(["mount", "--bind", "/dev/null", str(target / "dev/null")], check=True)
    return target


def opk_names(pkgs: Path) -> set[str]:
    return {p.name.split("_")[0] for p in pkgs.glob("*.opk")}


def index_names(index: str) -> list[str]:
    return re.findall(r"^Package: (\S+)$", index, re.MULTILINE)


@pytest.fixture
def live_tree(live):
    """The live system (it has /etc/minifix-release, no source tree) with the tree's scripts in /tmp/src."""
    src = live / "tmp" / "src"
    src.mkdir()
    shutil.copy2(minifix_build.RECIPE_DIR / "config.sh", src)
    shutil.copytree(minifix_build.RECIPE_DIR / "scripts", src / "scripts")
    return live


@pytest.mark.parametrize("args, user, rc, message", [
    ("--bogus", None, 2, "usage: ./scripts/make-buildserver [--minimal] [--buildall]"),
    ("--help", None, 2, "usage: "),
    ("--minimal extra", None, 2, "usage: "),
    ("--minimal --buildall", None, 1, "The --minimal and --buildall options are mutually exclusive."),
    ("--buildall --minimal", None, 1, "mutually exclusive"),
    ("--minimal", "999:999", 1, "./scripts/make-buildserver needs to be run as root"),
])
def test_make_buildserver_refuses_bad_options(live_tree, args, user, rc, message):
    result = run(live_tree, f"cd /tmp/src && ./scripts/make-buildserver {args}", user=user)
    assert result.returncode == rc, (result.stdout, result.stderr)
    assert message in result.stderr
    assert "Started:" not in result.stdout


def test_minimal_installs_rsync_and_push_packages_publishes_pkgs(installed):
    target = installed
    tree = target / TREE.lstrip("/")
    pkgs = tree / "pkgs"
    feed = target / "srv/www/minifix"
    feed.mkdir(parents=True)
    subprocess.run(["chown", "999:999", str(feed)], check=True)
    push = f"cd {TREE} && ./scripts/push-packages"

    # without rsync, push-packages says what to do
    refused = in_root(target, push, user="999:999")
    assert refused.returncode == 1
    assert "rsync is missing: run ./scripts/make-buildserver --minimal as root first" in refused.stderr

    started = time.monotonic()
    made = in_root(target, f"cd {TREE} && ./scripts/make-buildserver --minimal")
    seconds = time.monotonic() - started
    assert made.returncode == 0, (made.stdout[-3000:], made.stderr[-3000:])
    assert re.search(r"^Started: .+\nFinished: .+$", made.stdout, re.MULTILINE)
    print(f"make-buildserver --minimal: {seconds:.1f} s")
    installed_pkgs = in_root(target, "opkg list-installed").stdout
    assert RSYNC_CLOSURE <= {line.split()[0] for line in installed_pkgs.splitlines()}
    assert in_root(target, "rsync --version").returncode == 0
    # built as build from the kept sources: rsync's closure, nothing else of the extras
    built = opk_names(pkgs)
    assert RSYNC_CLOSURE <= built and not built & {"lighttpd", "openldap", "sqlite", "less"}
    assert {p.stat().st_uid for p in pkgs.iterdir()} == {999}

    pushed = in_root(target, push, user="999:999")
    assert pushed.returncode == 0, pushed.stderr
    published = {p.name for p in feed.iterdir()}
    assert published == {p.name for p in pkgs.glob("*.opk")} | {"Packages"}
    assert (feed / "Packages").read_text() == (pkgs / "Packages").read_text()
    assert sorted(index_names((feed / "Packages").read_text())) == sorted(opk_names(pkgs))

    # A package deleted from pkgs/ leaves the index (build-pkg --index) and, pushed again, the feed.
    gone = next(pkgs.glob("popt-lib_*.opk"))
    gone.unlink()
    reindexed = in_root(target, f"cd {TREE} && ./scripts/build-pkg --index", user="999:999")
    assert reindexed.returncode == 0, reindexed.stderr
    assert "index: dropped popt-lib.control" in reindexed.stdout
    index = (pkgs / "Packages").read_text()
    assert "popt-lib" not in index_names(index)
    assert sorted(index_names(index)) == sorted(opk_names(pkgs))
    again = in_root(target, push, user="999:999")
    assert again.returncode == 0, again.stderr
    assert f"*deleting   {gone.name}" in again.stdout
    assert not (feed / gone.name).exists()
    assert (feed / "Packages").read_text() == index


def test_buildall_builds_every_recipe_and_resumes(installed):
    target = installed
    tree = target / TREE.lstrip("/")
    recipes = sorted(p.name for p in (tree / "specs/pkgs").iterdir() if (p / "spec.sh").is_file())

    started = time.monotonic()
    first = in_root(target, f"cd {TREE} && ./scripts/make-buildserver --buildall")
    seconds = time.monotonic() - started
    assert first.returncode == 0, (first.stdout[-3000:], first.stderr[-3000:])
    assert re.findall(r"^Building (\S+) package$", first.stdout, re.MULTILINE) == recipes
    assert "Finished: " in first.stdout
    index = (tree / "pkgs/Packages").read_text()
    assert sorted(index_names(index)) == sorted(opk_names(tree / "pkgs"))
    assert {"lighttpd", "openldap", "sqlite", "rsync", "less", "tree", "strace", "busybox", "glibc-min"} \
        <= set(index_names(index))
    # opkg update ran: the tree's feed lists them all
    listed = {line.split()[0] for line in in_root(target, "opkg list").stdout.splitlines()}
    assert set(index_names(index)) <= listed

    started = time.monotonic()
    second = in_root(target, f"cd {TREE} && ./scripts/make-buildserver --buildall")
    rerun = time.monotonic() - started
    assert second.returncode == 0, second.stderr[-3000:]
    assert all(f"{r} is up to date" in second.stdout for r in recipes)
    print(f"make-buildserver --buildall: {len(recipes)} recipes, {len(index_names(index))} packages, "
          f"{seconds:.1f} s; rerun {rerun:.1f} s")
    assert rerun < seconds / 2
