"""The modules for Python-less guests (svadmin, opkg, opkg_feed) against the native build server, each in three
runs (check mode: changed and nothing changed on the guest; real: changed; again: not changed), with clear
failures for bad input. Every test puts the guest back as it found it: other tests share the build server.

The ``server`` fixture (tests/integration/conftest.py) yields: ``inventory`` (an inventory file with the
build server's host and connection vars), ``host`` (its inventory name), ``feed_name`` and ``feed_url`` (the
package feed it serves, as the guest itself reaches it) and ``instance`` (its instance.json)."""

from __future__ import annotations

import pytest

from tests.integration.guest import Guest

pytestmark = pytest.mark.vm

CONF = "/etc/opkg/opkg.conf"


@pytest.fixture(scope="module")
def guest(server):
    return Guest(server.inventory, server.host)


# --- opkg_feed --------------------------------------------------------------------------------------------

def test_opkg_feed_adds_replaces_and_removes_a_feed_line(guest, server):
    original = guest.sh(f"cat {CONF}")
    name = "bstest-feed"
    assert name not in original
    args = {"name": name, "url": server.feed_url}
    try:
        check = guest.module("opkg_feed", args, check=True, diff=True)
        assert not check.failed and check["changed"], check.result
        assert check["line"] == f"src {name} {server.feed_url}"
        assert check["diff"]["after"] == original + check["line"] + "\n"
        assert guest.sh(f"cat {CONF}") == original  # check mode changed nothing

        real = guest.module("opkg_feed", args, diff=True)
        assert not real.failed and real["changed"], real.result
        assert guest.sh(f"cat {CONF}") == original + check["line"] + "\n"
        mode = guest.sh(f"ls -ln {CONF}").split()[:4]
        again = guest.module("opkg_feed", args, check=True)
        assert not again.failed and not again["changed"], again.result
        again = guest.module("opkg_feed", args)
        assert not again.failed and not again["changed"], again.result

        # a new URL (and src/gz) replaces the line where it stands; mode and owner stay
        moved = guest.module("opkg_feed", {"name": name, "url": "http://127.0.0.1/elsewhere", "gzip": True},
                             diff=True)
        assert moved["changed"], moved.result
        text = guest.sh(f"cat {CONF}")
        assert [line for line in text.splitlines() if name in line] == [f"src/gz {name} http://127.0.0.1/elsewhere"]
        assert guest.sh(f"ls -ln {CONF}").split()[:4] == mode
        assert {"name": name, "url": "http://127.0.0.1/elsewhere", "gzip": True} in moved["feeds"]

        # bad input fails naming the field, before anything is read or written
        for bad, field in [({"name": name}, "url"), ({"name": name, "url": "127.0.0.1/x"}, "url"),
                           ({"name": "two words", "url": server.feed_url}, "name"),
                           ({"name": name, "url": server.feed_url, "path": "etc/opkg.conf"}, "path")]:
            failed = guest.module("opkg_feed", bad)
            assert failed.failed and field in failed["msg"], (bad, failed.result)

        gone = guest.module("opkg_feed", {"name": name, "state": "absent"}, diff=True)
        assert gone["changed"] and guest.sh(f"cat {CONF}") == original, gone.result
        assert not guest.module("opkg_feed", {"name": name, "state": "absent"})["changed"]
    finally:
        guest.module("opkg_feed", {"name": name, "state": "absent"})
    assert guest.sh(f"cat {CONF}") == original


# --- svadmin ----------------------------------------------------------------------------------------------

SERVICE = "crond"  # harmless to stop for a moment (httpd serves the feed, dropbear the tests)


def service_state(guest) -> tuple[bool, str]:
    out = guest.sh(f"rl=$(/sbin/svadmin runlevel); [ -e /etc/sv/$rl/{SERVICE} ] && [ ! -e /etc/sv/all/{SERVICE}/down ] "
                   f"&& echo enabled; SVDIR=/var/service sv status {SERVICE} 2>&1 | cut -d: -f1")
    return "enabled" in out, out.split()[-1]


