"""read_kexinit against real peers on this host: minifix's compiled dropbear (when its kept tarball and the
i386 loader are here) and a socket replaying the exact bytes that dropbear sent, plus broken peers."""

from __future__ import annotations

import base64
import socket
import threading
import time
from pathlib import Path

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import WaitTimeout
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.kexinit import (
    NAME_LISTS, KexinitError, parse_kexinit, read_kexinit,
)

ROOT = Path(__file__).resolve().parents[3]
DROPBEAR_SPEC = ROOT / "recipes" / "minifix" / "specs" / "pkgs" / "dropbear"

# What minifix's dropbear (Debian's 2022.83 source with specs/pkgs/dropbear/localoptions.h) offers with an
# RSA and a DSS host key: Aloofix 0.9's dropbear 2013.58 algorithms, as far as 2022.83 still has them.
MINIFIX_DROPBEAR = {
    "kex_algorithms": ["diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1", "kexguess2@matt.ucc.asn.au"],
    "server_host_key_algorithms": ["ssh-rsa", "ssh-dss"],
    "encryption_algorithms_client_to_server": ["aes128-ctr", "aes256-ctr", "aes128-cbc", "aes256-cbc",
                                               "3des-ctr", "3des-cbc"],
    "mac_algorithms_client_to_server": ["hmac-sha1-96", "hmac-sha1", "hmac-sha2-256", "hmac-sha2-512"],
    "compression_algorithms_client_to_server": ["zlib@openssh.com", "zlib", "none"],
    "languages_client_to_server": [],
}

# Version line and first packet exactly as that dropbear sent them (captured on 127.0.0.1).
CAPTURED = base64.b64decode(
    "U1NILTIuMC1kcm9wYmVhcl8yMDIyLjgzDQoAAAG0BBRW/dcoHblJli4vGZ8NbEIsAAAAUGRpZmZpZS1oZWxsbWFuLWdyb3VwMTQtc2hh"
    "MSxkaWZmaWUtaGVsbG1hbi1ncm91cDEtc2hhMSxrZXhndWVzczJAbWF0dC51Y2MuYXNuLmF1AAAAD3NzaC1yc2Esc3NoLWRzcwAAAD1h"
    "ZXMxMjgtY3RyLGFlczI1Ni1jdHIsYWVzMTI4LWNiYyxhZXMyNTYtY2JjLDNkZXMtY3RyLDNkZXMtY2JjAAAAPWFlczEyOC1jdHIsYWVz"
    "MjU2LWN0cixhZXMxMjgtY2JjLGFlczI1Ni1jYmMsM2Rlcy1jdHIsM2Rlcy1jYmMAAAAyaG1hYy1zaGExLTk2LGhtYWMtc2hhMSxobWFj"
    "LXNoYTItMjU2LGhtYWMtc2hhMi01MTIAAAAyaG1hYy1zaGExLTk2LGhtYWMtc2hhMSxobWFjLXNoYTItMjU2LGhtYWMtc2hhMi01MTIA"
    "AAAaemxpYkBvcGVuc3NoLmNvbSx6bGliLG5vbmUAAAAaemxpYkBvcGVuc3NoLmNvbSx6bGliLG5vbmUAAAAAAAAAAAAAAAAAFAnDAw=="
)


def assert_minifix_dropbear(offer: dict) -> None:
    assert set(offer) == set(NAME_LISTS) | {"server_version"}
    for name, expected in MINIFIX_DROPBEAR.items():
        assert offer[name] == expected, name
        assert offer[name.replace("client_to_server", "server_to_client")] == expected, name
    assert offer["server_version"] == ["SSH-2.0-dropbear_2022.83"]
    # Nothing 2013.58 lacked: no curve25519/ecdh/sha256 kex, no ext-info or kex-strict, no modern keys.
    everything = ",".join(",".join(v) for v in offer.values())
    for modern in ("curve25519", "ecdh", "group14-sha256", "ext-info", "kex-strict", "ed25519", "ecdsa",
                   "rsa-sha2", "chacha20", "gcm"):
        assert modern not in everything


