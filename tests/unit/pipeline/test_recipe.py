"""Recipe validation (table-driven) and the two shipped recipes, checked against upstream Aloofix's interfaces."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.pipeline.recipe import (
    STAGES, baseline_timeouts, validate,
)
from tests.conftest import ROOT


def load(name):
    return yaml.safe_load((ROOT / "recipes" / f"{name}.yml").read_text())


@pytest.mark.parametrize("name", ["minifix", "aloofix-0.9"])
def test_shipped_recipes_are_valid(name):
    recipe = validate(load(name))
    assert recipe["stages"] == list(STAGES)
    assert set(recipe["timeouts"]) == {"boot", "install", "native", "stage1"}


def test_aloofix_recipe_matches_upstream():
    """Commands, prompts, paths and hardware as aloofschipperke/aloofix 0.9 and docs/buildstrapping.txt have them."""
    recipe = validate(load("aloofix-0.9"))
    assert recipe["stage1"]["command"] == ["./scripts/buildstrap"] and recipe["stage1"]["user"] != "root"
    assert recipe["stage1"]["iso"] == "{tree}/images/aloofix-buildstrap.iso"
    assert {"mkdir": "specs/pkgs/busybox/etc/sv/default"} in recipe["stage1"]["fixes"]
    assert (recipe["vm"]["arch"], recipe["vm"]["machine"], recipe["vm"]["cpu"]) == ("i686", "pc", "kvm32")
    assert recipe["vm"]["cdrom_bus"] == "ide" and recipe["vm"]["disk_size"] == "12G"
    assert recipe["iso"]["default_entry"] == "cd"  # "Boot from CD-ROM"
    assert recipe["install"]["command"] == "install2hd"
    assert re.fullmatch(recipe["install"]["login_prompt"], "host525400a1b2c3 login:")
    native = recipe["native"]
    assert (native["tree"], native["user"], native["command"]) == ("/usr/src/aloofix-0.9", "build",
                                                                  "./scripts/buildstrap")
    assert native["set_build_password"] is True
    assert native["prompts"] == [{"expect": "^Password: ?$", "secret": "root_password"}]
    assert re.search(native["success"], "Finished: Sat Jun  8 12:00:00 UTC 2013", re.M)
    assert any(re.search(p, "building gcc failed") for p in native["failure"])
    assert re.search(native["progress"]["regex"], "Building aloofix-src package", re.M)
    assert native["iso"] == "images/aloofix-buildstrap.iso"
    assert recipe["timeouts"]["native"]["tcg"] > recipe["timeouts"]["native"]["kvm"]


def _with(change):
    data = copy.deepcopy(load("minifix"))
    change(data)
    return data


@pytest.mark.parametrize("change, field, hint", [
    (lambda d: d.pop("vm"), "vm", "is required"),
    (lambda d: d.update(schema=2), "schema", "use 1"),
    (lambda d: d.update(colour="red"), "colour", "is not a recipe key"),
    (lambda d: d["vm"].update(memory="lots"), "vm.memory", "is not a whole number"),
    (lambda d: d["vm"].update(arch="arm"), "vm.arch", "i686, x86_64"),
    (lambda d: d["vm"].update(cdrom_bus="usb"), "vm.cdrom_bus", "ide"),
    (lambda d: d["vm"].update(disk_size="512M"), "vm.disk_size", "smaller than the recipe's minimum"),
    (lambda d: d["vm"].update(disk_size="big"), "vm.disk_size", "512M or 8G"),
    (lambda d: d["timeouts"].update(install="ten"), "timeouts.install", "is not a number of seconds"),
    (lambda d: d["timeouts"].update(boot=0), "timeouts.boot", "more than 0"),
    (lambda d: d["timeouts"].update(native={"tcg": 5}), "timeouts.native", "{kvm: seconds"),
    (lambda d: d["timeouts"].pop("boot"), "timeouts.boot", "is required"),
    (lambda d: d["timeouts"].update(lunch=5), "timeouts.lunch", "is not a timeout"),
    (lambda d: d.update(stages=["stage1", "bake"]), "stages[1]", "'bake' is not a stage"),
    (lambda d: d.update(stages=["native", "stage1"]), "stages", "must start at stage1"),
    (lambda d: d["source"].update(kind="git"), "source.kind", "embedded or path"),
    (lambda d: d.update(build_host="bad host"), "build_host", "is not an inventory host or group name"),
    (lambda d: d["stage1"].update(fixes=[{"rm": "x"}]), "stage1.fixes[0]", "mkdir"),
    (lambda d: d["stage1"].update(fixes=[{"mkdir": "../etc"}]), "stage1.fixes[0]", "mkdir"),
    (lambda d: d["native"].update(prompts=[{"expect": "Password:"}]), "native.prompts[0]", "secret"),
    (lambda d: d["native"].update(prompts=[{"expect": "(", "answer": "y"}]), "native.prompts[0].expect",
     "regular expression"),
    (lambda d: d["native"].update(prompts=[{"expect": "P", "secret": "api_key"}]), "native.prompts[0].secret",
     "root_password"),
    (lambda d: d["native"].update(progress={"total": 3}), "native.progress.regex", "is required"),
    (lambda d: d["distro"].update(name=""), "distro.name", "is required"),
])
def test_bad_recipes_name_the_field(change, field, hint):
    with pytest.raises(SpecError) as err:
        validate(_with(change))
    assert err.value.field == field, str(err.value)
    assert hint in str(err.value)


def test_per_accelerator_timeouts():
    recipe = validate(_with(lambda d: d["timeouts"].update(boot=60, native={"kvm": 900, "tcg": 3600})))
    assert recipe["timeouts"]["boot"] == {"kvm": 60.0, "tcg": 240.0}
    assert baseline_timeouts(recipe, "tcg")["native"] == 900.0  # 3600 s under TCG = 900 s scaled by 4
    assert baseline_timeouts(recipe, "kvm")["native"] == 900.0
    recipe = validate(_with(lambda d: d["timeouts"].update(native={"kvm": 900, "tcg": 7200})))
    assert baseline_timeouts(recipe, "tcg")["native"] == 1800.0
