"""minifix's compiled dropbear, run on this host from the stage-1 build's kept tarball: its KEXINIT is dropbear
2013.58's (the VM tests read the same from the live and installed systems)."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.kexinit import read_kexinit
from tests.unit.ssh.test_kexinit import DROPBEAR_SPEC, ROOT, assert_minifix_dropbear


def _kept_dropbear_tarball(images) -> Path | None:
    """The compiled tarball for the current localoptions.h + compile.sh (as spec.sh names it)."""
    digest = hashlib.sha256((DROPBEAR_SPEC / "localoptions.h").read_bytes()
                            + (DROPBEAR_SPEC / "compile.sh").read_bytes()).hexdigest()[:12]
    pattern = f"dropbear-legacy_*_{digest}_i386.tar.gz"
    for where in (images.out / "src" / "build" / "tarballs" / "dropbear", ROOT / "images" / "cache" / "debs"):
        found = sorted(where.glob(pattern))
        if found:
            return found[-1]
    return None


@pytest.fixture(scope="module")
def minifix_dropbear(tmp_path_factory, minifix):
    tarball = _kept_dropbear_tarball(minifix)
    assert tarball is not None, "stage 1 kept no compiled dropbear for this localoptions.h and compile.sh"
    assert Path("/lib/ld-linux.so.2").exists(), "this host cannot run i386 binaries (make setup installs them)"
    work = tmp_path_factory.mktemp("dropbear")
    with tarfile.open(tarball) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("usr/")]
        tar.extractall(work, members=members, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    keys = []
    for kind, bits in (("rsa", ["-s", "1024"]), ("dss", [])):
        key = work / f"{kind}_host_key"
        subprocess.run([str(work / "usr/bin/dropbearkey"), "-t", kind, *bits, "-f", str(key)],
                       check=True, capture_output=True, timeout=60)
        keys += ["-r", str(key)]
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    proc = subprocess.Popen([str(work / "usr/sbin/dropbear"), "-F", "-E", "-w", "-p", f"127.0.0.1:{port}",
                             "-P", str(work / "pid"), *keys],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"dropbear did not listen: {proc.stderr.read().decode(errors='replace')}")
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def test_minifix_dropbear_offers_2013_algorithms(minifix_dropbear):
    assert_minifix_dropbear(read_kexinit("127.0.0.1", minifix_dropbear, timeout=10))
