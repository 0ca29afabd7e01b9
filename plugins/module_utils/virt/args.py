# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument-spec pieces shared by the libvirt modules (documented in doc_fragments/libvirt.py)."""

from __future__ import annotations

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.api import DEFAULT_POOL, DEFAULT_URI


def connection_argument_spec() -> dict:
    return {
        "uri": {"type": "str", "default": DEFAULT_URI},
        "pool": {"type": "str", "default": DEFAULT_POOL},
    }


def accel_argument_spec() -> dict:
    return {
        "accel": {"type": "str", "default": "auto", "choices": ["auto", "kvm", "tcg"]},
        "timeout": {"type": "float", "default": 30},
    }


def domain_argument_spec(timeout: float = 60) -> dict:
    """Options of the modules that talk to one running domain (doc fragment libvirt.domain)."""
    return {
        "name": {"type": "str", "required": True},
        "uri": {"type": "str", "default": DEFAULT_URI},
        "timeout": {"type": "float", "default": timeout},
        "transcript": {"type": "path"},
    }
