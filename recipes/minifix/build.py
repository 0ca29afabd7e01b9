"""Stage 1 of minifix on this host: run the minifix tree's own scripts/buildstrap.

    .venv/bin/python -m recipes.minifix.build --out images/minifix

The recipe tree (config.sh, scripts/, specs/, README.md, COPYING) is copied to <out>/src and built there by
scripts/buildstrap, as a normal user (buildstrap refuses root, like Aloofix's): when this runs as
root it uses the system user ``bsbuild`` (created if missing) through runuser. Debian packages
are downloaded with apt-get into a cache (<out>/../cache/debs by default) that later builds reuse
offline. Results: <out>/minifix-buildstrap.iso, <out>/iso_initrd.gz, <out>/vmlinuz and
<out>/manifest.txt (the Debian versions and sha256 sums that went in). <out>/src/build/tarballs holds
the kept sources a native rebuild in minifix must be seeded with (minifix-src ships an empty build/), the
.debs of the recipes stage 1 does not build (rsync, lighttpd, openldap, ...: make-buildserver's) included.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path

RECIPE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = RECIPE_DIR.parents[1]
DEFAULT_OUT = PROJECT_ROOT / "images" / "minifix"
# What of the recipe directory is minifix's source tree (the rest is this driver).
TREE_ENTRIES = ("config.sh", "scripts", "specs", "README.md", "COPYING")
BUILD_USER = "bsbuild"
ISO_NAME = "minifix-buildstrap.iso"
ARTIFACTS = (ISO_NAME, "iso_initrd.gz", "vmlinuz")


class BuildError(Exception):
    """The stage-1 build failed."""


def tree_files(root: Path = RECIPE_DIR):
    """Every file of the minifix source tree under root."""
    for entry in TREE_ENTRIES:
        path = root / entry
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from (p for p in sorted(path.rglob("*")) if p.is_file() and "__pycache__" not in p.parts)


def is_up_to_date(out: Path, root: Path = RECIPE_DIR) -> bool:
    """True when every artifact in out is newer than every file of the recipe tree."""
    try:
        oldest = min((out / name).stat().st_mtime for name in ARTIFACTS)
    except FileNotFoundError:
        return False
    return all(p.stat().st_mtime <= oldest for p in tree_files(root))


def sync_tree(src: Path) -> None:
    """Copy the recipe tree into src, keeping src's build state (build/, pkgs/, images/).

    copy2 keeps modification times, so build-pkg's "recipe newer than status" check sees
    only real edits.
    """
    src.mkdir(parents=True, exist_ok=True)
    for entry in TREE_ENTRIES:
        origin, target = RECIPE_DIR / entry, src / entry
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        if origin.is_dir():
            shutil.copytree(origin, target, symlinks=True, copy_function=shutil.copy2,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif origin.exists():
            shutil.copy2(origin, target)


def ensure_build_user(name: str = BUILD_USER) -> pwd.struct_passwd:
    """The system account stage 1 runs as when invoked by root."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", name], check=True)
        return pwd.getpwnam(name)


def chown_tree(path: Path, uid: int, gid: int) -> None:
    for dirpath, dirnames, filenames in os.walk(path):
        os.lchown(dirpath, uid, gid)
        for name in dirnames + filenames:
            os.lchown(os.path.join(dirpath, name), uid, gid)


def _pycdlib_path(workdir: Path) -> Path:
    """A directory holding only a link to this interpreter's pycdlib, for PYTHONPATH.

    The project's venv python may live where the build user cannot execute it (e.g. under
    /root), so the build user runs the system python3 with just pycdlib (pure Python) added.
    """
    import pycdlib

    libdir = workdir / "pylib"
    libdir.mkdir(parents=True, exist_ok=True)
    link = libdir / "pycdlib"
    target = Path(pycdlib.__file__).resolve().parent
    if not link.is_symlink() or link.resolve() != target:
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)
    return libdir


# Prints every Debian package the recipes name (their debs=), one recipe per line; sourcing a spec.sh only
# defines variables and stage functions.
LIST_DEBS = 'top=$(pwd); . ./config.sh; for s in specs/pkgs/*/spec.sh; do (debs=; . "$s"; echo $debs); done'


def _deb_glob(name: str) -> str:
    """As scripts/lib.sh's deb_glob: "busybox-static:i386" -> busybox-static_*_i386.deb; no arch -> _all."""
    package, _, arch = name.partition(":")
    return f"{package}_*_{arch or 'all'}.deb"


