"""Run the collection's guest-side modules ad hoc against an inventory host, the way a user does:
``ansible -i INV HOST -m aloofix.buildstrap.X -a JSON [--check] [--diff]``, and read the JSON result."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, ModuleRun, ansible_env


def _result_re(host: str):
    return re.compile(rf"^{re.escape(host)} \| (\S+)(?: \| rc=-?\d+)? => ", re.MULTILINE)


def run_guest_module(inventory, host: str, module: str, args: dict, check: bool = False,
                     diff: bool = False, timeout: int = 900) -> ModuleRun:
    """The result of ``module`` (a short name of this collection or an FQCN) run on ``host``. With ``diff``,
    the result keeps its ``diff`` key (the ad-hoc callback would print it as text and drop it)."""
    name = module if "." in module else f"aloofix.buildstrap.{module}"
    cmd = [str(Path(sys.executable).parent / "ansible"), "-i", str(inventory), host, "-m", name,
           "-a", json.dumps(args)]
    if check:
        cmd.append("--check")
    if diff:
        cmd += ["--diff", "-vvv"]  # below -vvv the callback drops the result's diff key
    env = ansible_env()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    match = _result_re(host).search(proc.stdout)
    if not match:
        raise AssertionError(f"no module result in ansible's output\n$ {shlex.join(cmd)}\nstdout:\n{proc.stdout}\n"
                             f"stderr:\n{proc.stderr}")
    result, _unused = json.JSONDecoder().raw_decode(proc.stdout[match.end():])
    return ModuleRun(match.group(1), result, proc.stdout, proc.stderr)


def guest_shell(inventory, host: str, line: str, timeout: int = 300) -> str:
    """Run a read-only shell line on the guest (through guest_command) and return its stdout; fail loudly."""
    run = run_guest_module(inventory, host, "guest_command",
                           {"cmd": line, "changes": False, "run_in_check_mode": True}, timeout=timeout)
    assert not run.failed, run.result
    return run["stdout"]


class Guest:
    """One inventory host: ``guest.module("opkg", {...}, check=True)``, ``guest.sh("cat /etc/opkg/opkg.conf")``."""

    def __init__(self, inventory, host: str):
        self.inventory, self.host = inventory, host

    def module(self, module: str, args: dict, check: bool = False, diff: bool = False) -> ModuleRun:
        return run_guest_module(self.inventory, self.host, module, args, check=check, diff=diff)

    def sh(self, line: str) -> str:
        return guest_shell(self.inventory, self.host, line)
