#!/usr/bin/env python3
"""Figures for unattended installs on minifix (TCG): remaster, ISO boot -> SSH ready, install2hd and its steps,
reboot -> SSH ready, and the readiness latency (sshd listening -> first command run).

    .venv/bin/python bench/install_flow.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.cleanup import cleanup  # noqa: E402


def main() -> int:
    iso = ROOT / "images" / "minifix" / "minifix-buildstrap.iso"
    t = time.monotonic()
    subprocess.run([sys.executable, "-m", "recipes.minifix.build", "--out", str(iso.parent)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    build_s = time.monotonic() - t
    work = Path(tempfile.mkdtemp(prefix="bsbench-", dir=ROOT / "images"))
    secrets = work / "secrets.yml"
    secrets.write_text("disk_install_root_password: bench-only-password\n")
    os.chmod(secrets, 0o600)
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    cmd = [str(ROOT / ".venv" / "bin" / "ansible-playbook"), "tests/integration/playbooks/install_flow.yml",
           "-e", "test_vm=bsbench-flow", "-e", f"test_iso={iso}", "-e", f"test_dir={work}",
           "-e", f"buildstrap_run_dir={work}/run", "-e", f"buildstrap_state_dir={work}/state", "-e", f"@{secrets}"]
    t = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        total = time.monotonic() - t
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-2000:])
            return 1
        result = json.loads((work / "run" / "result.json").read_text())
    finally:
        cleanup("qemu:///system", "bsbench-flow")
    installed, reach, live = result["installed"], result["reachable"], result["live_boot"]
    print(f"stage-1 minifix ISO build (this run): {build_s:.1f} s, ISO {iso.stat().st_size / 2**20:.1f} MiB")
    print(f"whole playbook (remaster, boot, install2hd, reboot, SSH): {total:.1f} s")
    print(f"remaster: {live['remaster_seconds']:.2f} s; ISO boot -> dropbear up and host keys on the console: "
          f"{live['hostkey']['waited']:.1f} s; -> first SSH command: "
          f"{live['hostkey']['waited'] + live['reachable']['timings']['first_command']:.1f} s")
    print(f"install2hd: {installed['seconds']:.1f} s; steps: "
          + ", ".join(f"{s['step']} {s['seconds']:.1f}" for s in installed["steps"]))
    print(f"reboot -> disk login prompt: {reach['timings']['login_prompt']:.1f} s, -> first SSH command: "
          f"{reach['timings']['first_command']:.1f} s (from the start of the wait)")
    print(f"readiness latency (connected -> command done): {reach['timings']['command_latency'] * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
