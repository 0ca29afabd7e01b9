# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The package files on a distro's CD, and the install closure of a few of them, read from their own control
files. Aloofix's CD keeps no ``Packages`` index and its live opkg has no status and no feed, so installing
dropbear there means naming every file of its closure (``<name>-license`` and ``-lib`` packages included) in
one opkg call. Package files are ``<name>_<version>_<arch>.opk``: a gzip'd tar (opkg 0.1.8; an ar archive is
read too) of ``debian-binary``, ``control.tar.gz`` and ``data.tar.gz``."""

from __future__ import annotations

import io
import re
import tarfile

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]*$")


def package_name(filename: str) -> str | None:
    """``dropbear-license_2013.58-2_noarch.opk`` -> ``dropbear-license`` (None for other files)."""
    if not filename.endswith((".opk", ".ipk")) or "_" not in filename:
        return None
    name = filename.split("_", 1)[0]
    return name if _NAME_RE.match(name) else None


def _member(archive: tarfile.TarFile, wanted: str) -> bytes | None:
    for info in archive:
        if info.name.lstrip("./") == wanted and info.isfile():
            return archive.extractfile(info).read()
    return None


def _ar_member(data: bytes, wanted: str) -> bytes | None:
    pos = 8
    while pos + 60 <= len(data):
        header = data[pos:pos + 60]
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        size = int(header[48:58].decode("ascii").strip() or 0)
        if name == wanted:
            return data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size % 2)
    return None


def control_of(data: bytes, label: str) -> dict:
    """The control fields of one package file's bytes."""
    try:
        if data.startswith(b"!<arch>\n"):
            control_tar = _ar_member(data, "control.tar.gz")
        else:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r|gz") as outer:
                control_tar = _member(outer, "control.tar.gz")
        if control_tar is None:
            raise SpecError("ssh_packages", f"{label} has no control.tar.gz; it is not an opkg package")
        with tarfile.open(fileobj=io.BytesIO(control_tar), mode="r|gz") as inner:
            control = _member(inner, "control")
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise SpecError("ssh_packages", f"{label} cannot be read as a package ({exc})") from None
    if control is None:
        raise SpecError("ssh_packages", f"{label} has no control file")
    return parse_control(control.decode("utf-8", "replace"))


def parse_control(text: str) -> dict:
    """Control fields as a dict (continuation lines joined)."""
    fields, key = {}, None
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and key:
            fields[key] += "\n" + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            key = key.strip()
            fields[key] = value.strip()
    return fields


def depends(control: dict) -> list[str]:
    """Package names of the Depends field (first choice of alternatives, versions dropped)."""
    names = []
    for item in (control.get("Depends") or "").split(","):
        name = item.split("|")[0].split("(")[0].strip()
        if name:
            names.append(name)
    return names


def closure(roots: list[str], files: dict[str, str], read_control, field: str = "ssh_packages") -> list[str]:
    """Every package file needed to install ``roots``: ``files`` maps package names to file names, and
    ``read_control(file_name)`` returns a file's control fields. Dependencies come before their dependants."""
    for i, root in enumerate(roots):
        if not _NAME_RE.match(root):
            raise SpecError(f"{field}[{i}]", f"{root!r} is not a package name")
    order, state = [], {}

    def visit(name: str, wanted_by: str | None) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            return  # a dependency cycle: opkg installs the whole set in one call anyway
        if name not in files:
            where = f"{wanted_by!r} depends on {name!r}, which" if wanted_by else f"{name!r}"
            raise SpecError(field, f"{where} is not a package file on the CD's pkgs directory; known: "
                                   f"{', '.join(sorted(files)) or 'none'}")
        state[name] = "visiting"
        for dep in depends(read_control(files[name])):
            visit(dep, name)
        state[name] = "done"
        order.append(files[name])

    for root in roots:
        visit(root, None)
    return order
