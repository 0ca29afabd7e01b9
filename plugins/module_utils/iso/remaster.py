# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Remastering an ISOLINUX CD with pycdlib: a new ISO with a serial console, a default entry with a timeout,
and an initrd overlay. The source ISO is only read. Output is reproducible: pycdlib stamps new directory
records with the current time, so those stamps are pinned to the source ISO's own creation date."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import time

from ansible_collections.aloofix.buildstrap.plugins.module_utils.digest import file_sha256, stream_sha256
from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.iso import isolinux
from ansible_collections.aloofix.buildstrap.plugins.module_utils.iso import packages as cdpkgs
from ansible_collections.aloofix.buildstrap.plugins.module_utils.iso.cpio import newc_gz
from ansible_collections.aloofix.buildstrap.plugins.module_utils.iso.overlay import overlay_entries

try:
    import pycdlib
    from pycdlib.pycdlibexception import PyCdlibException
    HAS_PYCDLIB = True
except ImportError:
    HAS_PYCDLIB = False

# Where ISOLINUX looks for its configuration (Aloofix: /boot/isolinux; most others: /isolinux).
CFG_CANDIDATES = ("/boot/isolinux/isolinux.cfg", "/isolinux/isolinux.cfg", "/isolinux.cfg")
OVERLAY_NAME = "bsovrlay.gz"  # 8.3, so the ISO9660, Joliet and Rock Ridge names agree


class _FixedClock:
    """Stands in for the time module inside pycdlib while it writes."""

    def __init__(self, epoch: float):
        self._epoch = epoch

    def time(self):
        return self._epoch

    def localtime(self, seconds=None):
        return time.gmtime(self._epoch if seconds is None else seconds)

    def __getattr__(self, name):
        return getattr(time, name)


@contextlib.contextmanager
def reproducible(epoch: float):
    modules = [m for m in (getattr(pycdlib, n, None) for n in ("pycdlib", "headervd", "dates", "inplaceeditor",
                                                               "udf")) if m is not None and hasattr(m, "time")]
    saved = [(m, m.time) for m in modules]
    try:
        for module, _unused in saved:
            module.time = _FixedClock(epoch)
        yield
    finally:
        for module, original in saved:
            module.time = original


def _names(iso, path: str) -> dict:
    """pycdlib keyword arguments naming ``path`` in every namespace the ISO has."""
    parts = path.strip("/").split("/")
    iso_path = "/" + "/".join(p.upper() for p in parts[:-1] + [parts[-1].upper() + ";1"])
    names = {"iso_path": iso_path}
    if iso.has_rock_ridge():
        names["rr_name"] = parts[-1]
    if iso.has_joliet():
        names["joliet_path"] = path
    return names


def _facade_read(iso, path: str) -> bytes | None:
    """Read ``path`` through Rock Ridge, Joliet, or plain ISO9660 names, whichever the ISO has."""
    lookups = []
    if iso.has_rock_ridge():
        lookups.append({"rr_path": path})
    if iso.has_joliet():
        lookups.append({"joliet_path": path})
    lookups.append({"iso_path": _names(iso, path)["iso_path"]})
    for kwargs in lookups:
        out = io.BytesIO()
        try:
            iso.get_file_from_iso_fp(out, **kwargs)
            return out.getvalue()
        except PyCdlibException:
            continue
    return None


def _iso_path_of(iso, path: str) -> str | None:
    """The ISO9660 path of the record that ``path`` names (Rock Ridge names may differ from ISO9660 ones)."""
    try:
        if iso.has_rock_ridge():
            record = iso.get_record(rr_path=path)
        elif iso.has_joliet():
            record = iso.get_record(joliet_path=path)
        else:
            record = iso.get_record(iso_path=_names(iso, path)["iso_path"])
    except PyCdlibException:
        return None
    return iso.full_path_from_dirrecord(record)


def _list_files(iso, path: str) -> list[str]:
    """File names in a directory of the ISO (Rock Ridge names when it has them)."""
    if iso.has_rock_ridge():
        kwargs = {"rr_path": path}
    elif iso.has_joliet():
        kwargs = {"joliet_path": path}
    else:
        kwargs = {"iso_path": path.upper()}
    try:
        children = list(iso.list_children(**kwargs))
    except PyCdlibException:
        return []
    names = []
    for child in children:
        if child is None or child.is_dot() or child.is_dotdot() or child.is_dir():
            continue
        if "rr_path" in kwargs and child.rock_ridge is not None:
            names.append(child.rock_ridge.name().decode())
        else:
            names.append(child.file_identifier().decode().split(";")[0].lower())
    return names


def ssh_closure(iso, roots: list[str], pkgs_dir: str = "/pkgs") -> list[str]:
    """The package files (under ``pkgs_dir``) that install ``roots`` and their dependencies, read from each
    package's own control file: the CD keeps no Packages index."""
    files = {}
    for filename in sorted(_list_files(iso, pkgs_dir)):
        name = cdpkgs.package_name(filename)
        if name:
            files[name] = filename  # sorted: the newest version of a name wins
    controls = {}

    def read_control(filename: str) -> dict:
        if filename not in controls:
            data = _facade_read(iso, f"{pkgs_dir}/{filename}")
            if data is None:
                raise SpecError("ssh_packages", f"{pkgs_dir}/{filename} cannot be read from the ISO")
            controls[filename] = cdpkgs.control_of(data, f"{pkgs_dir}/{filename}")
        return controls[filename]

    return cdpkgs.closure(roots, files, read_control)


