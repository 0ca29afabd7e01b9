"""minifix's shell opkg: the opkg 0.1.8 commands and output formats the guest modules read (list-upgradable,
info, status, upgrade, list globs, URL installs), run with the host's /bin/sh against a scratch feed."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import opkg as parse
from tests.conftest import ROOT

OPKG = ROOT / "recipes" / "minifix" / "specs" / "pkgs" / "opkg" / "usr" / "bin" / "opkg"
# The host's sh by default; MINIFIX_SHELL="/path/to/busybox ash" runs the same under minifix's own shell.
SHELL = os.environ.get("MINIFIX_SHELL", "sh").split()


def _tgz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.GNU_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def make_opk(directory, name, version, files, depends=""):
    control = f"Package: {name}\nVersion: {version}\nArchitecture: noarch\nDescription: test {name}\n"
    if depends:
        control += f"Depends: {depends}\n"
    opk = directory / f"{name}_{version}_noarch.opk"
    opk.write_bytes(_tgz({"./debian-binary": b"2.0\n", "./control.tar.gz": _tgz({"./control": control.encode()}),
                          "./data.tar.gz": _tgz(files)}))
    data = opk.read_bytes()
    return control + f"Filename: {opk.name}\nSize: {len(data)}\nSHA256sum: {hashlib.sha256(data).hexdigest()}\n"


@pytest.fixture
def env(tmp_path):
    feed, root = tmp_path / "feed", tmp_path / "root"
    feed.mkdir()
    root.mkdir()
    conf = tmp_path / "opkg.conf"
    conf.write_text(f"option tmp_dir {tmp_path}\ndest root /\narch noarch 1\nsrc test file://{feed}\n")

    def opkg(*args, check=True):
        return subprocess.run([*SHELL, str(OPKG), "-f", str(conf), "-o", str(root), *args],
                              capture_output=True, text=True, check=check)

    def publish(*stanzas):
        (feed / "Packages").write_text("\n".join(stanzas))
        opkg("update")

    return feed, root, opkg, publish


def test_upgrade_list_upgradable_info_status(env):
    feed, root, opkg, publish = env
    publish(make_opk(feed, "lib", "1.0-1", {"./usr/lib/lib.so": b"1"}),
            make_opk(feed, "app", "1.0-1", {"./usr/bin/app": b"1", "./usr/share/app/old": b"o"}, "lib"))
    opkg("install", "app")
    assert parse.installed_versions(opkg("list-installed").stdout) == {"app": "1.0-1", "lib": "1.0-1"}
    assert opkg("list-upgradable").stdout == ""
    # a newer app (an older version of it stays in the index: the newest is the candidate)
    publish(make_opk(feed, "lib", "1.0-1", {"./usr/lib/lib.so": b"1"}),
            make_opk(feed, "app", "1.0-1", {"./usr/bin/app": b"1"}, "lib"),
            make_opk(feed, "app", "1.10-1", {"./usr/bin/app": b"2"}, "lib"))
    assert opkg("list-upgradable").stdout == "app - 1.0-1 - 1.10-1\n"
    assert parse.parse_list_upgradable(opkg("list-upgradable").stdout) == [("app", "1.0-1", "1.10-1")]
    status = parse.parse_stanzas(opkg("status", "app").stdout)
    assert [(s["package"], s["version"], s["status"]) for s in status] == [("app", "1.0-1", "install user installed")]
    info = {(s["package"], s["version"]): s["status"] for s in parse.parse_stanzas(opkg("info").stdout)}
    assert info[("app", "1.0-1")] == "install user installed"
    assert ("lib", "1.0-1") in info
    out = opkg("upgrade", "app").stdout
    assert "Upgrading app on root from 1.0-1 to 1.10-1..." in out
    assert (root / "usr/bin/app").read_bytes() == b"2"
    assert not (root / "usr/share/app/old").exists()  # files the new version dropped go
    assert parse.installed_versions(opkg("list-installed").stdout) == {"app": "1.10-1", "lib": "1.0-1"}
    assert "is up to date" in opkg("upgrade", "app").stdout
    assert opkg("list-upgradable").stdout == ""


def test_list_globs_and_url_install(env, tmp_path):
    feed, root, opkg, publish = env
    publish(make_opk(feed, "zlib-lib", "1-1", {"./z": b"z"}), make_opk(feed, "zsh", "1-1", {"./s": b"s"}))
    assert [n for n, _unused, _unused in parse.parse_list(opkg("list", "zlib*").stdout)] == ["zlib-lib"]
    files = tmp_path / "files"
    files.mkdir()
    make_opk(files, "tool", "2-1", {"./usr/bin/tool": b"t"})
    opkg("install", f"file://{files}/tool_2-1_noarch.opk")
    assert opkg("list-installed", "t*").stdout == "tool - 2-1\n"
    assert (root / "usr/bin/tool").exists()
