# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recipes: what a distro's buildstrap stages are, as data (recipes/<name>.yml). Validation is pure and names
the field of every error (``vm.disk_size``, ``timeouts.install.tcg``), before any VM starts."""

from __future__ import annotations

import re

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.accel import TIMEOUT_SCALE
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.spec import (
    ARCHES, CDROM_BUSES, DISK_BUSES, MACHINES, check_name, parse_size,
)

# The pipeline's stages, in order. A recipe may leave out the ones after a stage it stops at.
STAGES = ("stage1", "install1", "native", "install2")
TIMEOUT_KEYS = ("boot", "install", "native", "stage1")
SCHEMA = {
    "schema": int,
    "distro": {"name": str, "version": str},
    "source": {"kind": str, "path": str, "tarballs": (str, type(None))},
    "build_host": str,
    "stage1": {"command": list, "cwd": str, "user": str, "iso": str, "fixes": list, "env": dict},
    "vm": {"arch": str, "machine": str, "cpu": (str, type(None)), "memory": int, "vcpus": int, "disk_size": str,
           "min_disk_size": str, "disk_bus": str, "cdrom_bus": str},
    "iso": {"default_entry": str, "ssh_packages": list},
    "install": {"command": str, "options": dict, "login_prompt": str, "force_fdisk_stage2": bool},
    "native": {"tree": str, "user": str, "command": str, "set_build_password": bool, "prompts": list,
               "success": str, "failure": list, "progress": dict, "iso": str},
    "timeouts": dict,
    "stages": list,
}
REQUIRED = ("schema", "distro", "source", "build_host", "stage1", "vm", "iso", "install", "native", "timeouts")


def _type_name(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", int: "a whole number", list: "a list", dict: "a mapping", bool: "true or false",
             type(None): "null"}
    return " or ".join(names[k] for k in kinds)


def _check_shape(data, schema, path: str) -> None:
    if not isinstance(data, dict):
        raise SpecError(path or "recipe", "must be a mapping")
    for key, value in data.items():
        field = f"{path}.{key}" if path else key
        if key not in schema:
            raise SpecError(field, f"is not a recipe key; use one of {', '.join(schema)}")
        kind = schema[key]
        if isinstance(kind, dict):
            _check_shape(value, kind, field)
        elif not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise SpecError(field, f"{value!r} is not {_type_name(kind)}")


def _seconds(value, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(field, f"{value!r} is not a number of seconds (e.g. 600)")
    if value <= 0:
        raise SpecError(field, f"{value} must be more than 0 seconds")
    return float(value)


def validate(data: dict) -> dict:
    """Check a loaded recipe and return it with every timeout as {kvm: s, tcg: s}."""
    _check_shape(data, SCHEMA, "")
    for key in REQUIRED:
        if key not in data:
            raise SpecError(key, "is required in a recipe")
    if data["schema"] != 1:
        raise SpecError("schema", f"{data['schema']} is not a schema this Buildstrap reads; use 1")
    for key in ("name", "version"):
        if not data["distro"].get(key):
            raise SpecError(f"distro.{key}", "is required")
    check_name(data["distro"]["name"], "distro.name")
    if data["source"].get("kind") not in ("embedded", "path"):
        raise SpecError("source.kind", f"{data['source'].get('kind')!r} is not valid; use embedded or path")
    if not data["source"].get("path"):
        raise SpecError("source.path", "is required: where the distro's source tree is on the build host")
    if not re.match(r"^[A-Za-z0-9_.-]+$", data["build_host"]):
        raise SpecError("build_host", f"{data['build_host']!r} is not an inventory host or group name")
    vm = data["vm"]
    for key, choices in (("arch", ARCHES), ("machine", MACHINES), ("disk_bus", DISK_BUSES),
                         ("cdrom_bus", CDROM_BUSES)):
        if key in vm and vm[key] not in choices:
            raise SpecError(f"vm.{key}", f"{vm[key]!r} is not valid; use one of {', '.join(choices)}")
    if vm.get("memory", 1) < 64:
        raise SpecError("vm.memory", f"{vm['memory']} MiB is too little; use at least 64")
    size = parse_size(vm.get("disk_size", "0"), "vm.disk_size")
    minimum = parse_size(vm.get("min_disk_size", vm.get("disk_size")), "vm.min_disk_size")
    if size < minimum:
        raise SpecError("vm.disk_size", f"{vm['disk_size']} is smaller than the recipe's minimum "
                                        f"{vm['min_disk_size']}; use at least that")
    if not data["stage1"].get("command"):
        raise SpecError("stage1.command", "is required: the argv that builds the first ISO in the source tree")
    for i, fix in enumerate(data["stage1"].get("fixes") or []):
        if not (isinstance(fix, dict) and set(fix) == {"mkdir"} and isinstance(fix["mkdir"], str)
                and not fix["mkdir"].startswith("/") and ".." not in fix["mkdir"].split("/")):
            raise SpecError(f"stage1.fixes[{i}]", "use {mkdir: relative/path/in/the/tree}")
    for i, prompt in enumerate(data["native"].get("prompts") or []):
        if not (isinstance(prompt, dict) and "expect" in prompt and ("secret" in prompt or "answer" in prompt)):
            raise SpecError(f"native.prompts[{i}]", "use {expect: REGEX, secret: root_password|build_password} "
                                                    "or {expect: REGEX, answer: TEXT}")
        if prompt.get("secret") not in (None, "root_password", "build_password"):
            raise SpecError(f"native.prompts[{i}].secret", f"{prompt['secret']!r} is not valid; use root_password "
                                                           "or build_password")
        _regex(prompt["expect"], f"native.prompts[{i}].expect")
    for key in ("success",):
        if data["native"].get(key):
            _regex(data["native"][key], f"native.{key}")
    for i, pattern in enumerate(data["native"].get("failure") or []):
        _regex(pattern, f"native.failure[{i}]")
    if data["native"].get("progress"):
        progress = data["native"]["progress"]
        if "regex" not in progress:
            raise SpecError("native.progress.regex", "is required: a regex whose group 1 names the current item")
        _regex(progress["regex"], "native.progress.regex")
    _regex(data["install"].get("login_prompt", "login:"), "install.login_prompt")
    stages = data.get("stages") or list(STAGES)
    for i, stage in enumerate(stages):
        if stage not in STAGES:
            raise SpecError(f"stages[{i}]", f"{stage!r} is not a stage; use {', '.join(STAGES)}")
    if stages != [s for s in STAGES if s in stages] or stages[0] != "stage1":
        raise SpecError("stages", f"must start at stage1 and keep the order {', '.join(STAGES)}")
    timeouts = {}
    for key, value in data["timeouts"].items():
        field = f"timeouts.{key}"
        if key not in TIMEOUT_KEYS:
            raise SpecError(field, f"is not a timeout; use {', '.join(TIMEOUT_KEYS)}")
        if isinstance(value, dict):
            unknown = set(value) - set(TIMEOUT_SCALE)
            if unknown or "kvm" not in value:
                raise SpecError(field, "use seconds, or {kvm: seconds, tcg: seconds} (tcg defaults to 4 x kvm)")
            kvm = _seconds(value["kvm"], f"{field}.kvm")
            tcg = _seconds(value.get("tcg", kvm * TIMEOUT_SCALE["tcg"]), f"{field}.tcg")
        else:
            kvm = _seconds(value, field)
            tcg = kvm * TIMEOUT_SCALE["tcg"]
        timeouts[key] = {"kvm": kvm, "tcg": tcg}
    for key in TIMEOUT_KEYS:
        if key not in timeouts:
            raise SpecError(f"timeouts.{key}", "is required (seconds under KVM, or {kvm: s, tcg: s})")
    return dict(data, timeouts=timeouts, stages=stages)


def baseline_timeouts(recipe: dict, accel: str) -> dict:
    """The recipe's timeouts for ``accel``, expressed as the KVM baseline the modules scale back up."""
    return {key: round(value[accel] / TIMEOUT_SCALE[accel], 3) for key, value in recipe["timeouts"].items()}


def _regex(pattern, field: str) -> None:
    try:
        re.compile(pattern)
    except (re.error, TypeError) as exc:
        raise SpecError(field, f"is not a valid regular expression: {exc}") from None
