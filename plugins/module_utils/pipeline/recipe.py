# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recipes: what a distro's buildstrap stages are, as data (recipes/<name>.yml). Validation is pure and names
the field of every error (``vm.disk_size``, ``timeouts.install.tcg``), before any VM starts."""

from __future__ import annotations

import re

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import profiles
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.timeouts import TIMEOUT_SCALE
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.spec import (
    ARCHES, CDROM_BUSES, DISK_BUSES, MACHINES, check_name, parse_size,
)

# The pipeline's stages, in order. A recipe may leave out the ones after a stage it stops at.
STAGES = ("stage1", "install1", "native", "install2")
# The build server's stages (playbooks/buildserver.yml), in order, on the native instance or a buildservers host.
BUILDSERVER_STAGES = ("make_buildserver", "httpd", "feed", "push", "verify")
# playbooks/clients.yml: each client VM is provisioned, then configured by its role (not cached: every run
# checks every resource, and a second run changes nothing).
CLIENT_STAGES = ("provision", "configure")
TIMEOUT_KEYS = ("boot", "install", "native", "stage1", "buildserver")
# Timeouts a recipe may leave out (seconds under KVM; x4 under TCG).
OPTIONAL_TIMEOUTS = {"buildserver": 1800}
# Placeholders of the paths the recipe action resolves on the controller (stage1.* also has {python}).
PATH_PLACEHOLDERS = ("checkout", "tree", "images")
SCHEMA = {
    "schema": int,
    "distro": {"name": str, "version": str},
    "source": {"kind": str, "path": str, "tarballs": (str, type(None))},
    "build_host": str,
    "stage1": {"command": list, "cwd": str, "user": str, "iso": str, "fixes": list, "env": dict},
    "vm": {"arch": str, "machine": str, "cpu": (str, type(None)), "memory": int, "vcpus": int, "disk_size": str,
           "min_disk_size": str, "disk_bus": str, "cdrom_bus": str, "forwards": list},
    "iso": {"default_entry": str, "ssh_packages": list},
    "install": {"command": str, "options": dict, "login_prompt": str, "force_fdisk_stage2": bool},
    "native": {"tree": str, "user": str, "command": str, "set_build_password": bool, "prompts": list,
               "success": str, "failure": list, "progress": dict, "iso": str, "tarballs": (str, type(None))},
    "ssh": {"legacy": (str, type(None))},
    "buildserver": {"tree": (str, type(None)), "command": str, "options": list, "prompts": list, "success": str,
                    "failure": list, "progress": dict, "logs": str, "service": str, "runlevel": (str, type(None)),
                    "web_user": str,
                    "feed": {"name": str, "path": str, "owner": str, "port": int},
                    "push": {"command": str, "user": str}},
    "timeouts": dict,
    "stages": list,
}
REQUIRED = ("schema", "distro", "source", "build_host", "stage1", "vm", "iso", "install", "native", "timeouts")
# install2hd's options a recipe may set (install.options), as the install2hd action takes them; force_fdisk is
# the pipeline's (install.force_fdisk_stage2), not an option.
INSTALL_OPTIONS = ("hddev", "fstype", "bootsize", "swapsize", "pkgsets")
# What the playbooks read of the optional keys.
DEFAULTS = {
    "vm": {"machine": "pc", "vcpus": 1, "cpu": None, "disk_bus": "virtio", "cdrom_bus": "ide"},
    "install": {"command": "install2hd", "options": {}, "force_fdisk_stage2": True},
    "native": {"set_build_password": False, "prompts": [], "success": None, "failure": [], "progress": None,
               "tarballs": None},
    "ssh": {"legacy": None},
    "buildserver": {"tree": None, "command": "./scripts/make-buildserver", "options": [], "prompts": [],
                    "success": None, "failure": [], "progress": None, "logs": "build/logs", "service": "httpd",
                    "runlevel": None, "web_user": "web"},
}
# The web server's document root on Aloofix (busybox httpd -h /srv/www): a feed is served at /<its path below>.
WEB_ROOT = "/srv/www"
# An ISOLINUX label as a person types it at the boot prompt: one word.
_LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
_PACKAGE_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]*$")
_USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_COMMAND_RE = re.compile(r"^[A-Za-z0-9_./+-]+$")
_DEVICE_RE = re.compile(r"^/dev/[a-z]+[a-z0-9]*$")
_PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_]+)\}")


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


def _regex(pattern, field: str, groups: int = 0) -> None:
    """A regex the guest's output is matched against: valid, and never matching an empty line (which would
    fire on the first blank line the guest prints)."""
    try:
        compiled = re.compile(pattern)
    except (re.error, TypeError) as exc:
        raise SpecError(field, f"is not a valid regular expression: {exc}") from None
    if compiled.search(""):
        raise SpecError(field, f"{pattern!r} matches an empty line; make it match only the text it waits for")
    if compiled.groups < groups:
        raise SpecError(field, f"{pattern!r} needs a group (...) for the item it reports")


def _words(value, field: str, pattern: re.Pattern, what: str, example: str) -> None:
    """A non-empty list of distinct words (package names, devices, package sets)."""
    if not isinstance(value, list) or not value:
        raise SpecError(field, f"{value!r} is not a list of {what}s; use e.g. [{example}]")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not pattern.match(item):
            raise SpecError(f"{field}[{i}]", f"{item!r} is not a {what} such as {example}")
        if item in value[:i]:
            raise SpecError(f"{field}[{i}]", f"{item!r} is listed twice")


def _check_vm(vm: dict) -> None:
    for key in ("arch", "memory", "disk_size"):
        if key not in vm:
            raise SpecError(f"vm.{key}", "is required (the VM's arch, memory in MiB and disk_size)")
    for key, choices in (("arch", ARCHES), ("machine", MACHINES), ("disk_bus", DISK_BUSES),
                         ("cdrom_bus", CDROM_BUSES)):
        if key in vm and vm[key] not in choices:
            raise SpecError(f"vm.{key}", f"{vm[key]!r} is not valid; use one of {', '.join(choices)}")
    if vm.get("cpu") is not None and not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", vm["cpu"]):
        raise SpecError("vm.cpu", f"{vm['cpu']!r} is not a CPU model name such as kvm32; or null for the default")
    if not 64 <= vm["memory"] <= 1024 * 1024:
        raise SpecError("vm.memory", f"{vm['memory']} MiB is out of range; use at least 64 (and at most 1048576)")
    if not 1 <= vm.get("vcpus", 1) <= 64:
        raise SpecError("vm.vcpus", f"{vm['vcpus']} is out of range; use 1 to 64")
    for i, port in enumerate(vm.get("forwards") or []):
        field = f"vm.forwards[{i}]"
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise SpecError(field, f"{port!r} is not a guest TCP port (SSH's 22 is always forwarded)")
        if port == 22 or port in vm["forwards"][:i]:
            raise SpecError(field, f"port {port} is forwarded already; list each other guest port once")
    size = parse_size(vm["disk_size"], "vm.disk_size")
    minimum = parse_size(vm.get("min_disk_size", vm["disk_size"]), "vm.min_disk_size")
    if size < minimum:
        raise SpecError("vm.disk_size", f"{vm['disk_size']} is smaller than the recipe's minimum "
                                        f"{vm['min_disk_size']}; use at least that")


def _check_iso(iso: dict) -> None:
    entry = iso.get("default_entry")
    if not entry:
        raise SpecError("iso.default_entry", "is required: the ISOLINUX label of the live system, such as cd")
    if not _LABEL_RE.match(entry):
        raise SpecError("iso.default_entry", f"{entry!r} is not an ISOLINUX label; use one word of letters, "
                                             "digits, '.', '_', '+' or '-', such as cd")
    if "ssh_packages" in iso:
        _words(iso["ssh_packages"], "iso.ssh_packages", _PACKAGE_RE, "package name", "dropbear")


def _check_install(install: dict) -> None:
    if not _COMMAND_RE.match(install.get("command", "install2hd")):
        raise SpecError("install.command", f"{install['command']!r} is not a command; use the installer's name "
                                           "or absolute path, such as install2hd")
    options = install.get("options") or {}
    for key, value in options.items():
        field = f"install.options.{key}"
        if key not in INSTALL_OPTIONS:
            raise SpecError(field, f"is not an install2hd option; use {', '.join(INSTALL_OPTIONS)}")
        if key == "hddev":
            _words(value, field, _DEVICE_RE, "disk device", "/dev/vda")
        elif key == "pkgsets":
            _words(value, field, _PACKAGE_RE, "package set name", "base")
        elif key == "fstype":
            if not isinstance(value, str) or not re.match(r"^[a-z0-9]+$", value):
                raise SpecError(field, f"{value!r} is not a filesystem type such as ext4")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SpecError(field, f"{value!r} is not a size in whole megabytes (1 or more)")
    if "login_prompt" not in install:
        raise SpecError("install.login_prompt", "is required: a regex of the installed system's login prompt")
    _regex(install["login_prompt"], "install.login_prompt")


def _check_dialogue(section: dict, name: str) -> None:
    """A long guest command's dialogue: prompts answered from secrets, success, failure and progress patterns."""
    for i, prompt in enumerate(section.get("prompts") or []):
        if not (isinstance(prompt, dict) and "expect" in prompt and ("secret" in prompt or "answer" in prompt)):
            raise SpecError(f"{name}.prompts[{i}]", "use {expect: REGEX, secret: root_password|build_password} "
                                                    "or {expect: REGEX, answer: TEXT}")
        if prompt.get("secret") not in (None, "root_password", "build_password"):
            raise SpecError(f"{name}.prompts[{i}].secret", f"{prompt['secret']!r} is not valid; use root_password "
                                                           "or build_password")
        _regex(prompt["expect"], f"{name}.prompts[{i}].expect")
    if section.get("success"):
        _regex(section["success"], f"{name}.success")
    for i, pattern in enumerate(section.get("failure") or []):
        _regex(pattern, f"{name}.failure[{i}]", groups=1 if name == "buildserver" else 0)
    if section.get("progress"):
        progress = section["progress"]
        if "regex" not in progress:
            raise SpecError(f"{name}.progress.regex", "is required: a regex whose group 1 names the current item")
        _regex(progress["regex"], f"{name}.progress.regex", groups=1)