def prefetch_debs(src: Path, cache: Path, out: Path) -> list[str]:
    """Download, in ONE apt-get call, the recipes' Debian packages that the cache lacks.

    build-pkg's retrieve stage fetches each package's own .debs (one apt-get call each, as a build on minifix
    itself would); apt-get spends about 1.5 s starting up per call, so a cold stage 1 on this host asks for them
    all at once first and retrieve then finds them in DEB_CACHE. A failure here is left to retrieve, which
    names the package.
    """
    argv, env = buildstrap_command(src, cache, out, ["sh", "-c", LIST_DEBS])
    listed = subprocess.run(argv, cwd=src, env=env, capture_output=True, text=True, check=False)
    names = sorted({name for line in listed.stdout.splitlines() for name in line.split()})
    missing = [name for name in names if not any(cache.glob(_deb_glob(name)))]
    if missing and shutil.which("apt-get"):
        argv, env = buildstrap_command(src, cache, out, ["apt-get", "download", "-q", *missing])
        started = time.monotonic()
        fetched = subprocess.run(argv, cwd=cache, env=env, capture_output=True, text=True, check=False)
        print(f"minifix: prefetched {len(missing)} Debian packages in one apt-get call "
              f"({time.monotonic() - started:.1f} s, rc {fetched.returncode})", flush=True)
    return missing


def buildstrap_command(src: Path, cache: Path, out: Path,
                       command: list[str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that run buildstrap, or ``command``, as the build user (through runuser when
    we are root)."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        "LANG": "C",
        "DEB_CACHE": str(cache),
        "TMPDIR": str(src / "build" / "tmp"),
        "HOME": str(src),
    }
    argv = command or ["./scripts/buildstrap"]
    if os.geteuid() == 0:
        env["PYTHON"] = "/usr/bin/python3"
        env["PYTHONPATH"] = str(_pycdlib_path(out))
        envargs = [f"{k}={v}" for k, v in env.items()]
        argv = ["runuser", "-u", BUILD_USER, "--", "env", "-i", *envargs, *argv]
    else:
        env["PYTHON"] = sys.executable
    return argv, env


def write_manifest(src: Path, out: Path) -> Path:
    """Record what went in: every kept Debian package and trimmed source with its sha256."""
    lines = ["# minifix stage-1 build manifest: kept sources (build/tarballs) and packages"]
    tarballs = src / "build" / "tarballs"
    for sums in sorted(tarballs.glob("*/sha256.sums")):
        for line in sums.read_text().splitlines():
            if line.strip():
                lines.append(f"{sums.parent.name}: {line}")
        origin = sums.parent / "ORIGIN"
        if origin.exists():
            lines.append(f"{sums.parent.name}: (trimmed from) {origin.read_text().strip()}")
    for opk in sorted((src / "pkgs").glob("*.opk")):
        digest = hashlib.sha256(opk.read_bytes()).hexdigest()
        lines.append(f"pkgs: {digest}  {opk.name}")
    manifest = out / "manifest.txt"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def build(out: Path, cache: Path | None = None) -> Path:
    """Run stage 1 and return the ISO's path."""
    out = out.resolve()
    cache = (cache or out.parent / "cache" / "debs").resolve()
    src = out / "src"
    out.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    sync_tree(src)
    (src / "build" / "tmp").mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        user = ensure_build_user()
        chown_tree(src, user.pw_uid, user.pw_gid)
        chown_tree(cache, user.pw_uid, user.pw_gid)
    prefetch_debs(src, cache, out)
    argv, env = buildstrap_command(src, cache, out)
    log = out / "buildstrap.log"
    with open(log, "wb") as logf:
        proc = subprocess.Popen(argv, cwd=src, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for line in proc.stdout:
            logf.write(line)
            sys.stdout.write(line.decode(errors="replace"))
            sys.stdout.flush()
        rc = proc.wait()
    if rc != 0:
        raise BuildError(f"scripts/buildstrap failed with rc {rc} (log: {log})")
    images = src / "images"
    # copy, not copy2: is_up_to_date compares the recipe tree with these files' times, and the kernel in the
    # image tree keeps the time of the build that unpacked it
    shutil.copy(images / ISO_NAME, out / ISO_NAME)
    shutil.copy(images / "iso_initrd.gz", out / "iso_initrd.gz")
    shutil.copy(src / "build" / "imagetrees" / "minifix-buildstrap" / "boot" / "vmlinuz", out / "vmlinuz")
    write_manifest(src, out)
    return out / ISO_NAME


def ensure_built(out: Path = DEFAULT_OUT) -> Path:
    """The ISO in out, built first unless it is newer than every file of the recipe tree."""
    if not is_up_to_date(out):
        build(out)
    return out / ISO_NAME


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build minifix's stage-1 ISO on this host.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cache", type=Path, default=None,
                        help="directory caching downloaded .debs (default: <out>/../cache/debs)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        iso = build(args.out, args.cache)
    except (BuildError, subprocess.CalledProcessError, OSError) as exc:
        print(f"minifix: {exc}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    print(f"minifix: {iso} ({iso.stat().st_size / 2**20:.1f} MiB) built in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
