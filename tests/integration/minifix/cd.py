"""Reading minifix's CD (pycdlib, Rock Ridge names) and what it carries: the live initrd as a Tree, the
package files with their controls, and the system install2hd makes of a set of them."""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass

from tests.integration.minifix.newc import parse_newc
from tests.integration.minifix.trees import (Node, Tree, add_data, alternatives, opk_members, parse_control,
                                             tree_from_newc)


def read(iso, path: str) -> bytes:
    buf = io.BytesIO()
    iso.get_file_from_iso_fp(buf, rr_path=path)
    return buf.getvalue()


def listdir(iso, path: str) -> list[str]:
    names = []
    for child in iso.list_children(rr_path=path):
        if child.is_dot() or child.is_dotdot():
            continue
        names.append(child.rock_ridge.name().decode())
    return names


@dataclass(frozen=True)
class Package:
    filename: str
    control: dict[str, str]
    data: bytes
    scripts: dict[str, str]

    @property
    def name(self) -> str:
        return self.control["Package"]


def cd_packages(iso) -> dict[str, Package]:
    """Every .opk of the CD's /pkgs, by package name."""
    packages = {}
    for filename in listdir(iso, "/pkgs"):
        if filename.endswith(".opk"):
            control, data, scripts = opk_members(read(iso, f"/pkgs/{filename}"))
            package = Package(filename, parse_control(control), data, scripts)
            packages[package.name] = package
    return packages


def pkgset(iso, name: str) -> list[str]:
    """The file names of package set name (/pkgs/<name>.list)."""
    return read(iso, f"/pkgs/{name}.list").decode().split()


def live_tree(iso) -> Tree:
    """The live initrd as the kernel unpacks it (before its rcS has run)."""
    return tree_from_newc(parse_newc(gzip.decompress(read(iso, "/boot/iso_initrd.gz"))))


def after_busybox_install(tree: Tree, busybox: Package) -> Tree:
    """tree once `/bin/busybox --install -s` has run: every applet link, the alternatives included."""
    result = Tree(dict(tree.nodes))
    for link, _unused in alternatives(busybox.scripts.get("postinst", "")):
        if not result.exists(link):
            result.add(link, Node("link", 0o120777, target="/bin/busybox"))
    return result


def installed_tree(packages: dict[str, Package], filenames: list[str]) -> Tree:
    """What install2hd's packages and add-ons steps leave: the packages' files, bin/sh -> busybox (the
    packages step links it), and the alternatives the postinsts register."""
    by_file = {p.filename: p for p in packages.values()}
    tree = Tree()
    chosen = [by_file[f] for f in filenames]
    for package in chosen:
        add_data(tree, package.data)
    tree.add("bin/sh", Node("link", 0o120777, target="busybox"))
    for package in chosen:
        for link, target in alternatives(package.scripts.get("postinst", "")):
            tree.add(link, Node("link", 0o120777, target=target))
    return tree