def test_svadmin_enables_disables_starts_and_stops_a_service(guest):
    initial = service_state(guest)
    try:
        if initial != (True, "run"):
            assert not guest.module("svadmin", {"name": SERVICE, "enabled": True, "state": "started"}).failed
        check = guest.module("svadmin", {"name": SERVICE, "enabled": False}, check=True, diff=True)
        assert not check.failed and check["changed"], check.result
        assert check["diff"]["before"] == {"enabled": True, "state": "started"}
        assert check["diff"]["after"] == {"enabled": False, "state": "stopped"}
        assert check["commands"][0].startswith(f"svadmin disable {SERVICE} ")
        assert service_state(guest) == (True, "run")  # check mode changed nothing

        real = guest.module("svadmin", {"name": SERVICE, "enabled": False}, diff=True)
        assert not real.failed and real["changed"], real.result
        assert (real["enabled"], real["state"]) == (False, "stopped")
        assert service_state(guest) == (False, "down")
        again = guest.module("svadmin", {"name": SERVICE, "enabled": False, "state": "stopped"})
        assert not again.failed and not again["changed"], again.result

        back = guest.module("svadmin", {"name": SERVICE, "enabled": True, "state": "started"}, diff=True)
        assert back["changed"] and back["diff"]["after"] == {"enabled": True, "state": "started"}, back.result
        assert service_state(guest) == (True, "run")
        for check_mode in (True, False):
            same = guest.module("svadmin", {"name": SERVICE, "enabled": True, "state": "started"}, check=check_mode)
            assert not same.failed and not same["changed"], same.result

        stopped = guest.module("svadmin", {"name": SERVICE, "state": "stopped"})
        assert stopped["changed"] and service_state(guest) == (True, "down"), stopped.result
        restarted = guest.module("svadmin", {"name": SERVICE, "state": "restarted"})
        assert restarted["changed"] and service_state(guest) == (True, "run"), restarted.result

        for bad, field in [({"name": "nonesuch", "enabled": True}, "name: no service 'nonesuch'"),
                           ({"name": SERVICE, "enabled": True, "runlevel": "nonesuch"}, "runlevel: no runlevel"),
                           ({"name": "a b", "state": "started"}, "name: "),
                           ({"name": SERVICE}, "enabled, state")]:
            failed = guest.module("svadmin", bad)
            assert failed.failed and field in failed["msg"], (bad, failed.result)
    finally:
        enabled, status = initial
        guest.module("svadmin", {"name": SERVICE, "enabled": enabled})
        if enabled:
            guest.module("svadmin", {"name": SERVICE, "state": "started" if status == "run" else "stopped"})
    assert service_state(guest) == initial


# --- opkg -------------------------------------------------------------------------------------------------

PREFERRED = ["rsync", "flock", "minifix-src"]


def installed(guest) -> dict[str, str]:
    return dict(line.split(" - ")[:2] for line in guest.sh("opkg list-installed").splitlines() if " - " in line)


