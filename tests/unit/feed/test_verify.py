"""opkg_feed_verify against real feeds: real .opk files served by http.server on 127.0.0.1.

The module is run the way a user runs it (``ansible localhost -m``); the cases that need no Ansible around
them (odd servers, manifests, URL rules) call module_utils directly.
"""

from __future__ import annotations

import hashlib
import socket

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.feed.packages import FeedError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.feed.verify import check_url, verify_feed
from tests.conftest import run_module
from tests.unit.feed.conftest import _QuietHandler, make_opk

BUSYBOX = "busybox_1.36.1-1_i686.opk"


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the module, run by ansible -------------------------------------------------------------------------

@pytest.mark.parametrize("check", [False, True], ids=["run", "check-mode"])
def test_good_feed_passes_and_returns_its_manifest(feed, serve, check):
    url = serve(feed["dir"])
    run = run_module("opkg_feed_verify", {"url": url + "/", "files": sorted(feed["files"]) + ["Packages"]},
                     check=check)
    assert not run.failed, run.result
    assert run["changed"] is False and run["url"] == url and run["packages"] == 4
    assert run["bytes"] == sum((feed["dir"] / name).stat().st_size for name in feed["files"]) > 3 << 20
    assert run["packages_sha256"] == _sha256(feed["dir"] / "Packages")
    assert run["manifest"] == {"packages_sha256": run["packages_sha256"],
                               "packages": {name: _sha256(feed["dir"] / name) for name in feed["files"]}}
    assert run["seconds"] > 0 and run["mb_per_s"] > 0


def test_tampered_package_is_named(feed, serve):
    opk = feed["dir"] / BUSYBOX
    listed = _sha256(opk)
    data = bytearray(opk.read_bytes())
    data[len(data) // 2] ^= 0x01  # one byte, same size
    opk.write_bytes(bytes(data))
    run = run_module("opkg_feed_verify", {"url": serve(feed["dir"])})
    assert run.failed
    problem = f"{BUSYBOX}: SHA256sum mismatch (Packages says {listed}, served {_sha256(opk)})"
    assert run["problems"] == [problem]
    assert problem in run["msg"] and "1 problem(s)" in run["msg"]
    assert "manifest" not in run.result  # a broken feed offers nothing to record


def test_truncated_index_is_named(feed, serve):
    packages = feed["dir"] / "Packages"
    text = packages.read_text()
    packages.write_text(text[:text.rindex("SHA256sum: ") + 30])  # the last paragraph cut mid-field
    url = serve(feed["dir"])
    run = run_module("opkg_feed_verify", {"url": url})
    assert run.failed
    assert run["msg"].startswith(f"{url}/Packages is not a valid feed index")
    assert any(p.startswith("Packages is truncated: its last line 'SHA256sum: ") for p in run["problems"])
    assert any("SHA256sum is not 64 hex digits" in p for p in run["problems"])


def test_unlisted_file_is_named_when_files_are_given(feed, serve):
    (feed["dir"] / "stray_1.0-1_i686.opk").write_bytes(b"not in Packages")
    url = serve(feed["dir"])
    assert not run_module("opkg_feed_verify", {"url": url}).failed  # without files, nothing looks at the directory
    files = sorted(p.name for p in feed["dir"].iterdir())
    run = run_module("opkg_feed_verify", {"url": url, "files": files})
    assert run.failed
    assert run["problems"] == ["stray_1.0-1_i686.opk: unlisted (the feed directory holds it but Packages does "
                               "not list it)"]


def test_missing_package_is_named(feed, serve):
    (feed["dir"] / "dropbear_2013.58-2_i686.opk").unlink()
    url = serve(feed["dir"])
    run = run_module("opkg_feed_verify", {"url": url})
    assert run.failed
    assert run["problems"] == [f"dropbear_2013.58-2_i686.opk: missing (HTTP 404 Not Found at "
                               f"{url}/dropbear_2013.58-2_i686.opk)"]


def test_remote_url_is_refused_naming_url():
    run = run_module("opkg_feed_verify", {"url": "http://192.0.2.1:8080/minifix"})
    assert run.failed
    assert run["msg"].startswith("url: 192.0.2.1 is not a loopback address") and "allow_remote" in run["msg"]


# --- module_utils, in process ---------------------------------------------------------------------------

def test_every_bad_file_is_named_in_one_failure(feed, serve):
    (feed["dir"] / "dropbear_2013.58-2_i686.opk").unlink()
    with open(feed["dir"] / "glibc-lib_2.36-9_i686.opk", "ab") as handle:
        handle.write(b"x")
    size = (feed["dir"] / "glibc-lib_2.36-9_i686.opk").stat().st_size
    with pytest.raises(FeedError) as raised:
        verify_feed(serve(feed["dir"]))
    assert [p.split(" (")[0] for p in raised.value.problems] == [
        "dropbear_2013.58-2_i686.opk: missing", "glibc-lib_2.36-9_i686.opk: Size mismatch"]
    assert f"(Packages says {size - 1}, served {size} bytes)" in raised.value.problems[1]


def test_missing_index_and_no_server(feed, serve, tmp_path):
    (feed["dir"] / "Packages").unlink()
    url = serve(feed["dir"])
    with pytest.raises(FeedError, match=r"cannot read its index\n- Packages: missing \(HTTP 404 Not Found"):
        verify_feed(url)
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FeedError, match=r"- Packages: cannot fetch http://127\.0\.0\.1:\d+/minifix/Packages: "):
        verify_feed(f"http://127.0.0.1:{port}/minifix")


