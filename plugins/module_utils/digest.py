# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sha256 of files, the one digest every artifact, cache key and upload comparison uses."""

from __future__ import annotations

import hashlib


def file_sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return stream_sha256(handle)


def stream_sha256(handle) -> str:
    """sha256 of what an open binary file holds from its current position to its end."""
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()
