# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify an opkg feed over HTTP: fetch ``Packages``, then every file it lists, streamed through sha256.

Nothing is written anywhere and no file is held in memory whole (the index excepted, which is parsed). Every
problem is collected, so one failure names every bad file of the feed.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import http.client
import ipaddress
import time
import urllib.error
import urllib.parse
import urllib.request

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.feed import packages as index

CHUNK = 1 << 20
WORKERS = 4  # files fetched at once (each streams through CHUNK-sized blocks)
INDEX_LIMIT = 64 << 20  # a Packages index larger than this is not an opkg feed index
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class _FetchFailed(Exception):
    """One request failed; ``reason`` is the phrase that goes after the file's name."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, allow_remote: bool = False, field: str = "url") -> str:
    """The feed's base URL without a trailing slash; SpecError naming ``field`` for anything else."""
    try:
        parts = urllib.parse.urlsplit(url or "")
        host, _port = parts.hostname, parts.port
    except ValueError as exc:
        raise SpecError(field, f"{url!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise SpecError(field, f"must be the http:// URL of the feed directory (e.g. http://127.0.0.1:8080/minifix), "
                               f"got {url!r}")
    if parts.query or parts.fragment:
        raise SpecError(field, f"must be the feed directory's URL, without a query or fragment: {url!r}")
    if not allow_remote and not is_loopback(host):
        raise SpecError(field, f"{host} is not a loopback address ({', '.join(LOOPBACK_HOSTS)}); feeds are only "
                               f"verified on this machine unless allow_remote is true")
    return url.rstrip("/")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A feed serves its files itself; following a redirect could leave loopback, so 3xx is reported instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def opener_for(base: str):
    # A feed on loopback is never reached through a proxy (http_proxy in the environment would otherwise apply).
    loopback = is_loopback(urllib.parse.urlsplit(base).hostname or "")
    return urllib.request.build_opener(_NoRedirect, *([urllib.request.ProxyHandler({})] if loopback else []))


def file_url(base: str, filename: str) -> str:
    return f"{base}/{urllib.parse.quote(filename)}"


