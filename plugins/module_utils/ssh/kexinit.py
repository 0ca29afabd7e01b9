# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an SSH server offers: its version line and the name-lists of its SSH_MSG_KEXINIT (RFC 4253 7.1).

Pure standard library, no SSH client: it sends a version line, reads the server's first binary
packet (always unencrypted KEXINIT) and hangs up before any key exchange. So it works against
servers no modern client can talk to, e.g. Aloofix's dropbear 2013.58 (diffie-hellman-group1/14-sha1,
ssh-rsa/ssh-dss only).
"""

from __future__ import annotations

import socket
import struct
import time

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import BuildstrapError, WaitTimeout

SSH_MSG_KEXINIT = 20
# The ten name-lists of a KEXINIT, in wire order, under RFC 4253's names.
NAME_LISTS = (
    "kex_algorithms",
    "server_host_key_algorithms",
    "encryption_algorithms_client_to_server",
    "encryption_algorithms_server_to_client",
    "mac_algorithms_client_to_server",
    "mac_algorithms_server_to_client",
    "compression_algorithms_client_to_server",
    "compression_algorithms_server_to_client",
    "languages_client_to_server",
    "languages_server_to_client",
)
CLIENT_VERSION = b"SSH-2.0-buildstrap_kexinit_probe\r\n"
_MAX_LINE = 255               # RFC 4253 4.2: version line incl. CR LF
_MAX_PREAMBLE_LINES = 50      # lines a server may send before its version line
_MAX_PACKET = 35000           # RFC 4253 6.1: what every implementation must accept


class KexinitError(BuildstrapError):
    """The server could not be reached or did not answer with a well-formed SSH KEXINIT."""


def parse_kexinit(payload: bytes) -> dict[str, list[str]]:
    """The name-lists of a KEXINIT payload (message type byte first), keyed as in ``NAME_LISTS``.

    An empty name-list gives ``[]``. Raises KexinitError on anything malformed.
    """
    if not payload or payload[0] != SSH_MSG_KEXINIT:
        got = payload[0] if payload else "nothing"
        raise KexinitError(f"expected SSH_MSG_KEXINIT ({SSH_MSG_KEXINIT}), got message {got}")
    pos = 1 + 16  # type byte, cookie
    if len(payload) < pos:
        raise KexinitError("KEXINIT is truncated inside its cookie")
    result: dict[str, list[str]] = {}
    for name in NAME_LISTS:
        if len(payload) < pos + 4:
            raise KexinitError(f"KEXINIT is truncated before {name}")
        (length,) = struct.unpack(">I", payload[pos:pos + 4])
        pos += 4
        if len(payload) < pos + length:
            raise KexinitError(f"KEXINIT's {name} claims {length} bytes but only {len(payload) - pos} remain")
        raw = payload[pos:pos + length]
        pos += length
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            raise KexinitError(f"KEXINIT's {name} is not ASCII: {raw[:60]!r}") from None
        result[name] = text.split(",") if text else []
    if len(payload) < pos + 1 + 4:
        raise KexinitError("KEXINIT is truncated after its name-lists")
    return result


class _Reader:
    """Buffered reads from a socket against one overall deadline."""

    def __init__(self, sock: socket.socket, deadline: float, where: str):
        self.sock, self.deadline, self.where, self.buf = sock, deadline, where, b""

    def _more(self, wanted: str) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise WaitTimeout(f"{self.where}: no {wanted} before the timeout")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(4096)
        except socket.timeout:
            raise WaitTimeout(f"{self.where}: no {wanted} before the timeout") from None
        except OSError as exc:
            raise KexinitError(f"{self.where}: connection failed while waiting for {wanted}: {exc}") from None
        if not chunk:
            raise KexinitError(f"{self.where}: the server closed the connection before sending {wanted}"
                               + (f" (it had sent {self.buf[:120]!r})" if self.buf else ""))
        self.buf += chunk

    def line(self, wanted: str) -> bytes:
        while b"\n" not in self.buf:
            if len(self.buf) > _MAX_LINE * 4:
                raise KexinitError(f"{self.where}: no line end in {self.buf[:120]!r}: not an SSH server")
            self._more(wanted)
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def exactly(self, n: int, wanted: str) -> bytes:
        while len(self.buf) < n:
            self._more(wanted)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data


def read_kexinit(host: str, port: int = 22, timeout: float = 10.0) -> dict[str, list[str]]:
    """Connect to host:port and return what its SSH server offers, without any key exchange.

    The result holds the ten KEXINIT name-lists under RFC 4253's names (``kex_algorithms``,
    ``server_host_key_algorithms``, ``encryption_algorithms_client_to_server``, ...,
    ``compression_algorithms_server_to_client``, ``languages_*``), each as a list in the server's
    order, plus ``server_version``: a one-element list with the server's version line
    (e.g. ``["SSH-2.0-dropbear_2022.83"]``).

    ``timeout`` bounds the whole exchange. Raises WaitTimeout when it passes, KexinitError when the
    connection fails or the server does not speak SSH-2.
    """
    where = f"{host}:{port}"
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except socket.timeout:
        raise WaitTimeout(f"{where}: no TCP connection within {timeout:g}s") from None
    except OSError as exc:
        raise KexinitError(f"{where}: cannot connect: {exc}") from None
    with sock:
        try:
            sock.sendall(CLIENT_VERSION)
        except OSError as exc:
            raise KexinitError(f"{where}: cannot send the version line: {exc}") from None
        reader = _Reader(sock, deadline, where)
        for _unused in range(_MAX_PREAMBLE_LINES):
            line = reader.line("version line")
            if line.startswith(b"SSH-"):
                break
        else:
            raise KexinitError(f"{where}: no 'SSH-' version line among the first {_MAX_PREAMBLE_LINES} lines")
        version = line.decode("ascii", "replace")
        if not (version.startswith("SSH-2.0-") or version.startswith("SSH-1.99-")):
            raise KexinitError(f"{where}: the server does not speak SSH-2: {version!r}")
        length, padding = struct.unpack(">IB", reader.exactly(5, "KEXINIT packet"))
        if not 1 + 16 <= length <= _MAX_PACKET or padding >= length:
            raise KexinitError(f"{where}: implausible first packet (length {length}, padding {padding}) "
                               f"after {version!r}")
        payload = reader.exactly(length - 1, "KEXINIT packet")[:length - 1 - padding]
    result = parse_kexinit(payload)
    result["server_version"] = [version]
    return result
