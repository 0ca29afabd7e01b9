"""The fault library: ways to break a running pipeline, each one a call the tests make at a point they choose.

A ``PipelineRun`` is ``ansible-playbook playbooks/buildstrap.yml`` started in the background in its own process
group (as a shell runs it in the foreground: Ctrl-C reaches every process of the run, never pytest). The tests wait
for a point of the run (``run.wait_until``: a line in a transcript, a file, a guest state) and inject a fault there:

    destroy_vm(name)                         the hypervisor loses the VM (virsh destroy)
    restart_libvirtd()                       libvirtd stops and starts again as `libvirtd -d` (QEMU keeps running)
    GuestShell(pipeline).cut_session(cmd)    the guest's dropbear child serving the command dies (SSH cut)
    GuestShell(pipeline).fill_disk()         the guest's root file system has no free block left
    corrupt_file(path)                       a few bytes in the middle of a file change, its size does not
    run.interrupt()                          Ctrl-C: SIGINT to the run's process group
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import client as ssh
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api, transform
from tests.conftest import ROOT
from tests.integration.pipeline import timeline


class FaultTimeout(AssertionError):
    """The point where a fault was to be injected never came."""


class PipelineRun:
    """A pipeline run in the background (its own process group), with the points the faults wait for."""

    def __init__(self, pipeline, label: str, *extra: str, command: list[str] | None = None):
        """``command``: other playbooks than buildstrap.yml (ansible-playbook and its playbooks; the pipeline's
        images directory and VM name are added)."""
        self.pipeline, self.label = pipeline, label
        env, self.dir = pipeline.env(label)
        self.log = pipeline.workdir / f"run{pipeline.runs}-{label}.output"
        self._out = open(self.log, "w", encoding="utf-8")
        self.started = time.monotonic()
        argv = pipeline.command(*extra)
        if command:
            argv = [*command, *argv[2:]]
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self._out,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.injected: list[str] = []

    def running(self) -> bool:
        return self.proc.poll() is None

    def transcript(self, name: str) -> str:
        path = self.dir / name
        return path.read_text(errors="replace") if path.exists() else ""

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until(self, what: str, predicate, timeout: float = 900, interval: float = 0.2):
        """Poll ``predicate()`` until it returns something true (returned) while the run goes on."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            if not self.running():
                raise FaultTimeout(f"run {self.label} ended (rc {self.proc.returncode}) before {what}:\n"
                                   + self.output()[-3000:])
            time.sleep(interval)
        raise FaultTimeout(f"run {self.label}: no {what} within {timeout:.0f}s")

    def wait_for_line(self, transcript: str, pattern: str, timeout: float = 900) -> str:
        """Wait until the run's ``transcript`` (a file of its run directory) has a line matching ``pattern``."""
        regex = re.compile(pattern, re.MULTILINE)
        return self.wait_until(f"{pattern!r} in {transcript}",
                               lambda: (m := regex.search(self.transcript(transcript))) and m.group(0), timeout)

    def interrupt(self) -> None:
        """Ctrl-C at the terminal the run is in the foreground of."""
        self.injected.append("SIGINT")
        os.killpg(self.proc.pid, signal.SIGINT)

    def leftover_processes(self) -> list[int]:
        """Processes of the run's group still alive (after it ended: none should be)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.getpgid(int(entry.name)) == self.proc.pid:
                        pids.append(int(entry.name))
                except ProcessLookupError:
                    pass
        return pids

    def stop(self) -> None:
        """Kill what is left of the run (a test that failed before it ended)."""
        if self.proc.poll() is None or self.leftover_processes():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        if not self._out.closed:
            self._out.close()

    def finish(self, timeout: float = 1800) -> dict:
        """Wait for the run to end; the same result as Pipeline.run, the output also kept in its run directory."""
        try:
            self.proc.wait(timeout=timeout)
        finally:
            self.stop()
        output = self.output()
        if self.dir.is_dir():
            (self.dir / "ansible-playbook.log").write_text(output)
        return {"rc": self.proc.returncode, "output": output, "dir": self.dir,
                "seconds": time.monotonic() - self.started, "timeline": timeline(self.dir)}


# The hypervisor ----------------------------------------------------------------------------------------------

def destroy_vm(name: str, uri: str = api.DEFAULT_URI) -> None:
    """Pull the plug: the domain stops at once, as if QEMU died."""
    with api.connection(uri) as conn:
        dom = api.lookup_domain(conn, name)
        assert dom is not None, f"no domain {name} to destroy"
        api.destroy_domain(dom)


def domain_facts(name: str, uri: str = api.DEFAULT_URI) -> dict | None:
    with api.connection(uri) as conn:
        dom = api.lookup_domain(conn, name)
        if dom is None or api.domain_state(dom) != "running":
            return None
        return transform.domain_facts(api.domain_xml(dom, inactive=False))


LIBVIRTD_PIDFILE = Path("/run/libvirtd.pid")


def _libvirtd_pid() -> int | None:
    """The system libvirtd's pid (qemu:///system's; a session daemon of another user is left alone)."""
    try:
        pid = int(LIBVIRTD_PIDFILE.read_text().split()[0])
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError, IndexError):
        return None


def libvirtd_answers() -> bool:
    return subprocess.run(["virsh", "-q", "-c", api.DEFAULT_URI, "uri"], capture_output=True,
                          timeout=30, check=False).returncode == 0


def ensure_libvirtd() -> None:
    """libvirtd runs and answers, as scripts/setup.sh starts it (there is no systemd here)."""
    if _libvirtd_pid() is None:
        subprocess.run(["libvirtd", "-d"], check=True, timeout=60)
    deadline = time.monotonic() + 60
    while not libvirtd_answers():
        if time.monotonic() > deadline:
            raise AssertionError("libvirtd does not answer on qemu:///system after starting it")
        time.sleep(0.5)


def restart_libvirtd() -> float:
    """Stop the system libvirtd (SIGTERM, as an init system does) and start it again as `libvirtd -d`; return
    how long it was away. Running domains go on: their QEMU processes are not libvirtd's to stop."""
    started = time.monotonic()
    try:
        pid = _libvirtd_pid()
        assert pid is not None, f"no libvirtd running ({LIBVIRTD_PIDFILE})"
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.5)
    finally:
        ensure_libvirtd()
    return round(time.monotonic() - started, 1)


