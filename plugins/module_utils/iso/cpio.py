# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A reproducible writer of the cpio 'newc' format the Linux kernel unpacks as an initramfs.

Python's standard library reads no cpio and writes none; the format is a fixed 110-byte ASCII header per
entry, so a small writer with zeroed timestamps and owners gives byte-identical archives for equal input.
"""

from __future__ import annotations

import gzip
import io
import stat

S_DIR, S_FILE, S_LINK = stat.S_IFDIR, stat.S_IFREG, stat.S_IFLNK


def _entry(name: str, mode: int, data: bytes, ino: int) -> bytes:
    name_bytes = name.encode() + b"\x00"
    header = "070701" + "".join(f"{v:08X}" for v in (
        ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, 0, len(data), 0, 0, 0, 0, len(name_bytes), 0))
    out = header.encode() + name_bytes
    out += b"\x00" * (-len(out) % 4)
    out += data + b"\x00" * (-len(data) % 4)
    return out


def newc(entries: list[tuple[str, int, bytes]]) -> bytes:
    """entries: (path without leading '/', mode including the file type, content or link target)."""
    out = io.BytesIO()
    for ino, (name, mode, data) in enumerate(entries, start=1):
        out.write(_entry(name.lstrip("/"), mode, data, ino))
    out.write(_entry("TRAILER!!!", 0, b"", 0))
    return out.getvalue()


def newc_gz(entries: list[tuple[str, int, bytes]]) -> bytes:
    """Gzip with mtime 0, so equal entries give equal bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9, filename="") as gz:
        gz.write(newc(entries))
    return buf.getvalue()


def read_newc(data: bytes) -> list[tuple[str, int, bytes]]:
    """The reverse, for tests and for inspecting an existing initrd."""
    entries, pos = [], 0
    while pos + 110 <= len(data):
        header = data[pos:pos + 110]
        if header[:6] not in (b"070701", b"070702"):
            raise ValueError(f"not a newc cpio header at offset {pos}")
        fields = [int(header[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = fields[1], fields[6], fields[11]
        pos += 110
        name = data[pos:pos + namesize - 1].decode()
        pos += namesize + (-(110 + namesize) % 4)
        content = data[pos:pos + size]
        pos += size + (-size % 4)
        if name == "TRAILER!!!":
            break
        entries.append((name, mode, content))
    return entries