def _check_buildserver(section: dict, native: dict) -> dict:
    """The build server (playbooks/buildserver.yml): make-buildserver's command, options and dialogue, the web
    service, the feed directory under the web root, and push-packages. Returns it with defaults filled in."""
    if "feed" not in section or "push" not in section:
        raise SpecError("buildserver.feed" if "feed" not in section else "buildserver.push",
                        "is required: {name, path, owner, port} of the feed, {command, user} of push-packages")
    merged = dict(DEFAULTS["buildserver"], **section)
    tree = merged["tree"] or native["tree"]
    if not tree.startswith("/"):
        raise SpecError("buildserver.tree", f"{tree!r} must be an absolute path on the build server")
    if not _COMMAND_RE.match(merged["command"]):
        raise SpecError("buildserver.command", f"{merged['command']!r} is not a command such as "
                                               "./scripts/make-buildserver")
    _check_options(merged["options"], "buildserver.options")
    _check_dialogue(merged, "buildserver")
    if not merged["failure"]:
        raise SpecError("buildserver.failure", "give at least one pattern whose group 1 names the package that "
                                               "failed, such as 'building (\\S+) failed'")
    if merged["logs"].startswith("/") or ".." in merged["logs"].split("/"):
        raise SpecError("buildserver.logs", f"{merged['logs']!r} must be a path relative to the tree, such as "
                                            "build/logs (one directory of logs per package)")
    for key in ("service", "web_user"):
        if not _PACKAGE_RE.match(merged[key]):
            raise SpecError(f"buildserver.{key}", f"{merged[key]!r} is not a service or user name")
    if merged["runlevel"] is not None and not _PACKAGE_RE.match(merged["runlevel"]):
        raise SpecError("buildserver.runlevel", f"{merged['runlevel']!r} is not a runlevel name (or null: current)")
    feed = merged["feed"]
    for key in ("name", "path", "owner"):
        if not feed.get(key):
            raise SpecError(f"buildserver.feed.{key}", "is required")
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", feed["name"]):
        raise SpecError("buildserver.feed.name", f"{feed['name']!r} is not a feed name (opkg's src NAME)")
    if not feed["path"].startswith(WEB_ROOT + "/") or ".." in feed["path"].split("/"):
        raise SpecError("buildserver.feed.path", f"{feed['path']!r} must be a directory under the web root "
                                                 f"{WEB_ROOT}, such as {WEB_ROOT}/{feed['name']}")
    if not _USER_RE.match(feed["owner"]):
        raise SpecError("buildserver.feed.owner", f"{feed['owner']!r} is not a user name")
    port = feed.get("port", 80)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise SpecError("buildserver.feed.port", f"{port!r} is not a TCP port")
    push = merged["push"]
    if not _COMMAND_RE.match(push.get("command", "")):
        raise SpecError("buildserver.push.command", f"{push.get('command')!r} is not a command such as "
                                                    "./scripts/push-packages")
    if not _USER_RE.match(push.get("user", "")):
        raise SpecError("buildserver.push.user", f"{push.get('user')!r} is not a user name")
    merged["tree"] = tree
    merged["feed"] = dict(feed, port=port, url_path=feed["path"][len(WEB_ROOT):])
    return merged