# The guest ---------------------------------------------------------------------------------------------------

class GuestShell:
    """Root on the pipeline's running VM over its own SSH connection (the pipeline's key and pinned host keys)."""

    def __init__(self, pipeline, profile: str = "dropbear-2013"):
        self.pipeline, self.profile = pipeline, profile

    def port(self) -> int:
        facts = domain_facts(self.pipeline.vm_name)
        assert facts, f"{self.pipeline.vm_name} is not running"
        return next(f["host"] for nic in facts["nics"] for f in nic.get("forwards", [])
                    if f["guest"] == 22 and f["proto"] == "tcp")

    def sh(self, line: str, timeout: float = 120) -> tuple[int, str, str]:
        state = self.pipeline.state
        with ssh.connect("127.0.0.1", self.port(), "root", str(state / "id_rsa"), str(state / "known_hosts"),
                         profile=self.profile) as client:
            return ssh.run(client, ssh.explicit_path(line), timeout=timeout)

    def processes(self) -> dict[int, tuple[int, str]]:
        """{pid: (ppid, command line)} of the guest (busybox ps)."""
        rc, out, err = self.sh("ps -o pid,ppid,args")
        assert rc == 0, err
        table = {}
        for line in out.splitlines()[1:]:
            pid, ppid, args = (line.split(None, 2) + [""])[:3]
            table[int(pid)] = (int(ppid), args)
        return table

    def cut_session(self, marker: str) -> int:
        """Kill (SIGKILL) the dropbear child that serves the process whose command line contains ``marker``: its
        TCP connection drops as when a network or the SSH server dies. Returns the killed pid."""
        procs = self.processes()
        target = next((pid for pid, (_unused, args) in procs.items() if marker in args and "ps -o" not in args), None)
        assert target, f"no process {marker!r} on the guest"
        pid = target
        while pid in procs and not procs[pid][1].startswith("/usr/sbin/dropbear"):
            pid = procs[pid][0]
        assert pid in procs, f"{marker!r} does not run under dropbear on the guest"
        rc, _unused, err = self.sh(f"kill -9 {pid}")
        assert rc == 0, err
        return pid

    def fill_disk(self, mount: str = "/") -> str:
        """Fill the file system of ``mount`` to the last block, as root (past the blocks ext4 keeps for root).
        Returns df's line afterwards."""
        # fallocate takes the blocks without writing them (writing zeros would grow the qcow2 overlay on the
        # host by as much); dd takes what fallocate's rounding left.
        fill = f"{mount.rstrip('/')}/.buildstrap-fault-fill"
        self.sh(f"free=$(df -k {mount} | awk 'NR==2 {{print $4}}'); fallocate -l $((free * 1024)) {fill}; "
                f"dd if=/dev/zero of={fill}.tail bs=4k 2>/dev/null; sync", timeout=300)
        _unused, out, _unused = self.sh(f"df -k {mount} | tail -1")
        return out.strip()


# Files -------------------------------------------------------------------------------------------------------

def sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def corrupt_file(path, length: int = 16) -> None:
    """Flip ``length`` bytes in the middle of the file (bit rot): same size and mtime, different sha256."""
    stat = os.stat(path)
    with open(path, "r+b") as handle:
        handle.seek(stat.st_size // 2)
        data = handle.read(length)
        handle.seek(stat.st_size // 2)
        handle.write(bytes(b ^ 0xFF for b in data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def manifest(pipeline, stage: str) -> dict | None:
    path = pipeline.manifests / f"{stage}.json"
    return json.loads(path.read_text()) if path.exists() else None


def half_written(images: Path) -> list[str]:
    """Files a write left behind unfinished: copies in progress (.part), manifests being written (NAME.json.PID)
    and manifests that do not parse."""
    found = [str(p) for p in images.rglob("*") if p.is_file()
             and (p.name.endswith((".part", ".tmp")) or re.search(r"\.json\.\d+$", p.name))]
    for path in images.rglob("manifests/*.json"):
        try:
            json.loads(path.read_text())
        except ValueError:
            found.append(f"{path} (not JSON)")
    return found