def test_empty_index(feed, serve):
    (feed["dir"] / "Packages").write_text("")
    with pytest.raises(FeedError, match="Packages is empty"):
        verify_feed(serve(feed["dir"]))


class _CutShort(_QuietHandler):
    """Announces each .opk's full length, sends half of it and hangs up."""

    def do_GET(self):  # noqa: N802 - http.server's name
        if not self.path.endswith(".opk"):
            return super().do_GET()
        data = open(self.translate_path(self.path), "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[:len(data) // 2])
        self.close_connection = True
        return None


def test_transfer_cut_short_is_named(feed, serve):
    with pytest.raises(FeedError) as raised:
        verify_feed(serve(feed["dir"], _CutShort))
    assert len(raised.value.problems) == 4
    assert any(p.startswith(f"{BUSYBOX}: transfer cut short (") for p in raised.value.problems)


class _Endless(_QuietHandler):
    """Serves every .opk as an endless body with no Content-Length (a server or proxy gone wrong)."""

    def do_GET(self):  # noqa: N802
        if not self.path.endswith(".opk"):
            return super().do_GET()
        self.send_response(200)
        self.end_headers()
        block = b"x" * 65536
        try:
            for _unused in range(4096):  # 256 MiB at most, should the client keep reading
                self.wfile.write(block)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True
        return None


def test_an_oversized_body_is_not_read_to_its_end(feed, serve):
    """Reading stops one block past Size: a file is never read further than Packages says it is."""
    with pytest.raises(FeedError) as raised:
        verify_feed(serve(feed["dir"], _Endless), timeout=10)
    assert len(raised.value.problems) == 4
    assert all("Size mismatch (Packages says " in p and p.endswith("served more than that)")
               for p in raised.value.problems)
    assert raised.value.facts["bytes"] < sum((feed["dir"] / name).stat().st_size for name in feed["files"]) + 4 * 2**20


class _Redirect(_QuietHandler):
    def do_GET(self):  # noqa: N802
        if not self.path.endswith(".opk"):
            return super().do_GET()
        self.send_response(302)
        self.send_header("Location", "http://192.0.2.1/elsewhere.opk")
        self.send_header("Content-Length", "0")
        self.end_headers()
        return None


def test_redirects_are_not_followed(feed, serve):
    with pytest.raises(FeedError) as raised:
        verify_feed(serve(feed["dir"], _Redirect))
    assert len(raised.value.problems) == 4
    problem = next(p for p in raised.value.problems if p.startswith(BUSYBOX))
    assert problem.startswith(f"{BUSYBOX}: HTTP 302 Found at ")
    assert problem.endswith("redirected to http://192.0.2.1/elsewhere.opk (redirects are not followed)")


def test_a_feed_changed_since_its_manifest_is_named(feed, serve):
    url = serve(feed["dir"])
    recorded = verify_feed(url)["manifest"]
    assert verify_feed(url, expect=recorded)["manifest"] == recorded
    # dropbear rebuilt as 2013.58-3: its file and its paragraph change together, so the feed itself is sound.
    packages = feed["dir"] / "Packages"
    kept = [p for p in packages.read_text().split("\n\n") if p.strip() and not p.startswith("Package: dropbear\n")]
    (feed["dir"] / "dropbear_2013.58-2_i686.opk").unlink()
    new = make_opk(feed["dir"], "dropbear", "2013.58-3", "i686", b"rebuilt")
    packages.write_text("".join(p.strip("\n") + "\n\n" for p in kept)
                        + (feed["dir"] / "dropbear.control").read_text() + "\n")
    with pytest.raises(FeedError) as raised:
        verify_feed(url, expect=recorded)
    assert [p.split(" (")[0] for p in raised.value.problems] == [
        "Packages: changed since the manifest was recorded",
        "dropbear_2013.58-2_i686.opk: in the recorded manifest but no longer in Packages",
        f"{new}: new since the manifest was recorded"]
    offered = raised.value.to_result()["manifest"]  # the feed is sound: its new manifest is offered
    assert offered["packages"][new] == _sha256(feed["dir"] / new)
    assert verify_feed(url, expect=offered)["manifest"] == offered


LOOPBACK = ["http://127.0.0.1:34567/minifix", "http://localhost/minifix/", "http://[::1]:8080/feed",
            "http://127.0.0.2/x", "https://LOCALHOST/x"]
REFUSED = [("http://192.0.2.1/minifix", "url: 192.0.2.1 is not a loopback address"),
           ("http://example.com/feed", "url: example.com is not a loopback address"),
           ("http://10.0.2.2:8080/feed", "url: 10.0.2.2 is not a loopback address"),
           ("ftp://127.0.0.1/feed", "url: must be the http:// URL"),
           ("/srv/www/aloofix", "url: must be the http:// URL"),
           ("", "url: must be the http:// URL"),
           ("http://127.0.0.1:99999/feed", "url: 'http://127.0.0.1:99999/feed' is not a URL"),
           ("http://127.0.0.1/feed?x=1", "url: must be the feed directory's URL, without a query")]


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_urls_are_accepted(url):
    assert check_url(url) == url.rstrip("/")


@pytest.mark.parametrize("url,message", REFUSED)
def test_other_urls_are_refused_naming_url(url, message):
    with pytest.raises(SpecError) as raised:
        check_url(url)
    assert str(raised.value).startswith(message)


def test_remote_urls_need_allow_remote():
    assert check_url("http://example.com/feed/", allow_remote=True) == "http://example.com/feed"
    with pytest.raises(SpecError, match="^url: must be the http"):
        check_url("ftp://example.com/feed", allow_remote=True)
