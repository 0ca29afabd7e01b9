"""The guest action plugins validate exactly the options their module files document (name, type, default,
choices, aliases), so ansible-doc never drifts from what the plugin accepts."""

from __future__ import annotations

import importlib

import pytest
import yaml


@pytest.mark.parametrize("name", ["svadmin", "opkg", "opkg_feed", "guest_file", "guest_group", "guest_user"])
def test_documented_options_are_the_validated_ones(name):
    action = importlib.import_module(f"ansible_collections.aloofix.buildstrap.plugins.action.{name}")
    module = importlib.import_module(f"ansible_collections.aloofix.buildstrap.plugins.modules.{name}")
    options = yaml.safe_load(module.DOCUMENTATION)["options"]
    assert set(options) == set(action.ARGS)
    for option, spec in action.ARGS.items():
        doc = options[option]
        for key in ("type", "default", "choices", "elements", "aliases"):
            assert doc.get(key) == spec.get(key), f"{name}.{option}: {key}"
        assert bool(doc.get("required")) == bool(spec.get("required")), f"{name}.{option}: required"