def _check_options(options, field: str) -> None:
    if not isinstance(options, list):
        raise SpecError(field, f"{options!r} is not a list of options such as [--minimal]")
    for i, option in enumerate(options):
        if not isinstance(option, str) or not re.match(r"^--[a-z][a-z0-9-]*(=[A-Za-z0-9_.,/-]+)?$", option):
            raise SpecError(f"{field}[{i}]", f"{option!r} is not an option such as --minimal or --buildall")


def buildserver_with_options(buildserver: dict, options, field: str) -> dict:
    """The build server section with make-buildserver's options replaced (checked like the recipe's)."""
    _check_options(options, field)
    return dict(buildserver, options=list(options))


def _check_native(native: dict) -> None:
    for key in ("tree", "user", "command", "iso"):
        if not native.get(key):
            raise SpecError(f"native.{key}", "is required")
    if not native["tree"].startswith("/"):
        raise SpecError("native.tree", f"{native['tree']!r} must be an absolute path on the installed system")
    if native["iso"].startswith("/") or ".." in native["iso"].split("/"):
        raise SpecError("native.iso", f"{native['iso']!r} must be a path relative to native.tree")
    if not _USER_RE.match(native["user"]):
        raise SpecError("native.user", f"{native['user']!r} is not a user name")
    _check_dialogue(native, "native")
    if native.get("tarballs") is not None:
        _controller_path(native["tarballs"], "native.tarballs")


