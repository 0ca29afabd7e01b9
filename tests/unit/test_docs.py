"""Every module and role documents itself from the plain checkout (ansible-doc, argument specs vs defaults)."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import yaml
from ansible.module_utils.basic import AnsibleModule
from ansible.plugins.action import ActionBase

from tests.conftest import ROOT, ansible_env

MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if not p.stem.startswith("_"))
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks" / "main.yml").exists())


@pytest.fixture(scope="module")
def docs() -> dict:
    """What ansible-doc renders for every module, doc fragments merged in."""
    names = [f"aloofix.buildstrap.{m}" for m in MODULES]
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "--json", *names], cwd=ROOT,
                          env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_ansible_doc_renders_every_module(docs):
    names = [f"aloofix.buildstrap.{m}" for m in MODULES]
    for name in names:
        doc = docs[name]["doc"]
        assert doc["short_description"] and doc["description"], name
        assert docs[name]["examples"].strip(), f"{name} has no examples"
        for option, spec in (doc.get("options") or {}).items():
            assert spec.get("description"), f"{name}: option {option} has no description"


class _Captured(Exception):
    def __init__(self, argument_spec):
        super().__init__("argument spec captured")
        self.argument_spec = argument_spec


def _capture(_self, argument_spec=None, **_kwargs):
    raise _Captured(argument_spec)


def argument_spec(name: str) -> dict:
    """The argument spec ``name`` really validates: the action plugin's when there is one (it runs instead of the
    module file), else the module's AnsibleModule. Captured where it is handed over, so that specs built by
    helpers (virt/args.py) count too."""
    if (ROOT / "plugins" / "action" / f"{name}.py").exists():
        action = importlib.import_module(f"ansible_collections.aloofix.buildstrap.plugins.action.{name}")
        plugin = action.ActionModule(*(mock.MagicMock() for _unused in range(6)))
        with mock.patch.object(ActionBase, "run", return_value={}), \
                mock.patch.object(ActionBase, "validate_argument_spec", _capture), \
                pytest.raises(_Captured) as captured:
            plugin.run(task_vars={})
    else:
        module = importlib.import_module(f"ansible_collections.aloofix.buildstrap.plugins.modules.{name}")
        with mock.patch.object(AnsibleModule, "__init__", _capture), pytest.raises(_Captured) as captured:
            module.main()
    return captured.value.argument_spec


# Options that carry a secret must be no_log in the spec (ansible-test's validate-modules guesses the same way).
_SECRET = re.compile(r"pass(word|phrase)?$|secret|token|private_key_content", re.IGNORECASE)


def _compare(where: str, documented: dict, spec: dict) -> list[str]:
    """Every disagreement between documented options and an argument spec, suboptions included."""
    problems = []
    if set(documented) != set(spec):
        problems.append(f"{where}: documented only {sorted(set(documented) - set(spec))}, "
                        f"in the spec only {sorted(set(spec) - set(documented))}")
    for option in sorted(set(documented) & set(spec)):
        doc, arg, at = documented[option], spec[option], f"{where}.{option}"
        doc_type, arg_type = doc.get("type", "str"), arg.get("type", "str")
        if doc_type != arg_type:
            problems.append(f"{at}: type {doc_type!r} documented, {arg_type!r} in the spec")
        if bool(doc.get("required")) != bool(arg.get("required")):
            problems.append(f"{at}: required={bool(doc.get('required'))} documented, "
                            f"{bool(arg.get('required'))} in the spec")
        for key in ("default", "choices", "elements"):
            if doc.get(key) != arg.get(key):
                problems.append(f"{at}: {key} {doc.get(key)!r} documented, {arg.get(key)!r} in the spec")
        if sorted(doc.get("aliases") or []) != sorted(arg.get("aliases") or []):
            problems.append(f"{at}: aliases {doc.get('aliases')!r} documented, {arg.get('aliases')!r} in the spec")
        if _SECRET.search(option) and not arg.get("no_log"):
            problems.append(f"{at}: carries a secret but is not no_log")
        if doc.get("suboptions") or arg.get("options"):
            problems += _compare(at, doc.get("suboptions") or {}, arg.get("options") or {})
    return problems


@pytest.mark.parametrize("name", MODULES)
def test_documented_options_match_the_argument_spec(name, docs):
    documented = docs[f"aloofix.buildstrap.{name}"]["doc"].get("options") or {}
    problems = _compare(name, documented, argument_spec(name))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_role_argument_specs_cover_every_default(role):
    defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text()) or {}
    specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    assert set(defaults) <= set(options), f"undocumented defaults: {set(defaults) - set(options)}"
    assert all(name.startswith(role + "_") for name in options), "public role variables are <role>_*"
    assert (ROOT / "roles" / role / "tasks" / "preflight.yml").exists()


@pytest.mark.parametrize("playbook", sorted(p.name for p in (ROOT / "playbooks").glob("*.yml")))
def test_playbooks_parse(playbook):
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "--syntax-check",
                           str(ROOT / "playbooks" / playbook)], cwd=ROOT, env=ansible_env(),
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
