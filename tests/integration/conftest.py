from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
        text = f"plugin: aloofix.buildstrap.instances\nimages_dir: {pipeline.images}\n"
        if not self.inventory.exists() or self.inventory.read_text() != text:  # the other line may be reading it
            self.inventory.write_text(text)

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


def _pipeline_in_session(session) -> bool:
    from tests.conftest import line_of_work

    return any(line_of_work(item.nodeid) == "pipeline" for item in session.items)


@pytest.fixture(scope="session")
def server(request):
    """The build server for tests that only work on it (tests/conftest.py SERVER_FILES): in the other line of
    work, the one the pipeline's line publishes (tests/integration/handoff.py); otherwise the ``buildserver``
    fixture's (in the pipeline's line, or a session of these tests alone, which makes its own pipeline)."""
    from tests.conftest import server_handed_over
    from tests.integration import handoff
    from tests.integration.pipeline import Pipeline

    if not (server_handed_over() and _pipeline_in_session(request.session)) \
            or os.environ.get("BUILDSTRAP_TEST_REUSE_PIPELINE"):
        return request.getfixturevalue("buildserver")
    info = handoff.wait_ready()
    return BuildServer(Pipeline(Path(info["workdir"]), info["vm_name"]), None, None)


@pytest.fixture(scope="module", autouse=True)
def server_handed_back(request):
    """When a module of SERVER_FILES ends (pass or fail, even if its ``server`` never came), the pipeline's line
    may go on with what destroys the server (the fault suite)."""
    from tests.conftest import SERVER_FILES, server_handed_over
    from tests.integration import handoff

    yield
    path = request.node.nodeid.split("::", 1)[0]
    if server_handed_over() and path in SERVER_FILES:
        handoff.done(Path(path).stem)


def wait_for_server_tests(session, pipeline) -> None:
    """Before the build server is destroyed: publish it (when nothing did yet) and wait until the other line's
    tests of it are done."""
    from tests.conftest import SERVER_FILES, line_of_work, server_handed_over
    from tests.integration import handoff

    modules = sorted({Path(item.nodeid.split("::", 1)[0]).stem for item in session.items
                      if item.nodeid.split("::", 1)[0] in SERVER_FILES and line_of_work(item.nodeid) == "rest"})
    if not (server_handed_over() and modules):
        return
    handoff.publish(pipeline)
    missing = handoff.wait_done(modules)
    assert not missing, f"the other line did not finish {', '.join(missing)} on the build server in time"
