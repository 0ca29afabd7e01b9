"""Bad recipes and options are refused by playbooks/buildstrap.yml before any VM starts or any stage is
recorded, with a message that names the field (and no traceback). No pipeline needed: these run beside it."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import ROOT
from tests.integration.pipeline import Pipeline, domain_id

pytestmark = pytest.mark.vm


def _bad_recipe(workdir, name, change):
    data = yaml.safe_load((ROOT / "recipes" / "minifix.yml").read_text())
    change(data)
    path = workdir / f"{name}.yml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("label, change, extra, expect", [
    ("force", None, ["-e", "buildstrap_force=nosuch"], "buildstrap_force: 'nosuch' is not a stage"),
    ("timeout", lambda d: d["timeouts"].update(install="ten"), [], "timeouts.install: 'ten' is not a number"),
    ("buildhost", lambda d: d.update(build_host="nosuchhost"), [],
     "build_host: 'nosuchhost' is neither a host nor a group of the inventory"),
    ("disk", lambda d: d["vm"].update(disk_size="512M"), [], "vm.disk_size: 512M is smaller than the recipe's minimum"),
    ("tree", lambda d: d["source"].update(kind="path", path="/nonexistent/minifix"), [],
     "source.path: /nonexistent/minifix does not exist on the build host"),
    ("stage", lambda d: d.update(stages=["stage1", "bake"]), [], "stages[1]: 'bake' is not a stage"),
    # Refused before the pipeline's VM of an earlier run is touched (it used to be destroyed first).
    ("entry", lambda d: d["iso"].update(default_entry=""), [], "iso.default_entry: is required"),
    ("ssh", lambda d: d.update(ssh={"legacy": "openssh-5"}), [], "ssh.legacy: 'openssh-5' is not an SSH profile"),
])
def test_bad_recipes_fail_before_any_vm(artifacts, run_id, label, change, extra, expect):
    workdir = artifacts / f"bad-{label}"
    workdir.mkdir()
    pipe = Pipeline(workdir, f"{run_id}-bad")
    recipe = ["-e", f"buildstrap_recipe={_bad_recipe(workdir, 'minifix', change)}"] if change else []
    result = pipe.run(label, *recipe, *extra, timeout=300)
    assert result["rc"] != 0
    assert expect in result["output"], result["output"][-3000:]
    assert "Traceback" not in result["output"]
    assert domain_id(pipe.vm_name) is None
    assert not (workdir / "images" / "minifix" / "manifests").exists()