def _open(opener, url: str, timeout: float):
    try:
        return opener.open(urllib.request.Request(url, headers={"Accept-Encoding": "identity"}), timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 404:
            raise _FetchFailed(f"missing (HTTP 404 Not Found at {url})") from None
        if 300 <= exc.code < 400:
            raise _FetchFailed(f"HTTP {exc.code} {exc.reason} at {url}, redirected to "
                               f"{exc.headers.get('Location')} (redirects are not followed)") from None
        raise _FetchFailed(f"HTTP {exc.code} {exc.reason} at {url}") from None
    except urllib.error.URLError as exc:
        raise _FetchFailed(f"cannot fetch {url}: {exc.reason}") from None
    except (http.client.HTTPException, OSError) as exc:
        raise _FetchFailed(f"cannot fetch {url}: {exc!r}") from None


def _stream(response, url: str, limit: int, sinks) -> int:
    """Read ``response`` in chunks into every hash in ``sinks`` (stopping once past ``limit``); bytes read."""
    total = 0
    try:
        while total <= limit:
            block = response.read(CHUNK)
            if not block:
                break
            total += len(block)
            for sink in sinks:
                sink.update(block)
    except (http.client.HTTPException, OSError) as exc:
        raise _FetchFailed(f"transfer failed after {total} bytes from {url}: {exc!r}") from None
    length = response.headers.get("Content-Length")
    # http.client's chunked reads end quietly when the server hangs up early: compare with what it announced.
    if total <= limit and length and length.isdigit() and total < int(length):
        raise _FetchFailed(f"transfer cut short ({total} of {length} bytes received from {url})")
    return total


class _Collect:
    """A hash-like sink that keeps the bytes (for the index only)."""

    def __init__(self):
        self._parts = []

    def update(self, block: bytes) -> None:
        self._parts.append(block)

    def value(self) -> bytes:
        return b"".join(self._parts)


def fetch_index(opener, base: str, timeout: float) -> tuple[bytes, str]:
    """``Packages``' bytes and sha256, or a FeedError naming why it could not be read."""
    url = file_url(base, index.INDEX_NAME)
    body, digest = _Collect(), hashlib.sha256()
    try:
        with _open(opener, url, timeout) as response:
            size = _stream(response, url, INDEX_LIMIT, (body, digest))
    except _FetchFailed as exc:
        raise index.FeedError(f"feed {base}: cannot read its index", [f"{index.INDEX_NAME}: {exc.reason}"]) from None
    if size > INDEX_LIMIT:
        raise index.FeedError(f"feed {base}: cannot read its index",
                              [f"{index.INDEX_NAME}: larger than {INDEX_LIMIT} bytes; not a feed index"])
    return body.value(), digest.hexdigest()


def verify_entry(opener, base: str, entry: index.Entry, timeout: float) -> tuple[int, str | None]:
    """(bytes read, problem) for one listed file: served, of its Size, with its SHA256sum (and MD5sum)."""
    url = file_url(base, entry.filename)
    sha256 = hashlib.sha256()
    sinks = [sha256] + ([hashlib.md5(usedforsecurity=False)] if entry.md5 else [])
    try:
        with _open(opener, url, timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) != entry.size:
                return 0, f"{entry.filename}: Size mismatch (Packages says {entry.size}, served {length} bytes)"
            total = _stream(response, url, entry.size, sinks)
    except _FetchFailed as exc:
        return 0, f"{entry.filename}: {exc.reason}"
    if total > entry.size:
        return total, f"{entry.filename}: Size mismatch (Packages says {entry.size}, served more than that)"
    if total != entry.size:
        return total, f"{entry.filename}: Size mismatch (Packages says {entry.size}, served {total} bytes)"
    if sha256.hexdigest() != entry.sha256:
        return total, (f"{entry.filename}: SHA256sum mismatch (Packages says {entry.sha256}, "
                       f"served {sha256.hexdigest()})")
    if entry.md5 and sinks[1].hexdigest() != entry.md5:
        return total, f"{entry.filename}: MD5sum mismatch (Packages says {entry.md5}, served {sinks[1].hexdigest()})"
    return total, None


def verify_feed(url: str, files: list[str] | None = None, expect: dict | None = None, timeout: float = 30.0,
                allow_remote: bool = False) -> dict:
    """Verify the feed at ``url``; the result for the module, or a FeedError naming every problem."""
    base = check_url(url, allow_remote)
    recorded = index.check_expect(expect)
    started = time.monotonic()
    opener = opener_for(base)
    raw, packages_sha256 = fetch_index(opener, base, timeout)
    entries = index.parse_packages(raw.decode("utf-8", errors="replace"), f"{base}/{index.INDEX_NAME}")
    problems = []
    if files is not None:
        problems += index.unlisted_files([name[2:] if name.startswith("./") else name for name in files], entries)
    total = 0
    # A few files at a time: hashlib releases the GIL, so hashing one file overlaps fetching the next, and the
    # per-request latency of many small packages is shared. Results keep Packages' order.
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for size, problem in pool.map(lambda entry: verify_entry(opener, base, entry, timeout), entries):
            total += size
            if problem:
                problems.append(problem)
    seconds = time.monotonic() - started
    current = index.manifest(packages_sha256, entries)
    facts = {"changed": False, "url": base, "packages": len(entries), "bytes": total,
             "packages_bytes": len(raw), "packages_sha256": packages_sha256, "seconds": round(seconds, 3),
             "mb_per_s": round((total + len(raw)) / 1e6 / seconds, 2) if seconds > 0 else None}
    feed_consistent = not problems
    if recorded is not None:
        problems += index.manifest_changes(recorded, current)
    if problems:
        if feed_consistent:
            # Only the comparison with the recorded manifest failed: offer the new one, should the change be wanted.
            facts["manifest"] = current
        raise index.FeedError(f"feed {base} failed verification ({len(problems)} problem(s))", problems, **facts)
    return dict(facts, manifest=current)
