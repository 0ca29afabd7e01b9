"""Recipe validation (table-driven) and the two shipped recipes, checked against upstream Aloofix's interfaces."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from ansible_collections.aloofix.buildstrap.plugins.action.recipe import _native_tarballs
from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.pipeline.recipe import (
    INSTALL_OPTIONS, STAGES, baseline_timeouts, validate,
)
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import install2hd, profiles
from tests.conftest import ROOT


def load(name):
    return yaml.safe_load((ROOT / "recipes" / f"{name}.yml").read_text())


@pytest.mark.parametrize("name", ["minifix", "aloofix-0.9"])
def test_shipped_recipes_are_valid(name):
    recipe = validate(load(name))
    assert recipe["stages"] == list(STAGES)
    assert set(recipe["timeouts"]) == {"boot", "install", "native", "stage1", "buildserver"}


@pytest.mark.parametrize("name", ["minifix", "aloofix-0.9"])
def test_shipped_recipes_use_dropbear_2013(name):
    recipe = validate(load(name))
    assert recipe["ssh"] == {"legacy": "dropbear-2013"}
    assert profiles.facts(recipe["ssh"]["legacy"], "/s")["key_file"] == "/s/id_rsa"
    assert recipe["iso"]["ssh_packages"] == ["glibc-lib", "dropbear"]  # the closure's roots; the rest is resolved
    assert recipe["install"]["command"] == "install2hd" and recipe["install"]["force_fdisk_stage2"] is True


def test_minifix_pushes_its_stage1_tarballs():
    """build.py builds the tree in <out>/src, so stage 1 keeps the sources in <out>/src/build/tarballs."""
    native = validate(load("minifix"))["native"]
    assert native["tarballs"] == "{images}/stage1/src/build/tarballs"
    command = load("minifix")["stage1"]["command"]
    assert command[command.index("--out") + 1] == "{images}/stage1"


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
    # The scripts' own failure messages: magic-install, mkimage, make-buildserver; and the refusal of root.
    for line in ("build for gcc failed", "build of gcc failed or it's not a package", "installation of gcc failed",
                 "build-pkg gcc failed", "building gcc failed", "do not run ./scripts/buildstrap as root"):
        assert any(re.search(p, line) for p in native["failure"]), line
    assert not any(re.search(p, "Building gcc package") for p in native["failure"])
    assert native["tarballs"] is None  # the build host is remote: nothing by default
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
    # vm
    (lambda d: d["vm"].update(machine="isapc"), "vm.machine", "pc, q35"),
    (lambda d: d["vm"].update(vcpus=0), "vm.vcpus", "use 1 to 64"),
    (lambda d: d["vm"].update(vcpus=65), "vm.vcpus", "use 1 to 64"),
    (lambda d: d["vm"].update(vcpus="two"), "vm.vcpus", "is not a whole number"),
    (lambda d: d["vm"].update(memory=32), "vm.memory", "at least 64"),
    (lambda d: d["vm"].update(cpu="kvm 32"), "vm.cpu", "CPU model"),
    (lambda d: d["vm"].update(min_disk_size="lots"), "vm.min_disk_size", "512M or 8G"),
    (lambda d: d["vm"].pop("disk_size"), "vm.disk_size", "is required"),
    (lambda d: d["vm"].pop("arch"), "vm.arch", "is required"),
    (lambda d: d["vm"].pop("memory"), "vm.memory", "is required"),
    # iso
    (lambda d: d["iso"].update(default_entry=""), "iso.default_entry", "is required"),
    (lambda d: d["iso"].pop("default_entry"), "iso.default_entry", "is required"),
    (lambda d: d["iso"].update(default_entry="Boot from CD-ROM"), "iso.default_entry", "is not an ISOLINUX label"),
    (lambda d: d["iso"].update(ssh_packages=[]), "iso.ssh_packages", "is not a list of package names"),
    (lambda d: d["iso"].update(ssh_packages=["dropbear_2013.58.opk"]), "iso.ssh_packages[0]",
     "is not a package name"),
    (lambda d: d["iso"].update(ssh_packages=["dropbear", "dropbear"]), "iso.ssh_packages[1]", "listed twice"),
    # install
    (lambda d: d["install"].update(command="install2hd --force-fdisk"), "install.command", "is not a command"),
    (lambda d: d["install"].update(command=""), "install.command", "is not a command"),
    (lambda d: d["install"]["options"].update(force_fdisk=True), "install.options.force_fdisk",
     "is not an install2hd option"),
    (lambda d: d["install"]["options"].update(lvm=True), "install.options.lvm", "hddev, fstype"),
    (lambda d: d["install"]["options"].update(hddev="/dev/vda"), "install.options.hddev", "is not a list"),
    (lambda d: d["install"]["options"].update(hddev=["vda"]), "install.options.hddev[0]", "/dev/vda"),
    (lambda d: d["install"]["options"].update(hddev=["/dev/sda", "/dev/sda"]), "install.options.hddev[1]",
     "listed twice"),
    (lambda d: d["install"]["options"].update(swapsize=0), "install.options.swapsize", "whole megabytes"),
    (lambda d: d["install"]["options"].update(bootsize="16M"), "install.options.bootsize", "whole megabytes"),
    (lambda d: d["install"]["options"].update(fstype="ext4; reboot"), "install.options.fstype",
     "filesystem type"),
    (lambda d: d["install"]["options"].update(pkgsets="base toolchain"), "install.options.pkgsets",
     "is not a list"),
    (lambda d: d["install"].update(login_prompt="("), "install.login_prompt", "regular expression"),
    (lambda d: d["install"].update(login_prompt=".*"), "install.login_prompt", "matches an empty line"),
    (lambda d: d["install"].pop("login_prompt"), "install.login_prompt", "is required"),
    (lambda d: d["install"].update(force_fdisk_stage2="yes"), "install.force_fdisk_stage2", "true or false"),
    # native
    (lambda d: d["native"].update(tree="usr/src/minifix"), "native.tree", "absolute path"),
    (lambda d: d["native"].update(iso="/images/x.iso"), "native.iso", "relative to native.tree"),
    (lambda d: d["native"].update(iso="../x.iso"), "native.iso", "relative to native.tree"),
    (lambda d: d["native"].update(user="Build User"), "native.user", "is not a user name"),
    (lambda d: d["native"].pop("command"), "native.command", "is required"),
    (lambda d: d["native"].update(success="^"), "native.success", "matches an empty line"),
    (lambda d: d["native"].update(failure=["failed", "x*"]), "native.failure[1]", "matches an empty line"),
    (lambda d: d["native"].update(progress={"regex": "^Building "}), "native.progress.regex", "needs a group"),
    (lambda d: d["native"].update(prompts=[{"expect": "", "secret": "root_password"}]),
     "native.prompts[0].expect", "matches an empty line"),
    (lambda d: d["native"].update(tarballs="build/tarballs"), "native.tarballs", "is relative"),
    (lambda d: d["native"].update(tarballs="{image}/tarballs"), "native.tarballs", "{image} is not a placeholder"),
    (lambda d: d["native"].update(tarballs=["/srv"]), "native.tarballs", "a string or null"),
    # stage1, source
    (lambda d: d["stage1"].update(user="root user"), "stage1.user", "is not a user name"),
    (lambda d: d["stage1"].update(command=["./build", 3]), "stage1.command[1]", "is not a string"),
    (lambda d: d["stage1"].pop("iso"), "stage1.iso", "is required"),
    (lambda d: d["source"].update(tarballs="tarballs"), "source.tarballs", "absolute path"),
    # ssh
    (lambda d: d.update(ssh={"legacy": "openssh-6"}), "ssh.legacy", "dropbear-2013"),
    (lambda d: d.update(ssh={"legacy": "dropbear-2013", "ciphers": []}), "ssh.ciphers", "is not a recipe key"),
    (lambda d: d.update(ssh=None), "ssh", "must be a mapping"),
    # timeouts
    (lambda d: d["timeouts"].update(stage1={"kvm": 300}), "timeouts.stage1", "plain seconds"),
    (lambda d: d["timeouts"].update(buildserver="an hour"), "timeouts.buildserver", "is not a number"),
    # vm.forwards
    (lambda d: d["vm"].update(forwards=[22]), "vm.forwards[0]", "forwarded already"),
    (lambda d: d["vm"].update(forwards=[80, 80]), "vm.forwards[1]", "forwarded already"),
    (lambda d: d["vm"].update(forwards=["http"]), "vm.forwards[0]", "is not a guest TCP port"),
    (lambda d: d["vm"].update(forwards=80), "vm.forwards", "is not a list"),
    # buildserver
    (lambda d: d["buildserver"].pop("feed"), "buildserver.feed", "is required"),
    (lambda d: d["buildserver"].pop("push"), "buildserver.push", "is required"),
    (lambda d: d["buildserver"].update(options="--minimal"), "buildserver.options", "is not a list"),
    (lambda d: d["buildserver"].update(options=["--buildall; rm -rf /"]), "buildserver.options[0]",
     "is not an option"),
    (lambda d: d["buildserver"].update(options=["minimal"]), "buildserver.options[0]", "--minimal"),
    (lambda d: d["buildserver"].update(command="make-buildserver --buildall"), "buildserver.command",
     "is not a command"),
    (lambda d: d["buildserver"].update(failure=[]), "buildserver.failure", "group 1 names the package"),
    (lambda d: d["buildserver"].update(failure=["building \\S+ failed"]), "buildserver.failure[0]",
     "needs a group"),
    (lambda d: d["buildserver"].update(progress={"regex": "^Building"}), "buildserver.progress.regex",
     "needs a group"),
    (lambda d: d["buildserver"].update(tree="src/minifix"), "buildserver.tree", "absolute path"),
    (lambda d: d["buildserver"].update(logs="/var/log"), "buildserver.logs", "relative to the tree"),
    (lambda d: d["buildserver"]["feed"].update(path="/var/www/minifix"), "buildserver.feed.path",
     "under the web root /srv/www"),
    (lambda d: d["buildserver"]["feed"].update(path="/srv/www/../etc"), "buildserver.feed.path", "web root"),
    (lambda d: d["buildserver"]["feed"].update(port=0), "buildserver.feed.port", "is not a TCP port"),
    (lambda d: d["buildserver"]["feed"].update(name="my feed"), "buildserver.feed.name", "opkg's src NAME"),
    (lambda d: d["buildserver"]["feed"].update(owner="Build User"), "buildserver.feed.owner",
     "is not a user name"),
    (lambda d: d["buildserver"]["feed"].update(colour="red"), "buildserver.feed.colour", "is not a recipe key"),
    (lambda d: d["buildserver"]["push"].update(user=""), "buildserver.push.user", "is not a user name"),
    (lambda d: d["buildserver"]["push"].update(command="push-packages && reboot"), "buildserver.push.command",
     "is not a command"),
    (lambda d: d["buildserver"].update(service="web server"), "buildserver.service", "is not a service"),
])
def test_bad_recipes_name_the_field(change, field, hint):
    with pytest.raises(SpecError) as err:
        validate(_with(change))
    assert err.value.field == field, str(err.value)
    assert hint in str(err.value)


@pytest.mark.parametrize("name, feed", [("minifix", "/minifix"), ("aloofix-0.9", "/aloofix")])
def test_shipped_buildservers(name, feed):
    """Aloofix's build server procedure: make-buildserver as root in the tree, httpd, /srv/www/<distro> owned by
    build, push-packages as build; failures name the package (group 1) so its build logs can be fetched."""
    recipe = validate(load(name))
    server = recipe["buildserver"]
    assert server["tree"] == recipe["native"]["tree"] and server["command"] == "./scripts/make-buildserver"
    assert server["feed"]["url_path"] == feed and server["feed"]["owner"] == "build" and server["service"] == "httpd"
    assert server["push"] == {"command": "./scripts/push-packages", "user": "build"}
    assert 80 in recipe["vm"]["forwards"]
    for line, package in (("building rsync failed", "rsync"), ("build for perl failed", "perl"),
                          ("installation of bash failed", "bash")):
        matches = [re.search(p, line) for p in server["failure"]]
        assert any(m and m.group(1) == package for m in matches), line
    assert re.search(server["success"], "Finished: Sat Jun  8 12:00:00 UTC 2013")


def test_recipe_without_a_buildserver_section():
    recipe = validate(_with(lambda d: d.pop("buildserver")))
    assert recipe["buildserver"] is None and recipe["timeouts"]["buildserver"]["kvm"] > 0


def test_per_accelerator_timeouts():
    recipe = validate(_with(lambda d: d["timeouts"].update(boot=60, native={"kvm": 900, "tcg": 3600})))
    assert recipe["timeouts"]["boot"] == {"kvm": 60.0, "tcg": 240.0}
    assert baseline_timeouts(recipe, "tcg")["native"] == 900.0  # 3600 s under TCG = 900 s scaled by 4
    assert baseline_timeouts(recipe, "kvm")["native"] == 900.0
    recipe = validate(_with(lambda d: d["timeouts"].update(native={"kvm": 900, "tcg": 7200})))
    assert baseline_timeouts(recipe, "tcg")["native"] == 1800.0


def test_optional_keys_get_their_defaults():
    def strip(d):
        d.pop("ssh")
        d["native"].pop("tarballs")
        for key in ("machine", "vcpus", "cpu"):
            d["vm"].pop(key)
        for key in ("command", "options", "force_fdisk_stage2"):
            d["install"].pop(key)
    recipe = validate(_with(strip))
    assert recipe["ssh"] == {"legacy": None}
    assert (recipe["vm"]["machine"], recipe["vm"]["vcpus"], recipe["vm"]["cpu"]) == ("pc", 1, None)
    assert recipe["install"]["command"] == "install2hd" and recipe["install"]["options"] == {}
    assert recipe["install"]["force_fdisk_stage2"] is True and recipe["native"]["tarballs"] is None
    recipe = validate(_with(lambda d: [d["vm"].pop(k) for k in ("disk_bus", "cdrom_bus")]
                            + [d["native"].pop(k) for k in ("prompts", "success", "failure", "progress")]))
    assert (recipe["vm"]["disk_bus"], recipe["vm"]["cdrom_bus"]) == ("virtio", "ide")
    assert recipe["native"]["prompts"] == [] and recipe["native"]["failure"] == []
    assert recipe["native"]["success"] is None and recipe["native"]["progress"] is None


def test_every_install2hd_option_is_accepted():
    options = {"hddev": ["/dev/sda", "/dev/sdb"], "fstype": "ext4", "bootsize": 16, "swapsize": 64,
               "pkgsets": ["base", "toolchain"]}
    recipe = validate(_with(lambda d: d["install"].update(options=options)))
    assert recipe["install"]["options"] == options
    # The recipe's option names are the install2hd action's, and hddev's list reaches --hddev as one word.
    assert set(INSTALL_OPTIONS) == {key for key, _unused in install2hd.OPTION_FLAGS}
    assert install2hd.install_argv(options, "install2hd")[1] == "--hddev=/dev/sda /dev/sdb"
    assert install2hd.install_argv({}, "/mnt/cdrom/bin/install2hd") == ["/mnt/cdrom/bin/install2hd"]


@pytest.mark.parametrize("value, hosts, expected", [
    (None, ["localhost"], "/tree/build/tarballs"),  # the stage-1 tree's cache when it is on the controller
    (None, ["builder1"], None),  # a remote build host's cache is not on the controller
    ("{images}/stage1/src/build/tarballs", ["localhost"], "/images/minifix/stage1/src/build/tarballs"),
    ("{checkout}/seed/../tarballs", ["builder1"], "/checkout/tarballs"),
    ("/srv/tarballs", ["builder1"], "/srv/tarballs"),
])
def test_native_tarballs_resolve_on_the_controller(value, hosts, expected):
    mapping = {"checkout": "/checkout", "tree": "/tree", "images": "/images/minifix", "python": "python3"}
    assert _native_tarballs(value, hosts, mapping) == expected


def test_native_tarballs_in_a_remote_tree_are_refused():
    mapping = {"checkout": "/checkout", "tree": "/tree", "images": "/images/x", "python": "python3"}
    with pytest.raises(SpecError) as err:
        _native_tarballs("{tree}/build/tarballs", ["builder1"], mapping)
    assert err.value.field == "native.tarballs" and "on the build host" in str(err.value)


def test_default_vm_names_are_unique_per_checkout_and_valid():
    from ansible_collections.aloofix.buildstrap.plugins.module_utils.pipeline import recipe as recipes
    from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.spec import check_name

    a = recipes.owner("/work/a", "root", "hv")
    b = recipes.owner("/work/b", "root", "hv")
    assert a == "root@hv:/work/a"
    names = {recipes.default_vm_name("minifix", o) for o in (a, b, recipes.owner("/work/a", "alice", "hv"))}
    assert len(names) == 3, "another checkout or user gets another VM"
    assert recipes.default_vm_name("minifix", a) == recipes.default_vm_name("minifix", a), "stable across runs"
    for name in names:
        assert check_name(name) and name.startswith("minifix-buildstrap-")