def finish(tmp: str | None, dest: str, check_mode: bool) -> None:
    """Move the written ISO into place, or, in check mode, drop it (None: check mode wrote no file)."""
    if tmp is None:
        return
    if check_mode:
        os.unlink(tmp)
    else:
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)


def remaster(src: str, dest: str, default_entry: str, timeout_ds: int, serial: bool, serial_port: int,
             baud: int, kernel_args: list[str], authorized_keys: list[str] | None,
             ssh_packages: list[str], host_key_types: list[str] | None = None, check_mode: bool = False) -> dict:
    """Write the remastered ISO to ``dest`` (atomically). Returns facts about what was done.

    In check mode the ISO is written only to an anonymous temporary file, for its sha256: no file appears next
    to ``dest`` and the returned path is None."""
    if not HAS_PYCDLIB:
        raise SpecError("src", "pycdlib is not installed on the controller")
    if not os.path.isfile(src):
        raise SpecError("src", f"{src} does not exist; build the distro's ISO first or fix the path")
    if os.path.abspath(src) == os.path.abspath(dest):
        raise SpecError("dest", "must differ from src: the original ISO is never modified")
    if authorized_keys is not None:
        overlay_entries(authorized_keys, [], host_key_types)  # bad keys are refused before the ISO is read
    iso = pycdlib.PyCdlib()
    try:
        iso.open(src)
    except PyCdlibException as exc:
        raise SpecError("src", f"{src} is not an ISO9660 image ({exc})") from None
    try:
        if iso.eltorito_boot_catalog is None:
            raise SpecError("src", f"{src} has no El Torito boot record; only ISOLINUX boot CDs can be remastered")
        cfg_path = next((c for c in CFG_CANDIDATES if _facade_read(iso, c) is not None), None)
        if cfg_path is None:
            raise SpecError("src", f"{src} has no isolinux.cfg (looked in {', '.join(CFG_CANDIDATES)}); "
                                   "only ISOLINUX boot CDs can be remastered")
        original_cfg = _facade_read(iso, cfg_path).decode("utf-8", errors="replace")
        closure, overlay = [], None
        if authorized_keys is not None:
            closure = ssh_closure(iso, ssh_packages) if ssh_packages else []
            overlay = newc_gz(overlay_entries(authorized_keys, closure, host_key_types))
        new_cfg = isolinux.remaster_config(
            original_cfg, default_entry, timeout_ds, serial, serial_port, baud, kernel_args,
            f"/{OVERLAY_NAME}" if overlay is not None else None)
        epoch = _creation_epoch(iso, src)
        cfg_iso_path = _iso_path_of(iso, cfg_path)
        with reproducible(epoch):
            _rm(iso, cfg_iso_path, cfg_path)
            data = new_cfg.encode()
            names = _names(iso, cfg_path)
            names["iso_path"] = cfg_iso_path
            iso.add_fp(io.BytesIO(data), len(data), **names)
            if overlay is not None:
                iso.add_fp(io.BytesIO(overlay), len(overlay), **_names(iso, f"/{OVERLAY_NAME}"))
            if check_mode:
                tmp = None
                with tempfile.TemporaryFile(prefix="iso_remaster-check-") as scratch:  # unlinked at once
                    iso.write_fp(scratch)
                    scratch.seek(0)
                    digest = stream_sha256(scratch)
            else:
                directory = os.path.dirname(os.path.abspath(dest))
                fd, tmp = tempfile.mkstemp(dir=directory, prefix=".iso_remaster-", suffix=".iso")
                os.close(fd)
            try:
                if tmp is not None:
                    iso.write(tmp)
                    digest = file_sha256(tmp)
                changed = not (os.path.exists(dest) and file_sha256(dest) == digest)
                result = {"changed": changed, "sha256": digest, "isolinux_cfg_path": cfg_path,
                          "isolinux_cfg": new_cfg, "entries": isolinux.labels(original_cfg),
                          "overlay": f"/{OVERLAY_NAME}" if overlay is not None else None,
                          "ssh_closure": closure,
                          "overlay_sha256": hashlib.sha256(overlay).hexdigest() if overlay else None}
                return result, tmp
            except BaseException:
                if tmp is not None:
                    os.unlink(tmp)
                raise
    finally:
        iso.close()


def _rm(iso, iso_path: str, path: str) -> None:
    kwargs = {"joliet_path": path} if iso.has_joliet() else {}
    try:
        iso.rm_file(iso_path=iso_path, **kwargs)
    except PyCdlibException as exc:
        raise SpecError("src", f"cannot replace {path} in the ISO: {exc}") from None


def _creation_epoch(iso, src: str) -> float:
    """The source ISO's creation date as seconds since the epoch (its file mtime if the date is unset)."""
    pvd = iso.pvds[0] if getattr(iso, "pvds", None) else None
    date = getattr(pvd, "volume_creation_date", None) if pvd else None
    try:
        if date is not None and date.year:
            return float(time.mktime((date.year, date.month, date.dayofmonth, date.hour, date.minute,
                                      date.second, 0, 0, 0)) - time.timezone)
    except (OverflowError, ValueError, AttributeError):
        pass
    return float(int(os.path.getmtime(src)))