def _controller_path(value: str, field: str) -> None:
    """An absolute path, or one that starts with a placeholder ({images}/..., {checkout}/...)."""
    for name in _PLACEHOLDER_RE.findall(value):
        if name not in PATH_PLACEHOLDERS:
            raise SpecError(field, f"{{{name}}} is not a placeholder; use {{checkout}}, {{tree}} or {{images}}")
    if not (value.startswith("/") or _PLACEHOLDER_RE.match(value)):
        raise SpecError(field, f"{value!r} is relative; use an absolute path or start it with {{checkout}}, "
                               "{tree} or {images}")


def _check_timeouts(values: dict) -> dict:
    timeouts = {}
    for key, value in values.items():
        field = f"timeouts.{key}"
        if key not in TIMEOUT_KEYS:
            raise SpecError(field, f"is not a timeout; use {', '.join(TIMEOUT_KEYS)}")
        if isinstance(value, dict):
            if key == "stage1":
                # Stage 1 runs on the build host, not in a VM: the accelerator does not change how long it takes.
                raise SpecError(field, "stage 1 runs on the build host, not in a VM; give plain seconds")
            unknown = set(value) - set(TIMEOUT_SCALE)
            if unknown or "kvm" not in value:
                raise SpecError(field, "use seconds, or {kvm: seconds, tcg: seconds} (tcg defaults to 4 x kvm)")
            kvm = _seconds(value["kvm"], f"{field}.kvm")
            tcg = _seconds(value.get("tcg", kvm * TIMEOUT_SCALE["tcg"]), f"{field}.tcg")
        else:
            kvm = _seconds(value, field)
            tcg = kvm * TIMEOUT_SCALE["tcg"]
        timeouts[key] = {"kvm": kvm, "tcg": tcg}
    for key, seconds in OPTIONAL_TIMEOUTS.items():
        timeouts.setdefault(key, {"kvm": float(seconds), "tcg": seconds * TIMEOUT_SCALE["tcg"]})
    for key in TIMEOUT_KEYS:
        if key not in timeouts:
            raise SpecError(f"timeouts.{key}", "is required (seconds under KVM, or {kvm: s, tcg: s})")
    return timeouts


