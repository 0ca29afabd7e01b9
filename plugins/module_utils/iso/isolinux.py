# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure edits of ISOLINUX configuration text for automation: serial console, default entry, timeout, initrd
overlay. Directive names are case-insensitive in SYSLINUX; labels are kept as written."""

from __future__ import annotations

import re

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError

_DIRECTIVE_RE = re.compile(r"^(\s*)(\S+)(?:\s+(.*))?$")
# Directives that the remaster owns: removed from the original and written anew at the top.
_OWNED_GLOBALS = {"serial", "default", "timeout", "totaltimeout", "ontimeout", "prompt"}


def labels(cfg: str) -> list[dict]:
    """[{label, kernel, menu_label}] in file order."""
    found, current = [], None
    for line in cfg.splitlines():
        match = _DIRECTIVE_RE.match(line)
        if not match or line.lstrip().startswith("#"):
            continue
        key, value = match.group(2).lower(), (match.group(3) or "").strip()
        if key == "label":
            current = {"label": value, "kernel": None, "menu_label": None}
            found.append(current)
        elif current is not None and key in ("kernel", "linux", "com32"):
            current["kernel"] = value.split()[0] if value else None
        elif current is not None and key == "menu" and value.lower().startswith("label"):
            current["menu_label"] = value[5:].strip()
    return found


def is_linux_entry(entry: dict) -> bool:
    kernel = (entry.get("kernel") or "").lower()
    return bool(kernel) and not kernel.endswith((".c32", ".com", ".0", ".bin"))


def remaster_config(cfg: str, default: str, timeout_ds: int, serial: bool = True, serial_port: int = 0,
                    baud: int = 115200, kernel_args: list[str] | None = None,
                    extra_initrd: str | None = None) -> str:
    """Return ``cfg`` with a default entry, a timeout, an optional serial console and, on every Linux entry,
    the extra kernel arguments and the extra initrd (loaded after the entry's own, so it unpacks over it)."""
    entries = labels(cfg)
    if not entries:
        raise SpecError("src", "the ISO's isolinux.cfg defines no label; is it an ISOLINUX boot CD?")
    names = [e["label"] for e in entries]
    if default not in names:
        raise SpecError("default_entry", f"{default!r} is not a label of the ISO's isolinux.cfg; "
                                         f"use one of {', '.join(names)}")
    if not is_linux_entry(entries[names.index(default)]):
        raise SpecError("default_entry", f"label {default!r} does not boot a Linux kernel; use one of "
                                         + ", ".join(e["label"] for e in entries if is_linux_entry(e)))
    args = list(kernel_args or [])
    if serial:
        # The last console= is /dev/console, where getty and the boot messages go: the serial line.
        args = ["console=tty0", f"console=ttyS{serial_port},{baud}"] + args
    out = []
    if serial:
        out.append(f"serial {serial_port} {baud}")  # SYSLINUX wants SERIAL as the first directive
    out += [f"default {default}", f"timeout {timeout_ds}", "prompt 0"]
    out.append("# buildstrap: the directives above were added for unattended boots")

    blocks: list[list[str]] = [[]]
    for line in cfg.splitlines():
        match = _DIRECTIVE_RE.match(line)
        key = match.group(2).lower() if match and not line.lstrip().startswith("#") else ""
        value = (match.group(3) or "").strip().lower() if match else ""
        if key == "label":
            blocks.append([])
        if len(blocks) == 1 and key in _OWNED_GLOBALS:
            continue  # replaced by the directives written above
        if len(blocks) > 1 and key == "menu" and value == "default":
            continue  # menu.c32 would prefer it over the global default
        blocks[-1].append(line)
    out += blocks[0]
    for block, entry in zip(blocks[1:], entries):
        out += _edit_entry(block, args, extra_initrd) if is_linux_entry(entry) else block
    return "\n".join(out).rstrip("\n") + "\n"


def _edit_entry(block: list[str], args: list[str], extra_initrd: str | None) -> list[str]:
    result, has_append, initrd_line = [], False, None
    for line in block:
        match = _DIRECTIVE_RE.match(line)
        key = match.group(2).lower() if match and not line.lstrip().startswith("#") else ""
        if key == "initrd":
            initrd_line = len(result)
            if extra_initrd:
                line = f"{line.rstrip()},{extra_initrd}"
        elif key == "append":
            has_append = True
            value = (match.group(3) or "").strip()
            words = value.split()
            if extra_initrd and initrd_line is None:
                if any(w.startswith("initrd=") for w in words):
                    words = [f"{w},{extra_initrd}" if w.startswith("initrd=") else w for w in words]
                else:
                    words.append(f"initrd={extra_initrd}")
            words = [w for w in words if not w.startswith("console=")] + args
            line = f"{match.group(1)}append {' '.join(words)}"
        result.append(line)
    if not has_append:
        indent = "  "
        words = list(args)
        if extra_initrd and initrd_line is None:
            words.append(f"initrd={extra_initrd}")
        result.append(f"{indent}append {' '.join(words)}")
    return result
