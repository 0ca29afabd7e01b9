"""Running the project's playbooks as a user does (ansible-playbook from the checkout, one run directory per run)
and reading what they leave: the per-stage timeline and the stage manifests."""

from __future__ import annotations

import json
import subprocess
import time

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api
from tests.conftest import ROOT, ansible_env

ANSIBLE_PLAYBOOK = str(ROOT / ".venv" / "bin" / "ansible-playbook")
STAGES = ["stage1", "install1", "native", "install2"]
BUILDSERVER_STAGES = ["makebuildserver", "httpd", "feed", "push", "verify"]


class Pipeline:
    """buildstrap.yml and buildserver.yml on one recipe's images directory and VM name."""

    def __init__(self, workdir, vm_name, recipe="minifix"):
        self.workdir, self.vm_name, self.recipe = workdir, vm_name, recipe
        self.images = workdir / "images"
        self.runs = 0

    def command(self, *extra, playbook="buildstrap.yml"):
        return [ANSIBLE_PLAYBOOK, str(ROOT / "playbooks" / playbook), "-e", f"buildstrap_images_dir={self.images}",
                "-e", f"buildstrap_vm_name={self.vm_name}", *extra]

    def env(self, label):
        self.runs += 1
        run_dir = self.workdir / f"run{self.runs}-{label}"
        env = ansible_env()
        env["BUILDSTRAP_RUN_DIR"] = str(run_dir)
        env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "yaml"
        return env, run_dir

    def run(self, label, *extra, playbook="buildstrap.yml", timeout=2400):
        env, run_dir = self.env(label)
        started = time.monotonic()
        proc = subprocess.run(self.command(*extra, playbook=playbook), cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=timeout, check=False)
        if run_dir.is_dir():  # the whole output next to the run's timeline, for whoever reads a failure
            (run_dir / "ansible-playbook.log").write_text(proc.stdout + proc.stderr)
        return {"rc": proc.returncode, "output": proc.stdout + proc.stderr, "dir": run_dir,
                "seconds": time.monotonic() - started, "timeline": timeline(run_dir)}

    @property
    def state(self):
        return self.images / self.recipe / "state"

    @property
    def manifests(self):
        return self.images / self.recipe / "manifests"

    def instance(self) -> dict:
        return json.loads((self.state / "instance.json").read_text())


def timeline(run_dir):
    path = run_dir / "timeline.json"
    return json.loads(path.read_text()) if path.exists() else None


def stage_status(timeline_data):
    """{stage name prefix: 'cached' | 'ok' | 'failed'} of the plays of each stage."""
    plays = {}
    for stage in timeline_data["stages"]:
        key = stage["name"].split(" - ")[0].lower().replace(" ", "")
        plays.setdefault(key, []).append(stage)
    return {key: "failed" if any(p["status"] == "failed" for p in group)
            else "cached" if any(p["cached"] for p in group) else "ok" for key, group in plays.items()}


def changed_tasks(output: str) -> int:
    """The sum of changed= over the PLAY RECAP's hosts."""
    return sum(int(n) for n in __import__("re").findall(r"\schanged=(\d+)", output.split("PLAY RECAP")[-1]))


def domain_id(name):
    with api.connection() as conn:
        dom = api.lookup_domain(conn, name)
        return None if dom is None else (dom.ID(), api.domain_state(dom))