def test_opkg_installs_from_a_named_feed_and_removes(guest, server):
    feed = server.feed_name
    original_conf = guest.sh(f"cat {CONF}")
    before = installed(guest)
    had_feed = f" {feed} " in original_conf
    added, taken_off = [], []
    try:
        if not had_feed:
            assert guest.module("opkg_feed", {"name": feed, "url": server.feed_url})["changed"]
        index = guest.sh(f"wget -q -O - {server.feed_url}/Packages | sed -n 's/^Package: //p'").split()
        missing = [p for p in index if p not in before]
        if not missing and "rsync" in index:
            # A --minimal feed holds only what make-server installed: take rsync off, and put it back after.
            guest.sh("opkg remove rsync >/dev/null")
            taken_off, before = ["rsync"], installed(guest)
            missing = [p for p in index if p not in before]
        assert missing, "every package of the feed is installed already: nothing to test with"
        pkg = next((p for p in PREFERRED if p in missing), missing[0])
        lists = guest.sh("ls -l /usr/lib/opkg/lists/ 2>/dev/null; md5sum /usr/lib/opkg/lists/* 2>/dev/null; true")

        args = {"name": [pkg], "feed": feed, "update_cache": True}
        check = guest.module("opkg", args, check=True, diff=True)
        assert not check.failed and check["changed"], check.result
        planned = [i["name"] for i in check["plan"]["install"]]
        assert planned[-1] == pkg and all(i["source"] == feed for i in check["plan"]["install"])
        assert f"{pkg} " in check["diff"]["after"] and f"{pkg} " not in check["diff"]["before"]
        # check mode changed nothing: packages, and not even the downloaded lists
        assert installed(guest) == before
        assert guest.sh("ls -l /usr/lib/opkg/lists/ 2>/dev/null; md5sum /usr/lib/opkg/lists/* 2>/dev/null; true") == lists

        real = guest.module("opkg", args, diff=True)
        added = [i["name"] for i in real.get("install", [])]
        assert not real.failed and real["changed"] and real.get("cache_updated"), real.result
        assert sorted(added) == sorted(planned)
        assert set(installed(guest)) == set(before) | set(planned)
        for check_mode in (True, False):
            again = guest.module("opkg", args, check=check_mode)
            assert not again.failed and not again["changed"], again.result
        latest = guest.module("opkg", {"name": [pkg], "state": "latest"}, check=True)
        assert not latest.failed and not latest["changed"], latest.result
        # a package file (here its URL) of the installed version is up to date too
        filename = guest.sh(f"sed -n '/^Package: {pkg}$/,/^$/s/^Filename: //p' /usr/lib/opkg/lists/{feed}").split()[0]
        by_url = guest.module("opkg", {"name": [f"{server.feed_url}/{filename}"]}, check=True)
        assert not by_url.failed and not by_url["changed"], by_url.result

        # clear failures: a package missing from the named feed, an unknown feed, bad names
        for bad, words in [({"name": ["bstest-nonesuch"], "feed": feed}, ["feed", "bstest-nonesuch", repr(feed)]),
                           ({"name": [pkg], "feed": "bstest-nofeed"}, ["feed", "bstest-nofeed"]),
                           ({"name": ["bad name"]}, ["name", "bad name"]),
                           ({"name": ["relative/x.opk"]}, ["name", "relative/x.opk"])]:
            failed = guest.module("opkg", bad)
            assert failed.failed and all(w in failed["msg"] for w in words), (bad, failed.result)

        remove = {"name": list(reversed(planned)), "state": "absent"}
        check = guest.module("opkg", remove, check=True)
        assert check["changed"] and sorted(r["name"] for r in check["plan"]["remove"]) == sorted(planned)
        assert set(installed(guest)) == set(before) | set(planned)
        gone = guest.module("opkg", remove, diff=True)
        assert not gone.failed and gone["changed"], gone.result
        assert not guest.module("opkg", remove)["changed"]
        added = []
    finally:
        if added:
            guest.module("opkg", {"name": added, "state": "absent"})
        if taken_off:
            guest.module("opkg", {"name": taken_off, "feed": feed, "update_cache": True})
        if not had_feed:
            guest.module("opkg_feed", {"name": feed, "state": "absent"})
            guest.module("guest_command", {"cmd": ["rm", "-f", f"/usr/lib/opkg/lists/{feed}"]})
    assert set(installed(guest)) == set(before) | set(taken_off)
    assert guest.sh(f"cat {CONF}") == original_conf


def test_opkg_latest_upgrades_from_a_file_feed(guest, tmp_path):
    """A scratch feed (file:// on the guest) with a package of this test's own, then a newer version of it."""
    from tests.unit.guest.test_minifix_opkg import make_opk

    feed_dir, name, pkg = "/var/tmp/bstest-feed", "bstest-up", "bstest-app"
    original_conf = guest.sh(f"cat {CONF}")
    before = installed(guest)

    def publish(*versions):
        local = tmp_path / "-".join(versions)
        local.mkdir()
        stanzas = [make_opk(local, pkg, v, {f"./usr/share/{pkg}/version": v.encode()}) for v in versions]
        (local / "Packages").write_text("\n".join(stanzas))
        assert not guest.module("guest_push", {"src": str(local), "dest": feed_dir}).failed

    try:
        publish("1.0-1")
        assert guest.module("opkg_feed", {"name": name, "url": f"file://{feed_dir}"})["changed"]
        first = guest.module("opkg", {"name": [pkg], "feed": name, "update_cache": True})
        assert first["changed"] and first["install"] == [{"name": pkg, "version": "1.0-1"}], first.result
        publish("1.0-1", "1.10-1")
        args = {"name": [pkg], "state": "latest", "feed": name, "update_cache": True}
        check = guest.module("opkg", args, check=True, diff=True)
        assert check["changed"] and check["plan"]["upgrade"] == [
            {"name": pkg, "from": "1.0-1", "to": "1.10-1", "source": name}], check.result
        assert installed(guest)[pkg] == "1.0-1"
        real = guest.module("opkg", args)
        assert real["changed"] and real["upgrade"] == [{"name": pkg, "from": "1.0-1", "to": "1.10-1"}], real.result
        assert guest.sh(f"cat /usr/share/{pkg}/version") == "1.10-1"
        assert not guest.module("opkg", args)["changed"]
        assert not guest.module("opkg", {**args, "state": "present"}, check=True)["changed"]
    finally:
        guest.module("opkg", {"name": [pkg], "state": "absent"})
        guest.module("opkg_feed", {"name": name, "state": "absent"})
        guest.module("guest_command", {"cmd": ["rm", "-rf", feed_dir, f"/usr/lib/opkg/lists/{name}"]})
    assert installed(guest) == before
    assert guest.sh(f"cat {CONF}") == original_conf
