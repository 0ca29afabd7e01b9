"""Faults injected into the session's pipeline (real TCG VMs), one run each, in the order that costs least: every
run that fails is the next one's resume, so the native stage is rebuilt once and install 2 twice for all of them.

    run 1  ISO 2 corrupted on disk -> native rebuilt; libvirtd restarted during its boot wait; SSH cut -> fails
    run 2  resumes at native; the guest's disk fills during the rebuild -> fails
    run 3  resumes at native; Ctrl-C during the rebuild -> stops, nothing half-written
    run 4  resumes at native, which completes; the VM is destroyed during install 2's install2hd -> fails
    run 5  resumes at install 2 -> the pipeline is whole again; beside it, a second pipeline (another recipe and
           VM name) makes its stage 1 and install 1: no collision

Each failure must name its stage and its cause, leave the artifacts of finished stages as their manifests
recorded them, and be resumed by the next run. Afterwards no configured password is in any log.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api
from tests.conftest import ROOT, libvirtd_lock, remove_test_objects, run_module
from tests.faults import faults
from tests.faults.conftest import failed_stage, statuses
from tests.integration.pipeline import ANSIBLE_PLAYBOOK, STAGES, Pipeline

pytestmark = [pytest.mark.vm, pytest.mark.faults]

LOGIN = r"host[0-9a-f]{12} login:"  # recipes/minifix.yml install.login_prompt
PROGRESS = r"^Building \S+ package"  # native.progress.regex: the rebuild is under way


def _row(record_property, fault: str, **cells) -> None:
    record_property("fault", dict(cells, fault=fault))


def _stage(name: str) -> str:
    return name.split(" - ")[0]


def _cause(msg: str, pattern: str) -> str:
    """The part of a failure message that names the cause (asserted to be there), for the table."""
    match = re.search(pattern, msg)
    assert match, f"{pattern!r} not in the message:\n{msg}"
    return match.group(0)


def _cache_reason(result: dict, stage_prefix: str) -> str:
    for stage in result["timeline"]["stages"]:
        if stage["name"].startswith(stage_prefix):
            for task in stage["tasks"]:
                if "cache" in task:
                    return task["cache"]
    return ""


def test_corrupted_iso_libvirtd_restart_and_ssh_cut(chain, record_property):
    """ISO 2, the native stage's output, is corrupted on disk between runs: the next run finds its sha256 wrong
    and rebuilds that stage. While the stage waits for the installed system's login prompt on the console,
    libvirtd restarts: the wait connects again and goes on. Then the rebuild's SSH connection is cut (its dropbear
    child killed): the run fails in the native stage and says the connection was lost."""
    pipe = chain.pipeline
    iso2 = faults.manifest(pipe, "native")["outputs"]["iso"]
    faults.corrupt_file(iso2["file"])
    assert faults.sha256(iso2["file"]) != iso2["sha256"]
    # Tests beside this line of work (pytest-xdist's other group) wait while libvirtd may go away.
    with libvirtd_lock(exclusive=True):
        run = chain.run("corrupted-iso2")
        console = "native.disk.console.log"
        run.wait_until("the native stage waiting for the login prompt",
                       lambda: (run.dir / console).exists() and not re.search(LOGIN, run.transcript(console)),
                       interval=0.1)
        away = faults.restart_libvirtd()
    run.wait_for_line("native.session.log", PROGRESS)
    faults.GuestShell(pipe).cut_session("scripts/buildstrap")
    result = chain.finish(run)

    assert result["rc"] != 0
    stage, msg = failed_stage(result)
    assert _stage(stage) == "Native", stage
    cause = _cause(msg, r"the SSH connection to the guest was lost[^;]*")
    assert f"FAILED stage {stage!r}" in result["output"]  # said again at the end of the run
    detected = _cause(_cache_reason(result, "Native"), r"does not match its sha256: corrupted, rebuilding")
    assert "connected again" in run.transcript(console), "the console wait did not reconnect"
    status = statuses(result)
    assert (status["stage1"], status["install1"], status["native"]) == ("cached", "cached", "failed"), status
    intact = chain.intact("stage1", "install1")
    seconds = result["seconds"]
    _row(record_property, "ISO 2 corrupted on disk between runs", stage=f"Native: output iso {detected}",
         intact=intact, resumed="pending", seconds=0)
    _row(record_property, "libvirtd restarted during a guest wait", stage="none: the wait reconnected "
         f"(libvirtd away {away:.0f}s)", intact=intact, resumed="not needed: the run went on", seconds=0)
    _row(record_property, "SSH cut during the native rebuild", stage=f"{_stage(stage)}: {cause}",
         intact=intact, resumed="pending", seconds=seconds)


def test_guest_disk_fills_during_native_rebuild(chain, record_property):
    """The run resumes at the native stage (stage 1 and install 1 cached); the guest's root file system fills up
    during the rebuild: the run fails in the native stage and says the disk is full (the build's own message
    cannot: its log was on that disk)."""
    pipe = chain.pipeline
    run = chain.run("disk-full")
    run.wait_for_line("native.session.log", PROGRESS)
    faults.GuestShell(pipe).fill_disk()
    result = chain.finish(run)

    assert result["rc"] != 0
    status = statuses(result)
    assert (status["stage1"], status["install1"], status["native"]) == ("cached", "cached", "failed"), status
    _row(record_property, "SSH cut during the native rebuild", resumed="yes: the next run started at native")
    stage, msg = failed_stage(result)
    assert _stage(stage) == "Native", stage
    cause = _cause(msg, r"the guest's file system / \(\S+\) is full: \d+ KiB free")
    intact = chain.intact("stage1", "install1")
    _row(record_property, "guest disk full during the native rebuild", stage=f"Native: {cause}",
         intact=intact, resumed="pending", seconds=result["seconds"])


def test_ctrl_c_during_native_rebuild(chain, record_property):
    """Ctrl-C (SIGINT to the run's process group) during the rebuild: every process of the run ends, and nothing
    is left half-written: no partial copy, no manifest being written, the native stage not recorded as done."""
    pipe = chain.pipeline
    run = chain.run("ctrl-c")
    run.wait_for_line("native.session.log", PROGRESS)
    status_before = faults.manifest(pipe, "native")
    run.interrupt()
    started = time.monotonic()
    try:
        run.proc.wait(timeout=120)
    except Exception:  # noqa: BLE001 - reported below, after the run is killed
        pass
    stopped = time.monotonic() - started
    leftover = run.leftover_processes()
    result = chain.finish(run, timeout=5)

    assert not leftover, f"processes of the run still alive {stopped:.0f}s after Ctrl-C: {leftover}"
    assert result["rc"] != 0
    assert status_before is None, "the native stage looked done while it ran"
    assert faults.manifest(pipe, "native") is None, "the interrupted native stage was recorded as done"
    assert faults.half_written(pipe.images) == []
    assert "User interrupted execution" in result["output"], result["output"][-2000:]
    intact = chain.intact("stage1", "install1")
    _row(record_property, "guest disk full during the native rebuild", resumed="yes: the next run started at native")
    _row(record_property, "Ctrl-C (SIGINT) during the native rebuild",
         stage=f"Native: interrupted, stopped in {stopped:.0f}s, nothing half-written", intact=intact,
         resumed="pending", seconds=result["seconds"])


def test_vm_destroyed_during_install2hd(chain, record_property):
    """The run resumes at the native stage, which now completes (a new ISO 2, whose sha256 its manifest records),
    and goes on to install 2; the VM is destroyed while install2hd installs its packages: the run fails in install 2
    naming install2hd, and the stages before it stay done."""
    pipe = chain.pipeline
    run = chain.run("vm-destroyed")
    run.wait_for_line("install2.install2hd/install2hd.transcript.log", r"-> packages", timeout=1800)
    faults.destroy_vm(pipe.vm_name)
    result = chain.finish(run)

    assert result["rc"] != 0
    status = statuses(result)
    assert [status[s] for s in STAGES] == ["cached", "cached", "ok", "failed"], status
    _row(record_property, "Ctrl-C (SIGINT) during the native rebuild", resumed="yes: the next run started at native")
    stage, msg = failed_stage(result)
    assert _stage(stage) == "Install 2", stage
    cause = _cause(msg, r"install2hd on \S+: the SSH connection to the guest was lost during step \S+")
    native = faults.manifest(pipe, "native")
    assert native and faults.sha256(native["outputs"]["iso"]["file"]) == native["outputs"]["iso"]["sha256"]
    chain.baseline["native"] = native
    intact = chain.intact("stage1", "install1", "native")
    _row(record_property, "ISO 2 corrupted on disk between runs", resumed="yes: native rebuilt, ISO 2 verifies")
    _row(record_property, "VM destroyed during install2hd", stage=f"{_stage(stage)}: {cause}", intact=intact,
         resumed="pending", seconds=result["seconds"])


def test_resume_after_the_faults_beside_a_second_pipeline(chain, record_property, run_id):
    """The last run resumes at install 2 and the pipeline is whole again: every stage verifies. At the same time a
    second pipeline, of another recipe (a copy of minifix under another name) and with another VM name, makes its
    stage 1 and install 1 in the same images directory: neither run sees the other's ports, volumes, run
    directory, console log or manifests."""
    pipe = chain.pipeline
    recipe = pipe.workdir / "minifixb.yml"
    recipe.write_text((ROOT / "recipes" / "minifix.yml").read_text())
    other = Pipeline(pipe.workdir, f"{run_id}-b", recipe="minifixb")
    other.runs = pipe.runs + 100  # run directories of its own numbering: a collision would be the product's
    stages = [str(ROOT / "playbooks" / "stages" / name) for name in ("prepare.yml", "stage1.yml", "install.yml")]
    try:
        second = faults.PipelineRun(other, "second", "-e", f"buildstrap_recipe={recipe}", "-e", "install_stage=install1",
                                    command=[ANSIBLE_PLAYBOOK, *stages])
        chain.track(second)
        result = chain.finish(chain.run("resumed"))
        beside = chain.finish(second)
        assert result["rc"] == 0, result["output"][-5000:]
        assert beside["rc"] == 0, beside["output"][-5000:]
        status = statuses(result)
        assert [status[s] for s in STAGES] == ["cached", "cached", "cached", "ok"], status
        intact = chain.intact("stage1", "install1", "native")
        assert faults.half_written(pipe.images) == []
        assert pipe.instance()["name"] == pipe.vm_name

        ports = [faults.GuestShell(p).port() for p in (pipe, other)]
        assert ports[0] != ports[1], ports
        with api.connection() as conn:
            pool = api.lookup_pool(conn, api.DEFAULT_POOL)
            api.refresh_pool(pool)
            volumes = [v.name() for v in pool.listAllVolumes(0)]
        for p, mine in ((pipe, {"disk1", "disk2", "disk3"}), (other, {"disk1", "disk2"})):
            assert {f"{p.vm_name}-{d}.qcow2" for d in mine} <= set(volumes), (p.vm_name, volumes)
        assert faults.manifest(pipe, "install2")["outputs"]["disk"]["volume"] == f"{pipe.vm_name}-disk2.qcow2"
        assert faults.manifest(other, "install1")["outputs"]["disk"]["volume"] == f"{other.vm_name}-disk1.qcow2"
        assert faults.manifest(other, "install1")["inputs"]["iso"] != faults.manifest(pipe, "install1")["inputs"]["iso"]
        assert sorted(p.name for p in other.manifests.glob("*.json")) == ["install1.json", "stage1.json"]
        assert result["dir"] != beside["dir"]
        assert (result["dir"] / "install2.install2hd").is_dir() and not (result["dir"] / "install1.install2hd").exists()
        assert (beside["dir"] / "install1.install2hd").is_dir() and not (beside["dir"] / "install2.install2hd").exists()
        for p in (pipe, other):
            console = Path(f"/var/log/libvirt/qemu/{p.vm_name}-console.log").read_text(errors="replace")
            assert re.search(LOGIN, console), p.vm_name
        # For the password check: the second pipeline's passwords must not be in any log either.
        chain.secrets += [(other.state / n).read_text().strip() for n in ("root_password", "build_password")
                          if (other.state / n).exists()]
    finally:
        run_module("vm", {"name": other.vm_name, "state": "absent", "remove_volumes": True})
        remove_test_objects([api.DEFAULT_URI], match=lambda name: name.startswith(f"{other.vm_name}-"))
        shutil.rmtree(other.images / other.recipe, ignore_errors=True)
        for log in (f"{other.vm_name}-console.log", f"{other.vm_name}.log"):
            Path("/var/log/libvirt/qemu", log).unlink(missing_ok=True)
    _row(record_property, "VM destroyed during install2hd", resumed="yes: install 2 ran again and succeeded")
    _row(record_property, "two pipelines at once (2 recipes, 2 VM names)",
         stage=f"none failed: ports {ports[0]} != {ports[1]}; own volumes, run dirs, console logs, manifests",
         intact=intact, resumed="-", seconds=max(0.0, beside["seconds"] - result["seconds"]))


def test_no_password_in_logs_after_the_faults(chain):
    """The configured root and build passwords appear in no run directory, no log of the images directory, no
    console log of the pipeline's VM and no output of the runs."""
    pipe = chain.pipeline
    secrets = chain.secrets + [(pipe.state / name).read_text().strip()
                               for name in ("root_password", "build_password") if (pipe.state / name).exists()]
    assert secrets and all(secrets)
    files = [p for p in pipe.workdir.glob("run*/**/*") if p.is_file()]
    files += list(pipe.workdir.glob("run*.output"))
    files += [p for p in pipe.images.rglob("*") if p.is_file() and p.suffix in (".log", ".txt", ".json", ".html")]
    qemu_logs = Path("/var/log/libvirt/qemu")
    files += [p for p in (qemu_logs / f"{pipe.vm_name}-console.log", qemu_logs / f"{pipe.vm_name}.log") if p.exists()]
    assert len(files) > 20, files
    leaks = [str(p) for p in files if any(s in p.read_text(errors="replace") for s in secrets)]
    leaks += [f"output of {r['dir'].name}" for r in chain.results if any(s in r["output"] for s in secrets)]
    assert leaks == []
