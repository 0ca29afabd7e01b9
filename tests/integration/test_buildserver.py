"""playbooks/buildserver.yml on the session's native minifix instance (real TCG VM): make-buildserver --minimal,
httpd, the feed directory, push-packages and a verified feed; a rerun that changes nothing and boots nothing; a
tampered package and a truncated index refused by name; a deleted package leaving the feed; and a failure injected
in make-buildserver that names its package, fetches its logs, and resumes at that stage."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from tests.conftest import run_module
from tests.integration.pipeline import BUILDSERVER_STAGES, changed_tasks, domain_id, stage_status

pytestmark = pytest.mark.vm


def _feed_files(server) -> set[str]:
    rc, out, err = server.ssh("ls -1 /srv/www/minifix")
    assert rc == 0, err
    return set(out.split())


def _verify(server, **extra):
    return run_module("opkg_feed_verify", dict({"url": server.feed_url_host, "files": sorted(_feed_files(server))},
                                               **extra))


def _restore_feed(server):
    """Publish the tree's packages again (after a test broke the feed on purpose)."""
    again = server.run("restore", "-e", "buildstrap_force=push")
    assert again["rc"] == 0, again["output"][-3000:]


def test_check_mode_first_changes_nothing(buildserver):
    """buildserver.yml --check --diff on the fresh native instance (run by the fixture before the real run): it
    reports what it would change, records nothing, and the real run that followed still had everything to do."""
    checked = buildserver.check_run
    assert checked["rc"] == 0, checked["output"][-5000:]
    assert changed_tasks(checked["output"]) > 0
    assert "check mode: the feed would be pushed and verified" in checked["output"]
    status = stage_status(buildserver.first_run["timeline"])
    assert [status[s] for s in BUILDSERVER_STAGES] == ["ok"] * 5, "check mode recorded a stage as done"


def test_native_instance_becomes_a_build_server(buildserver):
    run = buildserver.first_run
    status = stage_status(run["timeline"])
    assert [status[s] for s in BUILDSERVER_STAGES] == ["ok"] * 5, status
    manifests = buildserver.pipeline.manifests / "buildserver" / buildserver.host
    made = json.loads((manifests / "make_buildserver.json").read_text())
    # --minimal builds only what publishing needs (rsync, its libraries and their -license packages), as upstream.
    assert made["options"] == ["--minimal"] and made["packages"] >= 3 and made["guest_seconds"] > 0
    verified = json.loads((manifests / "verify.json").read_text())
    # The feed's digest: the Packages sha256 as served, and every package's.
    feed = verified["feed_manifest"]
    assert verified["outputs"]["feed"]["sha256"] == feed["packages_sha256"]
    assert verified["packages_count"] == len(feed["packages"]) == made["packages"]
    assert any(name.startswith("rsync_") for name in feed["packages"]), "--minimal installs (builds) rsync"
    # The controller reaches the feed through 127.0.0.1 only; another guest would use SLIRP's gateway 10.0.2.2.
    assert re.match(r"^http://127\.0\.0\.1:\d+/minifix$", buildserver.feed_url_host)
    assert re.match(r"^http://10\.0\.2\.2:\d+/minifix$", buildserver.feed_url_guests)
    with urllib.request.urlopen(buildserver.feed_url_host + "/Packages", timeout=30) as response:
        index = response.read().decode()
    assert index.count("Package: ") == made["packages"]
    # The guest side of the gateway: from inside a guest, 10.0.2.2:<port> is the build server's feed.
    rc, out, err = buildserver.ssh(f"wget -q -O - {buildserver.feed_url_guests}/Packages | grep -c '^Package: '")
    assert rc == 0 and int(out) == made["packages"], err
    # The web server is a runit service, enabled in the current runlevel; files are owned by build.
    rc, out, _unused = buildserver.ssh("SVDIR=/var/service sv status httpd; stat -c %U /srv/www/minifix")
    assert out.startswith("run: httpd") and out.split()[-1] == "build", out
    # No secret in the output or the run's files.
    password = (buildserver.pipeline.state / "root_password").read_text().strip()
    assert password not in run["output"]
    assert not any(password in p.read_text(errors="replace") for p in run["dir"].rglob("*") if p.is_file())
    assert _verify(buildserver).get("failed") is not True


def test_rerun_changes_nothing_and_boots_nothing(buildserver):
    before = domain_id(buildserver.host)
    again = buildserver.run("cached")
    assert again["rc"] == 0, again["output"][-3000:]
    assert set(stage_status(again["timeline"])[s] for s in BUILDSERVER_STAGES) == {"cached"}
    assert changed_tasks(again["output"]) == 0, again["output"][-3000:]
    assert domain_id(buildserver.host) == before


