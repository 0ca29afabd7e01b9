"""Real feeds for the feed tests: .opk files built with tarfile/gzip as build-pkg builds them, a ``Packages``
index as build-pkg writes it, and the directory served by http.server on 127.0.0.1 in a thread."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import tarfile
import threading
from pathlib import Path

import pytest


def _tgz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1700000000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def make_opk(directory: Path, name: str, version: str, arch: str, payload: bytes, depends: str = "") -> str:
    """Write ``<name>_<version>_<arch>.opk`` and ``<name>.control`` (control + Filename, Size, sums)."""
    control = (f"Package: {name}\nVersion: {version}\nArchitecture: {arch}\nSource: test\nMaintainer: test\n"
               f"License: GPL-2.0\nPriority: optional\nSection: base\n"
               + (f"Depends: {depends}\n" if depends else "") + f"Description: test package {name}\n")
    filename = f"{name}_{version}_{arch}.opk"
    data = _tgz({"./debian-binary": b"2.0\n", "./control.tar.gz": _tgz({"./control": control.encode()}),
                 "./data.tar.gz": _tgz({f"./usr/share/{name}/payload": payload})})
    (directory / filename).write_bytes(data)
    (directory / f"{name}.control").write_text(
        control + f"Filename: {filename}\nSize: {len(data)}\nMD5sum: {hashlib.md5(data).hexdigest()}\n"
        f"SHA256sum: {hashlib.sha256(data).hexdigest()}\n")
    return filename


def write_index(directory: Path) -> None:
    """``Packages`` = every .control followed by an empty line (build-pkg's regenerate_index); the .control
    files are then removed, as a served feed holds only Packages and the .opk files."""
    controls = sorted(directory.glob("*.control"))
    (directory / "Packages").write_text("".join(c.read_text() + "\n" for c in controls))
    for control in controls:
        control.unlink()


def build_feed(directory: Path) -> dict:
    """A small minifix-like feed: a big incompressible package (several 1 MiB chunks) and a few small ones."""
    directory.mkdir(parents=True, exist_ok=True)
    rnd = hashlib.sha256(b"seed").digest()
    big = b"".join(hashlib.sha256(rnd + i.to_bytes(4, "big")).digest() for i in range(3 * 32768 + 100))
    names = [make_opk(directory, "busybox", "1.36.1-1", "i686", big, "glibc-lib, busybox-license"),
             make_opk(directory, "busybox-license", "1.36.1-1", "noarch", b"GPL-2.0\n" * 100),
             make_opk(directory, "glibc-lib", "2.36-9", "i686", b"\x7fELF" + bytes(range(256)) * 64),
             make_opk(directory, "dropbear", "2013.58-2", "i686", b"dropbear" * 1000, "glibc-lib")]
    write_index(directory)
    return {"dir": directory, "files": names}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        pass


@pytest.fixture
def serve():
    """``serve(directory)`` -> the directory's base URL on 127.0.0.1; every server is shut down afterwards."""
    servers = []

    def _serve(directory: Path, handler=_QuietHandler) -> str:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                 functools.partial(handler, directory=str(directory.parent)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/{directory.name}"

    yield _serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def feed(tmp_path):
    return build_feed(tmp_path / "minifix")
