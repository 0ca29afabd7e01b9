"""Action plugins fail through errors.reported: a message that names what failed, secrets masked, no traceback.
The guest is a recorded answer of its connection (_low_level_execute_command), nothing else is faked."""

from __future__ import annotations

import importlib
from unittest import mock

from ansible.plugins.action import ActionBase

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import install2hd as i2h
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import session


def run_action(name: str, args: dict, answer: dict | None = None, check_mode: bool = False, task_vars=None):
    """Run action plugin ``name`` with ``args`` (as validated) against a guest that answers ``answer``."""
    action = importlib.import_module(f"ansible_collections.aloofix.buildstrap.plugins.action.{name}")
    task = mock.MagicMock(check_mode=check_mode, diff=False)
    plugin = action.ActionModule(task, *(mock.MagicMock() for _unused in range(5)))
    spec = getattr(action, "ARGS", {})
    full = {key: value.get("default") for key, value in spec.items()}
    full.update(args)
    plugin._low_level_execute_command = lambda cmd, sudoable=False, in_data=None: dict(answer or {})
    plugin._templar.template = lambda value: value
    with mock.patch.object(ActionBase, "run", return_value={}), \
            mock.patch.object(ActionBase, "validate_argument_spec", return_value=(None, full)):
        return plugin.run(task_vars=task_vars or {})


def test_guest_command_failure_names_the_command():
    result = run_action("guest_command", {"cmd": ["false"]}, {"rc": 3, "stdout": "", "stderr": "boom\n"})
    assert result["failed"] is True and result["rc"] == 3 and result["stderr"] == "boom\n"
    assert result["msg"].endswith("exited with 3: boom") and "false" in result["msg"]


def test_guest_command_accepted_rc_is_not_a_failure():
    result = run_action("guest_command", {"cmd": ["grep", "x"], "ok_rc": [0, 1]},
                        {"rc": 1, "stdout": "", "stderr": ""})
    assert result["failed"] is False and result["rc"] == 1


def test_guest_facts_cut_short():
    result = run_action("guest_facts", {}, {"rc": 0, "stdout": "@@hostname\nweb1\n", "stderr": ""})
    assert result["failed"] is True and "ansible_facts" not in result
    assert result["msg"].startswith("'gathering guest facts (output cut short)' exited with 0")


def test_install2hd_masks_the_root_password():
    def refuse(args):
        raise SpecError("root_password", f"{args['root_password']!r} is refused by the guest")

    with mock.patch.object(i2h, "validate", refuse):
        result = run_action("install2hd", {"root_password": "Sup3r-secret"}, task_vars={"buildstrap_run_dir": "/x"})
    assert result == {"failed": True, "msg": "root_password: '********' is refused by the guest"}


def test_guest_session_masks_its_secrets():
    def unreachable(_task_vars, _template):
        raise OSError(113, "No route to host, said hunter2")

    with mock.patch.object(session, "connection_params", unreachable):
        result = run_action("guest_session", {"command": "passwd", "secrets": {"pw": "hunter2"}},
                            task_vars={"inventory_hostname": "web1"})
    assert result["failed"] is True and result["msg"] == "OSError: No route to host, said ********"


def test_recipe_errors_name_the_recipe_and_the_file(tmp_path):
    result = run_action("recipe", {"name": "nothere", "home": str(tmp_path), "images_dir": str(tmp_path / "images")})
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"] == (f"recipe nothere: listing the recipes in {tmp_path}/recipes: "
                             "No such file or directory")
