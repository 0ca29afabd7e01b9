#!/usr/bin/env python3
"""Figures for playbooks/buildserver.yml on a native minifix instance (TCG), from the runs' own timelines:

1. the build server made (every stage forced): wall time per stage, guest work and the pipeline's overhead;
2. the cached rerun at once (nothing changes, nothing boots);
3. the package counts make-buildserver left in the feed, and the feed's figures (bench/feed.py).

    .venv/bin/python bench/buildserver.py [--images-dir images] [--options=--minimal|--buildall]
Needs a native instance (make demo, or playbooks/buildstrap.yml) in that images directory; it leaves it a
build server.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pipeline import run_playbook, show  # noqa: E402


def playbook(images: Path, label: str, *extra):
    run_dir = ROOT / "logs" / f"bench-buildserver-{time.strftime('%Y%m%d-%H%M%S')}-{label}"
    return run_playbook("buildserver.yml", run_dir, label, "-e", f"buildstrap_images_dir={images}", *extra)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images-dir", type=Path, default=ROOT / "images")
    parser.add_argument("--recipe", default="minifix")
    parser.add_argument("--options", default="", help="make-buildserver's options instead of the recipe's")
    args = parser.parse_args()
    images = args.images_dir.resolve()
    state = images / args.recipe / "state"
    if not (state / "instance.json").exists():
        print(f"skipped: no native instance in {state} (run make demo or playbooks/buildstrap.yml first)")
        return 0
    extra = ["-e", f"buildstrap_buildserver_options={args.options}"] if args.options else []
    wall, made = playbook(images, "made", "-e", "buildstrap_force=make_buildserver", *extra)
    show("build server made (every stage run)", wall, made)
    wall_cached, cached = playbook(images, "cached", *extra)
    show("cached rerun", wall_cached, cached)
    print(f"   cached rerun = {100 * wall_cached / wall:.1f} % of the first run")
    host = json.loads((state / "instance.json").read_text())["name"]
    manifests = images / args.recipe / "manifests" / "buildserver" / host
    make = json.loads((manifests / "make_buildserver.json").read_text())
    verify = json.loads((manifests / "verify.json").read_text())
    print(f"-- make-buildserver {' '.join(make['options']) or '(no option)'}: {make['packages']} packages in the "
          f"tree, {verify['packages_count']} in the feed ({verify['bytes'] / 1e6:.1f} MB), "
          f"{make['progress_total']} built, {make['guest_seconds']:.0f} s in the guest")
    subprocess.run([sys.executable, str(ROOT / "bench" / "feed.py"), "--images-dir", str(images),
                    "--recipe", args.recipe], cwd=ROOT, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
