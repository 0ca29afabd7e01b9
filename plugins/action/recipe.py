# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load and check a recipe on the controller, against the inventory, before any VM starts."""

from __future__ import annotations

import getpass
import os
import socket

import yaml
from ansible.plugins.action import ActionBase

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError, host_file_error, reported
from ansible_collections.aloofix.buildstrap.plugins.module_utils.pipeline import recipe as recipes
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import profiles
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import accel as accel_mod
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api

ARGS = {
    "name": {"type": "str", "required": True},
    "home": {"type": "path", "required": True},
    "images_dir": {"type": "path", "required": True},
    "force": {"type": "raw", "default": []},
    "uri": {"type": "str", "default": "qemu:///system"},
    "accel": {"type": "str", "default": "auto", "choices": ["auto", "kvm", "tcg"]},
    "disk_size": {"type": "str"},
    "vm_name": {"type": "str"},
    # Which playbook loads it: its stages are what buildstrap_force may name.
    "pipeline": {"type": "str", "default": "buildstrap", "choices": ["buildstrap", "buildserver", "clients"]},
    # make-buildserver's options instead of the recipe's buildserver.options (e.g. --minimal).
    "buildserver_options": {"type": "raw"},
}


def _substitute(value, mapping: dict):
    if isinstance(value, str):
        for key, repl in mapping.items():
            value = value.replace("{" + key + "}", repl)
        return value
    if isinstance(value, list):
        return [_substitute(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, mapping) for k, v in value.items()}
    return value


def _native_tarballs(value, hosts: list, mapping: dict):
    """The controller directory whose package sub-directories are pushed into the guest's build/tarballs before
    the native rebuild: the recipe's, or by default the stage-1 tree's own cache when that tree is on this
    machine (a remote build host's cache is not on the controller); None for none."""
    local = hosts == ["localhost"]
    if value is None:
        return os.path.join(mapping["tree"], "build", "tarballs") if local else None
    if "{tree}" in value and not local:
        raise SpecError("native.tarballs", "{tree} is on the build host, not on the controller; use a directory "
                                           "of the controller")
    return os.path.abspath(_substitute(value, mapping))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec=ARGS)
        with reported(result, context=f"recipe {args['name']}: "):
            result["ansible_facts"] = {"buildstrap": self._load(args, task_vars)}
        result["changed"] = False
        return result

    def _load(self, args: dict, task_vars: dict) -> dict:
        if args["name"].endswith((".yml", ".yaml")):
            path = os.path.abspath(args["name"])  # a recipe file of one's own
            if not os.path.isfile(path):
                raise SpecError("buildstrap_recipe", f"{path} does not exist")
            args["name"] = os.path.splitext(os.path.basename(path))[0]
        else:
            path = os.path.join(args["home"], "recipes", f"{args['name']}.yml")
        if not os.path.isfile(path):
            recipes_dir = os.path.join(args["home"], "recipes")
            try:
                known = sorted(f[:-4] for f in os.listdir(recipes_dir) if f.endswith(".yml"))
            except OSError as exc:
                raise host_file_error(f"listing the recipes in {recipes_dir}", exc) from None
            raise SpecError("buildstrap_recipe", f"{args['name']!r} has no recipes/{args['name']}.yml; use one of "
                                                 + ", ".join(known))
        if args.get("vm_name"):
            from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.spec import check_name
            check_name(args["vm_name"], "buildstrap_vm_name")
        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
        except OSError as exc:
            raise host_file_error(f"reading the recipe {path}", exc) from None
        except yaml.YAMLError as exc:
            raise SpecError("recipe", f"{path} is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise SpecError("recipe", f"{path} does not hold a mapping")
        if args.get("disk_size"):
            data.setdefault("vm", {})["disk_size"] = args["disk_size"]
        recipe = recipes.validate(data)
        # The build host must be in the inventory (localhost is always there).
        build_host = recipe["build_host"]
        groups = task_vars.get("groups", {})
        if build_host != "localhost" and build_host not in groups and build_host not in task_vars.get("hostvars", {}):
            raise SpecError("build_host", f"{build_host!r} is neither a host nor a group of the inventory; add it "
                                          "(see the README) or change the recipe")
        hosts = groups.get(build_host) or [build_host]
        name = recipe["distro"]["name"]
        images = os.path.join(args["images_dir"], args["name"])
        tree = recipe["source"]["path"]
        if recipe["source"]["kind"] == "embedded":
            tree = os.path.join(args["home"], tree)
        if hosts == ["localhost"] and not os.path.isdir(tree):
            raise SpecError("source.path", f"{tree} does not exist on the build host; check out the distro's "
                                           "source tree there or fix the path")
        if recipe["source"].get("tarballs") and hosts == ["localhost"] \
                and not os.path.isdir(recipe["source"]["tarballs"]):
            raise SpecError("source.tarballs", f"{recipe['source']['tarballs']} does not exist")
        buildserver = recipe["buildserver"]
        if args["pipeline"] == "buildserver":
            if buildserver is None:
                raise SpecError("buildserver", "is missing from the recipe: add a buildserver section (see "
                                               "recipes/minifix.yml) to make a build server of its native instance")
            options = args.get("buildserver_options")
            if options not in (None, "", []):
                if isinstance(options, str):
                    options = options.split()
                buildserver = recipes.buildserver_with_options(buildserver, options, "buildstrap_buildserver_options")
        stages = {"buildserver": list(recipes.BUILDSERVER_STAGES), "clients": list(recipes.CLIENT_STAGES)}.get(
            args["pipeline"], recipe["stages"])
        force = args["force"]
        if isinstance(force, str):
            force = [f for f in force.replace(",", " ").split() if f]
        for item in force:
            if item not in stages and item != "all":
                raise SpecError("buildstrap_force", f"{item!r} is not a stage of {args['pipeline']}.yml; use one of "
                                                    f"{', '.join(stages)} or all")
        mapping = {"checkout": args["home"], "tree": tree, "images": images,
                   "python": task_vars.get("ansible_playbook_python") or "python3"}
        stage1 = _substitute(recipe["stage1"], mapping)
        stage1.setdefault("cwd", tree)
        native = dict(recipe["native"], tarballs=_native_tarballs(recipe["native"]["tarballs"], hosts, mapping))
        with api.connection(args["uri"]) as conn:
            # In check mode an unknown accelerator is reported, not probed (no probe guest, pool or cache file).
            chosen = accel_mod.resolve(conn, args["accel"], recipe["vm"].get("arch", "x86_64"),
                                       check_mode=self._task.check_mode)
        state_dir = os.path.join(images, "state")
        owner = recipes.owner(os.path.realpath(args["home"]), getpass.getuser(), socket.gethostname())
        return {
            "recipe": args["name"], "name": name, "version": recipe["distro"]["version"],
            "stages": stages, "force": force, "pipeline": args["pipeline"], "buildserver": buildserver, "build_host": build_host, "build_hosts": hosts,
            "images_dir": images, "manifest_dir": os.path.join(images, "manifests"),
            "state_dir": state_dir, "source_tree": tree, "source": recipe["source"],
            "stage1": stage1, "vm": recipe["vm"], "iso": recipe["iso"], "install": recipe["install"],
            "native": native, "ssh": profiles.facts(recipe["ssh"]["legacy"], state_dir), "accel": chosen["accel"],
            "accel_source": chosen["source"], "timeouts": recipes.baseline_timeouts(recipe, chosen["accel"]),
            "vm_name": args.get("vm_name") or recipes.default_vm_name(args["name"], owner), "owner": owner,
            "uri": args["uri"],
        }
