"""Every module and role documents itself from the plain checkout (ansible-doc, argument specs vs defaults)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, ansible_env

MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if not p.stem.startswith("_"))
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks" / "main.yml").exists())


def test_ansible_doc_renders_every_module():
    names = [f"aloofix.buildstrap.{m}" for m in MODULES]
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "--json", *names], cwd=ROOT,
                          env=ansible_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    docs = json.loads(proc.stdout)
    for name in names:
        doc = docs[name]["doc"]
        assert doc["short_description"] and doc["description"], name
        assert docs[name]["examples"].strip(), f"{name} has no examples"
        for option, spec in (doc.get("options") or {}).items():
            assert spec.get("description"), f"{name}: option {option} has no description"


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
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
