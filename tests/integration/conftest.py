from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, ansible_env


@pytest.fixture(scope="session")
def minifix_iso():
    """minifix's stage-1 ISO, built offline from Debian packages by its own scripts/buildstrap (reused while the
    recipe tree is unchanged)."""
    from tests.integration.minifix.conftest import minifix_images

    return minifix_images().iso


def run_playbook(playbook, extra_vars: dict, secrets_file=None, timeout: int = 1800, options=()):
    """ansible-playbook from the checkout (``options``: more of its options, e.g. --check); returns
    (rc, combined output)."""
    cmd = [str(ROOT / ".venv" / "bin" / "ansible-playbook") if (ROOT / ".venv").exists()
           else os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(playbook), *options]
    for key, value in extra_vars.items():
        cmd += ["-e", f"{key}={value}"]
    if secrets_file:
        cmd += ["-e", f"@{secrets_file}"]
    env = ansible_env()
    env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "yaml"
    if "buildstrap_run_dir" in extra_vars:  # the timeline callback writes there too, not into the checkout
        env["BUILDSTRAP_RUN_DIR"] = str(extra_vars["buildstrap_run_dir"])
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout + proc.stderr


class BuildServer:
    """The session's build server: the native instance after playbooks/buildserver.yml --minimal."""

    def __init__(self, pipeline, first_run, check_run):
        self.pipeline, self.first_run, self.check_run = pipeline, first_run, check_run
        self.instance = pipeline.instance()
        self.host = self.instance["name"]
        info = json.loads((pipeline.state / "buildserver.json").read_text())
        self.feed_name = info["feed_name"]
        self.feed_url_host = info["feed_url"]            # the controller's, through the 127.0.0.1 forward
        self.feed_url_guests = info["feed_url_guests"]   # other guests', through SLIRP's gateway
        self.feed_url = "http://127.0.0.1/" + self.feed_name  # the server's own, on its port 80
        self.inventory = pipeline.workdir / "instances.buildstrap.yml"
        self.inventory.write_text(f"plugin: aloofix.buildstrap.instances\nimages_dir: {pipeline.images}\n")

    def run(self, label, *extra, timeout=2400):
        return self.pipeline.run(label, "-e", "buildstrap_buildserver_options=--minimal", *extra,
                                 playbook="buildserver.yml", timeout=timeout)

    def ssh(self, command: str, timeout: float = 120) -> tuple[int, str, str]:
        from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import client as ssh

        inst = self.instance
        with ssh.connect("127.0.0.1", inst["ansible_port"], "root", inst["ansible_ssh_private_key_file"],
                         inst["known_hosts"], profile=inst["ssh_profile"]) as client:
            return ssh.run(client, ssh.explicit_path(command), timeout=timeout)


@pytest.fixture(scope="session")
def buildserver(native_pipeline):
    """playbooks/buildserver.yml (make-buildserver --minimal) on the session's native instance, once."""
    pipeline, first = native_pipeline
    assert first["rc"] == 0, "the session's buildstrap pipeline failed:\n" + first["output"][-3000:]
    checked = pipeline.run("buildserver-check", "-e", "buildstrap_buildserver_options=--minimal", "--check",
                           "--diff", playbook="buildserver.yml")
    run = pipeline.run("buildserver", "-e", "buildstrap_buildserver_options=--minimal", playbook="buildserver.yml")
    assert run["rc"] == 0, run["output"][-5000:]
    return BuildServer(pipeline, run, checked)
