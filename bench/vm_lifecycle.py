#!/usr/bin/env python3
"""Figures for the libvirt layer: define, start, boot to first console output, teardown (hello guest, TCG).

    .venv/bin/python bench/vm_lifecycle.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import accel, api, vm  # noqa: E402
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.console import ConsoleSession  # noqa: E402


def one_run(name: str, volume: str) -> dict:
    args = {"name": name, "accel": "tcg", "memory": 32, "state": "present",
            "disks": [{"volume": volume, "format": "raw", "bus": "ide"}], "metadata": {"pipeline": "bench"}}
    t0 = time.monotonic()
    vm.ensure(args)
    t1 = time.monotonic()
    with api.connection() as conn:
        dom = api.lookup_domain(conn, name)
        api.start_domain(dom)
        t2 = time.monotonic()
        with ConsoleSession(conn, dom) as console:
            console.expect("BENCH-HELLO", 30)
        t3 = time.monotonic()
    vm.ensure({"name": name, "state": "absent"})
    t4 = time.monotonic()
    return {"define": t1 - t0, "start": t2 - t1, "console_output": t3 - t2, "teardown": t4 - t3}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    name, volume = "bsbench-hello", "bsbench-hello.img"
    with api.connection() as conn:
        pool = api.ensure_pool(conn)
        with tempfile.NamedTemporaryFile(suffix=".img") as img:
            img.write(accel.hello_sector("BENCH-HELLO").ljust(1 << 20, b"\0"))
            img.flush()
            vol = api.lookup_volume(pool, volume) or api.create_volume(pool, api.volume_xml(volume, 1 << 20, "raw"))
            api.upload_volume(conn, vol, img.name)
        t = time.monotonic()
        probe = accel.probe(conn, "x86_64")
        probe_s = time.monotonic() - t
    try:
        runs = [one_run(name, volume) for _ in range(args.runs)]
    finally:
        vm.ensure({"name": name, "state": "absent"})
        with api.connection() as conn:
            api.delete_volume(api.lookup_volume(api.lookup_pool(conn, "buildstrap"), volume))
    print(f"accelerator probe: {probe_s:.2f} s in all; TCG guest printed after {probe['tcg_seconds']} s, "
          f"KVM guest after {probe['kvm_seconds']} s -> {probe['accel']}")
    print(f"{'step':<16}{'median s':>10}{'min s':>10}{'max s':>10}   ({args.runs} runs, TCG, 32 MiB hello guest)")
    for key in ("define", "start", "console_output", "teardown"):
        values = [r[key] for r in runs]
        print(f"{key:<16}{statistics.median(values):>10.3f}{min(values):>10.3f}{max(values):>10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