def validate(data: dict) -> dict:
    """Check a loaded recipe and return it with its optional keys filled in and every timeout as
    {kvm: s, tcg: s}."""
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
    tarballs = data["source"].get("tarballs")
    if tarballs is not None and not tarballs.startswith("/"):
        raise SpecError("source.tarballs", f"{tarballs!r} must be an absolute path on the build host (or null)")
    if not re.match(r"^[A-Za-z0-9_.-]+$", data["build_host"]):
        raise SpecError("build_host", f"{data['build_host']!r} is not an inventory host or group name")
    stage1 = data["stage1"]
    if not stage1.get("command"):
        raise SpecError("stage1.command", "is required: the argv that builds the first ISO in the source tree")
    for i, word in enumerate(stage1["command"]):
        if not isinstance(word, str):
            raise SpecError(f"stage1.command[{i}]", f"{word!r} is not a string")
    if not stage1.get("iso"):
        raise SpecError("stage1.iso", "is required: where the stage-1 command leaves the ISO")
    if not _USER_RE.match(stage1.get("user", "")):
        raise SpecError("stage1.user", f"{stage1.get('user')!r} is not a user name; the command runs as that user")
    for i, fix in enumerate(stage1.get("fixes") or []):
        if not (isinstance(fix, dict) and set(fix) == {"mkdir"} and isinstance(fix["mkdir"], str)
                and not fix["mkdir"].startswith("/") and ".." not in fix["mkdir"].split("/")):
            raise SpecError(f"stage1.fixes[{i}]", "use {mkdir: relative/path/in/the/tree}")
    _check_vm(data["vm"])
    _check_iso(data["iso"])
    _check_install(data["install"])
    _check_native(data["native"])
    profiles.profile((data.get("ssh") or {}).get("legacy"), "ssh.legacy")
    stages = data.get("stages") or list(STAGES)
    for i, stage in enumerate(stages):
        if stage not in STAGES:
            raise SpecError(f"stages[{i}]", f"{stage!r} is not a stage; use {', '.join(STAGES)}")
    if stages != [s for s in STAGES if s in stages] or stages[0] != "stage1":
        raise SpecError("stages", f"must start at stage1 and keep the order {', '.join(STAGES)}")
    recipe = dict(data, timeouts=_check_timeouts(data["timeouts"]), stages=stages)
    for section, defaults in DEFAULTS.items():
        recipe[section] = dict(defaults, **(data.get(section) or {}))
    recipe["vm"].setdefault("forwards", [])
    recipe["buildserver"] = _check_buildserver(data["buildserver"], recipe["native"]) if "buildserver" in data \
        else None
    return recipe


def baseline_timeouts(recipe: dict, accel: str) -> dict:
    """The recipe's timeouts for ``accel``, expressed as the KVM baseline the modules scale back up."""
    return {key: round(value[accel] / TIMEOUT_SCALE[accel], 3) for key, value in recipe["timeouts"].items()}


def owner(home: str, user: str, host: str) -> str:
    """Who a pipeline's VMs belong to: ``user@host:checkout`` (recorded in each domain's metadata)."""
    return f"{user}@{host}:{home}"


def default_vm_name(recipe: str, owner_id: str) -> str:
    """``RECIPE-buildstrap-XXXXXXXX``: unique per checkout (and user and host), so two checkouts on one hypervisor
    never share a VM by default."""
    import hashlib

    return f"{recipe}-buildstrap-{hashlib.sha256(owner_id.encode()).hexdigest()[:8]}"
