#!/usr/bin/env python3
"""Figures for playbooks/buildstrap.yml on minifix (TCG), from the runs' own timelines:

1. from zero: wall time per stage, guest work (a command running in a guest, or a guest booting) and the
   pipeline's overhead (everything else);
2. the cached rerun at once;
3. the resume after a failure injected in the last stage (the VM killed during the second install2hd).

    .venv/bin/python bench/pipeline.py
Uses its own images directory and VM name, and removes both at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api  # noqa: E402
from scripts.cleanup import cleanup  # noqa: E402

VM = "bsbench-pipeline"


def run_playbook(name: str, run_dir: Path, label: str, *args, background=False):
    """ansible-playbook playbooks/<name> with its timeline in run_dir: (wall seconds, timeline), or the process."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), BUILDSTRAP_RUN_DIR=str(run_dir))
    cmd = [str(ROOT / ".venv" / "bin" / "ansible-playbook"), f"playbooks/{name}", *args]
    if background:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), run_dir
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stdout[-3000:])
        raise SystemExit(f"{label}: ansible-playbook failed")
    return time.monotonic() - started, json.loads((run_dir / "timeline.json").read_text())


def playbook(work: Path, label: str, *extra, background=False):
    return run_playbook("buildstrap.yml", work / label, label, "-e", f"buildstrap_images_dir={work}/images",
                        "-e", f"buildstrap_vm_name={VM}", *extra, background=background)


def show(label: str, wall: float, timeline: dict) -> None:
    print(f"-- {label}: {wall:.1f} s wall, {timeline['guest_work_seconds']:.1f} s guest work, "
          f"{timeline['overhead_seconds']:.1f} s pipeline overhead "
          f"({100 * timeline['overhead_seconds'] / max(timeline['seconds'], 1e-9):.0f} %)")
    for stage in timeline["stages"]:
        state = "cached" if stage["cached"] else stage["status"]
        print(f"   {stage['name'][:60]:<61}{stage['seconds']:>8.1f} s  {state}")
        for task in stage["tasks"]:  # where a stage's time goes: every task of 2 s or more
            seconds = (task["end"] or task["start"]) - task["start"]
            if seconds >= 2:
                print(f"      {task['name'][:57]:<58}{seconds:>8.1f} s")


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bsbench-pipeline-", dir=ROOT / "images"))
    os.chmod(work, 0o755)
    try:
        wall, zero = playbook(work, "zero")
        show("from zero", wall, zero)
        wall_cached, cached = playbook(work, "cached")
        show("cached rerun", wall_cached, cached)
        print(f"   cached rerun = {100 * wall_cached / wall:.1f} % of the first run")

        proc, run_dir = playbook(work, "killed", "-e", "buildstrap_force=install2", background=True)
        transcript = run_dir / "install2.install2hd" / "install2hd.transcript.log"
        while proc.poll() is None:
            if transcript.exists() and "-> packages" in transcript.read_text(errors="replace"):
                with api.connection() as conn:
                    api.destroy_domain(api.lookup_domain(conn, VM))
                break
            time.sleep(0.5)
        proc.wait()
        print(f"-- failure injected: VM killed during the second install2hd (run exited {proc.returncode})")
        wall_resume, resumed = playbook(work, "resumed")
        show("resume after the failure", wall_resume, resumed)
        print(f"   resume = {100 * wall_resume / wall:.1f} % of a run from zero")
    finally:
        cleanup("qemu:///system", VM)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
