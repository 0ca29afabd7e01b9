"""Print minifix's stage-1 build time and ISO size (no assertions).

    .venv/bin/python bench/minifix_build.py [--cold]

--cold moves the .deb cache and the build tree aside first, so apt-get downloads everything again
(needs the Debian mirror); without it the run is a warm rebuild from the cache.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "images" / "minifix"
CACHE = ROOT / "images" / "cache" / "debs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="start without the .deb cache and build tree")
    args = parser.parse_args()
    if args.cold:
        shutil.rmtree(OUT / "src", ignore_errors=True)
        shutil.rmtree(CACHE, ignore_errors=True)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "recipes.minifix.build", "--out", str(OUT)], cwd=ROOT,
                          capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:], sep="\n")
        print(f"minifix build FAILED after {elapsed:.1f} s")
        return 1
    iso = OUT / "minifix-buildstrap.iso"
    initrd = OUT / "iso_initrd.gz"
    print(f"minifix stage-1 build ({'cold' if args.cold else 'warm'}): {elapsed:.1f} s")
    print(f"minifix-buildstrap.iso: {iso.stat().st_size / 2**20:.1f} MiB ({iso.stat().st_size} bytes)")
    print(f"iso_initrd.gz: {initrd.stat().st_size / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
