"""Virtual file trees of minifix's images, read without unpacking: the live initrd (newc cpio) and the
installed system (the data of a package set's .opk files). Paths resolve through symbolic links inside
the tree, so `/sbin/mkfs.ext4 -> ../usr/sbin/mke2fs` or `/bin/sh -> busybox` are checked for real.
Also: the Depends closure of packages from their control files, and the DT_NEEDED libraries of ELF
files."""

from __future__ import annotations

import io
import posixpath
import re
import stat
import struct
import tarfile
from dataclasses import dataclass, field


@dataclass
class Node:
    kind: str  # "file", "dir" or "link"
    mode: int = 0
    target: str = ""
    data: bytes = b""


@dataclass
class Tree:
    nodes: dict[str, Node] = field(default_factory=dict)

    def add(self, path: str, node: Node) -> None:
        path = path.strip("/").removeprefix("./").strip("/")
        if not path or path == ".":
            return
        parts = path.split("/")
        for i in range(1, len(parts)):
            self.nodes.setdefault("/".join(parts[:i]), Node("dir", 0o40755))
        self.nodes[path] = node

    def resolve(self, path: str, depth: int = 0) -> str | None:
        """The tree path that path names after following every link, or None when it does not exist."""
        if depth > 40:
            return None
        parts = [p for p in path.split("/") if p not in ("", ".")]
        cur: list[str] = []
        for i, part in enumerate(parts):
            if part == "..":
                if cur:
                    cur.pop()
                continue
            node = self.nodes.get("/".join(cur + [part]))
            if node is None:
                return None
            if node.kind == "link":
                base = "" if node.target.startswith("/") else "/".join(cur)
                rest = "/".join(parts[i + 1:])
                return self.resolve("/" + "/".join(p for p in (base, node.target.lstrip("/"), rest) if p),
                                    depth + 1)
            cur.append(part)
        return "/".join(cur)

    def exists(self, path: str) -> bool:
        return self.resolve(path) is not None

    def node(self, path: str) -> Node | None:
        real = self.resolve(path)
        return None if real is None else self.nodes.get(real) if real else Node("dir", 0o40755)

    def is_executable(self, path: str) -> bool:
        node = self.node(path)
        return node is not None and node.kind == "file" and bool(node.mode & 0o111)

    def link(self, path: str) -> str | None:
        node = self.nodes.get(path.strip("/"))
        return node.target if node is not None and node.kind == "link" else None


def tree_from_newc(entries) -> Tree:
    """A Tree of parsed newc entries (tests.integration.minifix.newc.parse_newc)."""
    tree = Tree()
    for name, entry in entries.items():
        if stat.S_ISLNK(entry.mode):
            tree.add(name, Node("link", entry.mode, target=entry.data.decode()))
        elif stat.S_ISDIR(entry.mode):
            tree.add(name, Node("dir", entry.mode))
        else:
            tree.add(name, Node("file", entry.mode, data=entry.data))
    return tree


def opk_members(opk: bytes) -> tuple[str, bytes, dict[str, str]]:
    """(control text, data.tar.gz bytes, maintainer scripts) of a .opk (a gzip'd tar of three members)."""
    with tarfile.open(fileobj=io.BytesIO(opk), mode="r:gz") as outer:
        data = outer.extractfile("./data.tar.gz").read()
        with tarfile.open(fileobj=outer.extractfile("./control.tar.gz"), mode="r:gz") as ctl:
            scripts = {}
            control = ""
            for member in ctl.getmembers():
                if not member.isfile():
                    continue
                name = member.name.removeprefix("./")
                text = ctl.extractfile(member).read().decode()
                if name == "control":
                    control = text
                else:
                    scripts[name] = text
    return control, data, scripts


def add_data(tree: Tree, data: bytes) -> list[str]:
    """Add a package's data.tar.gz to tree; return the paths it holds."""
    paths = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.issym():
                tree.add(member.name, Node("link", member.mode, target=member.linkname))
            elif member.isdir():
                tree.add(member.name, Node("dir", member.mode))
            elif member.isfile():
                tree.add(member.name, Node("file", member.mode, data=tar.extractfile(member).read()))
            else:
                continue
            paths.append(member.name.removeprefix("./").strip("/"))
    return paths


ALTERNATIVE = re.compile(r"^update-alternatives --install (\S+) (\S+) (\S+) (\d+)$", re.MULTILINE)


def alternatives(postinst: str) -> list[tuple[str, str]]:
    """(link, target) of every `update-alternatives --install` of a postinst."""
    return [(m.group(1), m.group(3)) for m in ALTERNATIVE.finditer(postinst)]


def parse_control(text: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)


def depends(control: dict[str, str]) -> list[str]:
    return [d.strip().split(" ")[0] for d in control.get("Depends", "").split(",") if d.strip()]


def closure(roots: list[str], controls: dict[str, dict[str, str]], installed: set[str] = frozenset()) -> set[str]:
    """The packages an opkg call naming roots needs, given the packages' controls (name -> control)."""
    need: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in need or name in installed:
            continue
        if name not in controls:
            raise KeyError(name)
        need.add(name)
        todo.extend(depends(controls[name]))
    return need


# --- ELF ---------------------------------------------------------------------------------------------

LIB_DIRS = ("lib/i386-linux-gnu", "usr/lib/i386-linux-gnu", "lib", "usr/lib")


def elf_needed(data: bytes) -> tuple[str | None, list[str]] | None:
    """(interpreter, DT_NEEDED names) of a 32-bit little-endian ELF file; None for anything else."""
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        return None
    phoff, = struct.unpack_from("<I", data, 0x1C)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x2A)
    loads, dynamic, interp = [], None, None
    for i in range(phnum):
        p_type, p_offset, p_vaddr, _unused, p_filesz, _unused, _unused, _unused = struct.unpack_from("<8I", data, phoff + i * phentsize)
        if p_type == 1:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == 2:
            dynamic = (p_offset, p_filesz)
        elif p_type == 3:
            interp = data[p_offset:p_offset + p_filesz].rstrip(b"\0").decode()
    if dynamic is None:
        return interp, []
    entries, strtab = [], None
    off, end = dynamic[0], dynamic[0] + dynamic[1]
    while off + 8 <= end:
        tag, val = struct.unpack_from("<iI", data, off)
        off += 8
        if tag == 0:
            break
        if tag == 5:
            strtab = val
        entries.append((tag, val))
    if strtab is None:
        return interp, []
    for vaddr, offset, size in loads:
        if vaddr <= strtab < vaddr + size:
            strtab = strtab - vaddr + offset
            break
    names = []
    for tag, val in entries:
        if tag == 1:
            start = strtab + val
            names.append(data[start:data.index(b"\0", start)].decode())
    return interp, names


def missing_libraries(tree: Tree) -> dict[str, list[str]]:
    """ELF file -> the interpreter and libraries it needs that the tree lacks. (SYSLINUX's .c32 modules are
    ELF files too; SYSLINUX, not ld.so, loads them and their libraries.)"""
    missing: dict[str, list[str]] = {}
    for path, node in sorted(tree.nodes.items()):
        if node.kind != "file" or path.endswith(".c32"):
            continue
        info = elf_needed(node.data)
        if info is None:
            continue
        interp, needed = info
        lacks = [interp] if interp and not tree.exists(interp) else []
        lacks += [lib for lib in needed if not any(tree.exists(posixpath.join(d, lib)) for d in LIB_DIRS)]
        if lacks:
            missing[path] = lacks
    return missing
