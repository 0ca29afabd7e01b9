"""The one error path of modules and action plugins (module_utils/errors.py): typed errors and stray OSErrors
become a failed result that names the object, with secrets masked; every action plugin goes through it."""

from __future__ import annotations

import errno
import re
import subprocess
import sys

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils import errors
from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import (
    HostFileError, SpecError, WaitTimeout, failure, host_file_error, mask, reported,
)
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest.api import GuestCommandError
from tests.conftest import ROOT

ACTIONS = sorted((ROOT / "plugins" / "action").glob("*.py"))


@pytest.mark.parametrize("exc, secrets, context, expected", [
    (SpecError("disks[0].size", "is too small"), (), "", {"msg": "disks[0].size: is too small"}),
    (WaitTimeout("no login prompt", screen="login:"), (), "",
     {"msg": "no login prompt\n--- last lines of the console ---\nlogin:"}),
    (SpecError("root_password", "s3cret is too short"), ["s3cret"], "",
     {"msg": "root_password: ******** is too short"}),
    (SpecError("name", "bad"), [None, ""], "recipe minifix: ", {"msg": "recipe minifix: name: bad"}),
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "/srv/x.iso"), (), "",
     {"msg": "/srv/x.iso: No such file or directory"}),
    (ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), (), "",
     {"msg": "ConnectionResetError: Connection reset by peer"}),
    (GuestCommandError("echo pw | chpasswd", 1, "pw accepted", "chpasswd: pw rejected"), ["pw"], "",
     {"msg": "'echo ******** | chpasswd' exited with 1: chpasswd: ******** rejected", "rc": 1,
      "stdout": "******** accepted", "stderr": "chpasswd: ******** rejected"}),
])
def test_failure(exc, secrets, context, expected):
    assert failure(exc, secrets, context) == dict(expected, failed=True)


def test_host_file_error_names_the_action_and_the_file():
    exc = PermissionError(errno.EACCES, "Permission denied", "/var/lib/x/accel.json")
    assert str(host_file_error("writing the accelerator cache", exc)) == \
        "writing the accelerator cache (/var/lib/x/accel.json): Permission denied"
    # The file is not named twice when the action already names it.
    assert str(host_file_error("writing /var/lib/x/accel.json", exc)) == \
        "writing /var/lib/x/accel.json: Permission denied"
    assert isinstance(host_file_error("x", exc), errors.BuildstrapError)


def test_mask_walks_results():
    assert mask({"a": ["xx-pw-xx", 3], "b": {"c": "pw"}}, ["pw"]) == \
        {"a": ["xx-********-xx", 3], "b": {"c": "********"}}
    assert mask("nothing secret", []) == "nothing secret"


def test_reported_fails_the_result_once_and_lets_other_errors_through():
    result = {"changed": False}
    with reported(result, ["hunter2"], context="stage1: "):
        raise HostFileError("reading hunter2.txt: denied")
    assert result == {"changed": False, "failed": True, "msg": "stage1: reading ********.txt: denied"}

    result = {}
    with reported(result):
        result["ok"] = True
    assert result == {"ok": True}

    # A programming error is not a user's error: it is not turned into a message.
    with pytest.raises(ZeroDivisionError):
        with reported({}):
            raise ZeroDivisionError("a bug, not a user's error")


@pytest.mark.parametrize("path", ACTIONS, ids=lambda p: p.name)
def test_every_action_plugin_fails_through_the_shared_path(path):
    source = path.read_text()
    assert re.search(r"^from ansible_collections\.aloofix\.buildstrap\.plugins\.module_utils\.errors import "
                     r".*\breported\b", source, re.M), f"{path.name} does not use errors.reported"
    assert "with reported(" in source
    assert not re.search(r"except [^\n]*:\n\s+result\.update\(failed=True", source), \
        f"{path.name} hand-rolls a failure: use errors.reported"
    assert "********" not in source, f"{path.name} masks secrets by hand: pass them to errors.reported / mask"


def test_modules_without_runner_use_failure():
    """Modules that do not go through runner.run() still turn errors into results with errors.failure()."""
    for path in sorted((ROOT / "plugins" / "modules").glob("*.py")):
        source = path.read_text()
        if "def main" not in source or "run(module" in source or "AnsibleModule(" not in source:
            continue
        assert "failure(exc)" in source or "except" not in source, path.name
        assert "exc.to_result()" not in source, f"{path.name}: use errors.failure(exc)"


def test_scaled_lives_apart_from_the_probe():
    """ssh/ and the action plugins scale deadlines without importing the accelerator probe (virt/accel.py)."""
    code = (
        "import sys\n"
        "from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import session, guest\n"
        "from ansible_collections.aloofix.buildstrap.plugins.action import guest_push, guest_fetch, guest_session, "
        "install2hd\n"
        "from ansible_collections.aloofix.buildstrap.plugins.module_utils.pipeline import recipe\n"
        "print(sorted(m for m in sys.modules if m.endswith('virt.accel')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    importers = [p.name for p in (ROOT / "plugins").rglob("*.py")
                 if re.search(r"virt(\.accel import| import accel\b)", p.read_text())]
    assert sorted(importers) == ["recipe.py", "vm.py"], "only the vm module's logic and the recipe action probe"
