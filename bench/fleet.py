#!/usr/bin/env python3
"""Figures for playbooks/clients.yml (TCG): provisioning time for 1 client and for 4 clients in one run, their
ratio (the goal on a 2-core machine: 4 clients in at most 2.2 times the time of 1), the time per role, a
rerun that changes nothing, and the 4 clients on one hypervisor against the same 4 spread over the two of
inventory/fleet (qemu:///system and the second hypervisor, buildstrap-hv's session over qemu+ssh).

    .venv/bin/python bench/fleet.py [--images-dir images]
Needs a build server whose feed has every recipe (make demo, i.e. buildserver.yml --buildall) in that images
directory. It makes throwaway fleets (bench1-*, bench4-*) from inventory/fleet and removes them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pipeline import run_playbook  # noqa: E402


def clients(images: Path, fleet: str, label: str, *extra):
    run_dir = ROOT / "logs" / f"bench-fleet-{time.strftime('%Y%m%d-%H%M%S')}-{label}"
    wall, timeline = run_playbook("clients.yml", run_dir, label, "-i", str(ROOT / "inventory" / "fleet"),
                                  "-e", f"buildstrap_images_dir={images}", "-e", f"fleet_name={fleet}",
                                  "-e", "fleet_port_base=31000", *extra)
    report = json.loads((run_dir / "resources.json").read_text())
    return wall, timeline, report


def remove(prefix: str) -> None:
    from tests.conftest import remove_test_objects

    remove_test_objects(match=lambda name: name.startswith(prefix + "-"))


def roles(report: dict) -> str:
    lines = []
    for host, entry in sorted(report["hosts"].items()):
        top = sorted(entry["roles"].items(), key=lambda i: -i[1])
        lines.append(f"   {host:<8}" + ", ".join(f"{r} {s:.1f} s" for r, s in top))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images-dir", type=Path, default=ROOT / "images")
    parser.add_argument("--recipe", default="minifix")
    args = parser.parse_args()
    images = args.images_dir.resolve()
    state = images / args.recipe / "state"
    if not (state / "buildserver.json").exists():
        print(f"skipped: no build server in {state} (run make demo first)")
        return 0
    results = {}
    # (label, --limit, extra variables): one client; the four on hv1 only; the four as placed (hv1 and hv2)
    cases = (("1-client", "web1", ()), ("4-clients-one-hypervisor", "all", ("-e", "client_hypervisor=hv1")),
             ("4-clients-two-hypervisors", "all", ()))
    for label, limit, extra in cases:
        fleet = f"bench-{label.split('-')[0]}"
        remove(fleet)
        try:
            wall, timeline, report = clients(images, fleet, label, "--limit", f"{limit},localhost", *extra)
            results[label] = wall
            print(f"-- {label}, from nothing: {wall:.1f} s wall, {timeline['guest_work_seconds']:.1f} s "
                  f"guest work, {timeline['overhead_seconds']:.1f} s overhead")
            print("   time per role (the slowest first):")
            print(roles(report))
            if label == "4-clients-two-hypervisors":
                wall2, _, report2 = clients(images, fleet, "4-clients-again")
                changed = sum(len(e["changed"]) for e in report2["hosts"].values())
                print(f"-- rerun of the 4 clients: {wall2:.1f} s wall, {changed} resources changed")
        finally:
            remove(fleet)
    ratio = results["4-clients-one-hypervisor"] / results["1-client"]
    print(f"-- 4 clients / 1 client (one hypervisor) = {ratio:.2f} (goal <= 2.2 on 2 cores: "
          f"{'met' if ratio <= 2.2 else 'not met'})")
    two = results["4-clients-two-hypervisors"] / results["4-clients-one-hypervisor"]
    print(f"-- 4 clients on two hypervisors / on one = {two:.2f} (both share this machine's 2 cores; the second "
          "adds the base copy and SSH through qemu+ssh)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