def test_tampered_package_and_truncated_index_are_named(buildserver):
    opk = sorted(f for f in _feed_files(buildserver) if f.startswith("rsync_") and f.endswith(".opk"))[0]
    try:
        rc, _unused, err = buildserver.ssh(f"printf X >> /srv/www/minifix/{opk}")
        assert rc == 0, err
        tampered = _verify(buildserver)
        assert tampered.failed and opk in tampered["msg"] and "Size" in tampered["msg"], tampered.result
        # A cached run re-reads only the index; a package changed behind the feed's back fails the verify module.
        rc, _unused, err = buildserver.ssh("head -c 700 /srv/www/minifix/Packages > /tmp/P && "
                                           "cp /tmp/P /srv/www/minifix/Packages")
        assert rc == 0, err
        truncated = _verify(buildserver)
        assert truncated.failed and "Packages" in truncated["msg"], truncated.result
        # The cached verify stage notices its index is not what it recorded, runs, and fails naming the problem.
        run = buildserver.run("truncated")
        assert run["rc"] != 0 and stage_status(run["timeline"])["verify"] == "failed"
        assert "Packages" in run["output"] and "Traceback" not in run["output"]
    finally:
        _restore_feed(buildserver)
    assert _verify(buildserver).get("failed") is not True


def test_push_removes_a_deleted_package_from_the_feed(buildserver):
    tree = "/usr/src/minifix-0.9"
    rc, out, err = buildserver.ssh(f"cd {tree}/pkgs && ls *-license_*.opk")
    assert rc == 0 and out.split(), err
    victim = sorted(out.split())[0]
    # Upstream's way to drop a package: delete its .opk, rebuild the index (build-pkg --index), push.
    rc, _unused, err = buildserver.ssh(f"cd {tree} && mkdir -p /var/tmp/held && mv pkgs/{victim} /var/tmp/held/ && "
                                       "su -c './scripts/build-pkg --index' build")
    assert rc == 0, err
    try:
        run = buildserver.run("deleted")
        assert run["rc"] == 0, run["output"][-3000:]
        status = stage_status(run["timeline"])
        assert [status[s] for s in BUILDSERVER_STAGES] == ["cached", "cached", "cached", "ok", "ok"], status
        assert victim not in _feed_files(buildserver)
        with urllib.request.urlopen(buildserver.feed_url_host + "/Packages", timeout=30) as response:
            assert f"Filename: {victim}" not in response.read().decode()
    finally:
        buildserver.ssh(f"cd {tree} && mv /var/tmp/held/{victim} pkgs/ && su -c './scripts/build-pkg --index' build")
        _restore_feed(buildserver)
    assert victim in _feed_files(buildserver)


def test_make_buildserver_failure_names_the_package_and_resumes(buildserver):
    """rsync uninstalled and its recipe broken in the server's tree: make-buildserver fails building it; the run
    names rsync, fetches its build logs, and the next run (recipe repaired) resumes at make_buildserver. (A broken
    kept .deb would not do: the stage sends the controller's good copy before it builds.)"""
    tree = "/usr/src/minifix-0.9"
    spec = f"{tree}/specs/pkgs/rsync/spec.sh"
    # Neither installed nor in the tree's own feed: magic-install has to build it, and its build stage fails.
    rc, _unused, err = buildserver.ssh(f"cd {tree} && opkg remove rsync >/dev/null && rm -f pkgs/rsync_*.opk && "
                                       "su -c './scripts/build-pkg --index' build >/dev/null && "
                                       f"cp {spec} /var/tmp/rsync-spec.sh && "
                                       f"echo 'build() {{ echo injected failure >&2; return 1; }}' >> {spec}")
    assert rc == 0, err
    try:
        failed = buildserver.run("inject", "-e", "buildstrap_force=make_buildserver")
        assert failed["rc"] != 0, failed["output"][-3000:]
        assert stage_status(failed["timeline"])["makebuildserver"] == "failed"
        assert "make-buildserver failed building rsync" in failed["output"]
        assert "Traceback" not in failed["output"]
        logs = {p.name: p.read_text() for p in (failed["dir"] / "make_buildserver.logs" / "rsync").glob("*.log")}
        assert "injected failure" in logs.get("build.log", ""), sorted(logs)
    finally:
        rc, _unused, err = buildserver.ssh(f"cp /var/tmp/rsync-spec.sh {spec} && chown build {spec}")
    assert rc == 0, err
    resumed = buildserver.run("resumed")
    assert resumed["rc"] == 0, resumed["output"][-3000:]
    status = stage_status(resumed["timeline"])
    assert status["makebuildserver"] == "ok" and status["httpd"] == "cached" and status["push"] == "ok", status
    rc, out, _unused = buildserver.ssh("opkg list-installed | grep '^rsync '")
    assert rc == 0 and out.startswith("rsync "), out
