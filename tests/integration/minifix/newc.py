"""Read gzip'd newc cpio archives (the kernel's initramfs format), concatenated members included."""

from __future__ import annotations

import gzip
import stat
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    name: str
    mode: int
    rdev: tuple[int, int]
    data: bytes

    @property
    def is_symlink(self) -> bool:
        return stat.S_ISLNK(self.mode)

    @property
    def is_char_device(self) -> bool:
        return stat.S_ISCHR(self.mode)


def _align4(n: int) -> int:
    return (n + 3) & ~3


def parse_newc(raw: bytes) -> dict[str, Entry]:
    """Every entry of every archive in raw (later entries win, as when the kernel unpacks)."""
    entries: dict[str, Entry] = {}
    pos = 0
    while pos < len(raw):
        if raw[pos:pos + 1] == b"\x00":  # padding between concatenated archives
            pos += 1
            continue
        magic = raw[pos:pos + 6]
        if magic != b"070701":
            raise ValueError(f"bad newc magic {magic!r} at {pos}")
        fields = [int(raw[pos + 6 + 8 * i:pos + 14 + 8 * i], 16) for i in range(13)]
        mode, filesize, rmaj, rmin, namesize = fields[1], fields[6], fields[9], fields[10], fields[11]
        name_start = pos + 110
        name = raw[name_start:name_start + namesize - 1].decode()
        data_start = _align4(name_start + namesize)
        data = raw[data_start:data_start + filesize]
        pos = _align4(data_start + filesize)
        if name == "TRAILER!!!":
            continue
        entries[name.removeprefix("./")] = Entry(name.removeprefix("./"), mode, (rmaj, rmin), data)
    return entries


def read_initramfs(path) -> dict[str, Entry]:
    with open(path, "rb") as f:
        return parse_newc(gzip.decompress(f.read()))
