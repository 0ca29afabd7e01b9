# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deadlines scaled by the accelerator in use. Pure: no libvirt, so ssh/ and the action plugins can scale a
timeout without importing the accelerator probe (virt/accel.py)."""

from __future__ import annotations

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError

# Deadlines in the project are written for KVM and multiplied by this for the accelerator in use.
TIMEOUT_SCALE = {"kvm": 1.0, "tcg": 4.0}


def scaled(seconds: float, accel: str) -> float:
    """``seconds`` (a deadline written for KVM) for a guest running under ``accel``."""
    try:
        return seconds * TIMEOUT_SCALE[accel]
    except KeyError:
        raise SpecError("accel", f"{accel!r} is not valid; use {' or '.join(TIMEOUT_SCALE)}") from None