class Peer:
    """A TCP peer on 127.0.0.1 that, for one connection, reads the client's line and replies with ``reply``
    (bytes, or a list of pieces sent 50 ms apart), then holds the connection open for ``hold`` seconds."""

    def __init__(self, reply: bytes | list[bytes], hold: float = 3.0):
        self.reply, self.hold, self.got = reply, hold, b""
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _unused = self.sock.accept()
        with conn:
            conn.settimeout(5)
            try:
                while b"\n" not in self.got:
                    chunk = conn.recv(256)
                    if not chunk:
                        return
                    self.got += chunk
                for piece in self.reply if isinstance(self.reply, list) else [self.reply]:
                    conn.sendall(piece)
                    time.sleep(0.05)
                if self.hold:
                    conn.settimeout(self.hold)
                    conn.recv(1)  # wait until the client hangs up (or hold passes)
            except OSError:
                pass

    def close(self):
        self.sock.close()
        self.thread.join(5)


@pytest.fixture
def peer():
    peers = []

    def start(reply: bytes | list[bytes], hold: float = 3.0) -> Peer:
        peers.append(Peer(reply, hold))
        return peers[-1]
    yield start
    for p in peers:
        p.close()


def test_reads_the_captured_dropbear_offer(peer):
    p = peer(CAPTURED)
    offer = read_kexinit("127.0.0.1", p.port, timeout=5)
    assert p.got.startswith(b"SSH-2.0-") and p.got.endswith(b"\r\n")
    assert_minifix_dropbear(offer)


def test_skips_lines_before_the_version(peer):
    p = peer(b"Welcome\r\nnot yet\n" + CAPTURED)
    assert read_kexinit("127.0.0.1", p.port, timeout=5)["server_host_key_algorithms"] == ["ssh-rsa", "ssh-dss"]


def test_offer_arriving_in_pieces(peer):
    line_end = CAPTURED.index(b"\n") + 1
    pieces = [CAPTURED[:5], CAPTURED[5:line_end + 2], CAPTURED[line_end + 2:line_end + 80], CAPTURED[line_end + 80:]]
    assert_minifix_dropbear(read_kexinit("127.0.0.1", peer(pieces).port, timeout=5))


def test_refused_connection_names_the_address():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(KexinitError, match=rf"^127\.0\.0\.1:{port}: cannot connect"):
        read_kexinit("127.0.0.1", port, timeout=2)


def test_silent_server_times_out(peer):
    p = peer(b"", hold=3)
    started = time.monotonic()
    with pytest.raises(WaitTimeout, match="no version line before the timeout"):
        read_kexinit("127.0.0.1", p.port, timeout=0.5)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("reply, message", [
    (b"HTTP/1.0 400 Bad Request\r\n\r\n", "closed the connection before sending version line"),
    (b"SSH-1.5-ancient\r\n", "does not speak SSH-2"),
    (CAPTURED[:200], "closed the connection before sending KEXINIT packet"),
    (b"SSH-2.0-x\r\n\xff\xff\xff\xff\x04", "implausible first packet"),
    (b"x" * 2000, "not an SSH server"),
])
def test_broken_peers(peer, reply, message):
    p = peer(reply, hold=0)
    with pytest.raises(KexinitError, match=message):
        read_kexinit("127.0.0.1", p.port, timeout=5)


def test_parse_rejects_other_messages_and_truncation():
    payload = CAPTURED[CAPTURED.index(b"\n") + 1 + 5:]
    assert parse_kexinit(payload)["languages_server_to_client"] == []
    with pytest.raises(KexinitError, match=r"expected SSH_MSG_KEXINIT \(20\), got message 21"):
        parse_kexinit(b"\x15" + payload[1:])
    with pytest.raises(KexinitError, match="claims"):
        parse_kexinit(payload[:60])
