# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Long guest commands under a pty: prompts answered, progress counted, success and failure read from output,
and files copied off a guest with their sha256 checked on both ends."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import tarfile
import time

from ansible_collections.aloofix.buildstrap.plugins.module_utils.digest import file_sha256
from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import BuildstrapError, SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import client as ssh
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.timeouts import scaled


class SessionFailed(BuildstrapError):
    """The command reported failure or ended badly."""


def connection_params(task_vars: dict, template) -> dict:
    """How to reach the task's host: the same variables Ansible's ssh connection uses, plus the pin file."""
    params = {
        "host": template(task_vars.get("ansible_host", task_vars.get("inventory_hostname"))),
        "port": int(template(task_vars.get("ansible_port", 22))),
        "user": template(task_vars.get("ansible_user", "root")),
        "key_file": template(task_vars.get("ansible_ssh_private_key_file", "")),
        "known_hosts": template(task_vars.get("buildstrap_known_hosts", "")),
        "accel": template(task_vars.get("buildstrap_accel", "tcg")),
        "profile": template(task_vars.get("buildstrap_ssh_profile", "modern")),
    }
    for field, var in (("key_file", "ansible_ssh_private_key_file"), ("known_hosts", "buildstrap_known_hosts")):
        if not params[field] or not os.path.isfile(params[field]):
            raise SpecError(var, f"set it for {task_vars.get('inventory_hostname')} (the guest's key and pinned "
                                 "known_hosts file)")
    return params


def connect_guest(params: dict):
    """A paramiko client to the guest described by connection_params(), trusting only its pinned keys."""
    return ssh.connect(params["host"], params["port"], params["user"], params["key_file"], params["known_hosts"],
                       timeout=scaled(15, params["accel"]), profile=params.get("profile"))


def wrap(command: str, user: str | None, chdir: str | None) -> str:
    """The command line, run in ``chdir`` as ``user`` (through su from root, like a person would)."""
    line = f"cd {shlex.quote(chdir)} && {command}" if chdir else command
    if user and user != "root":
        line = f"su - {shlex.quote(user)} -c {shlex.quote(line)}"
    return ssh.explicit_path(line)


def compile_dialogue(prompts: list[dict], secrets: dict, success: str | None, failure: list[str],
                     progress: dict | None) -> list[tuple[str, re.Pattern, dict]]:
    """(kind, regex, data) in match priority order, checked up front."""
    table = []
    for i, prompt in enumerate(prompts):
        if prompt.get("secret") and not secrets.get(prompt["secret"]):
            raise SpecError(f"prompts[{i}].secret", f"{prompt['secret']!r} has no value in secrets; set it (vault)")
        table.append(("prompt", re.compile(prompt["expect"], re.MULTILINE), prompt))
    for pattern in failure:
        table.append(("failure", re.compile(pattern, re.MULTILINE), {}))
    if progress:
        table.append(("progress", re.compile(progress["regex"], re.MULTILINE), progress))
    if success:
        table.append(("success", re.compile(success, re.MULTILINE), {}))
    return table


def run_dialogue(client, line: str, name: str, table, secrets: dict, idle_timeout: float, transcript: str | None,
                 report=None, progress_total: int | None = None, eta_seconds: float | None = None) -> dict:
    """Run ``line`` under a pty; answer prompts; count progress (calling ``report(text)``); return facts."""
    started = time.monotonic()
    items, failures, failed_items, success, answered = [], [], [], None, 0
    with ssh.PtySession(client, line, name, transcript=transcript,
                        secrets=[str(v) for v in secrets.values() if v]) as session:
        while True:
            try:
                index, match = session.expect([regex for _unused, regex, _unused in table], idle_timeout,
                                              what="output (the command made no progress)")
            except BuildstrapError as exc:
                if session.closed:
                    break
                raise SessionFailed(str(exc)) from None
            kind, _unused, data = table[index]
            elapsed = time.monotonic() - started
            if kind == "prompt":
                answered += 1
                if answered > 20:
                    raise SessionFailed(f"{name}: the command keeps prompting ({match.group(0)!r}); giving up")
                session.answer(str(secrets[data["secret"]]) if data.get("secret") else data["answer"],
                               secret=bool(data.get("secret")))
            elif kind == "failure":
                failures.append(session.mask(match.group(0)))
                if match.groups() and match.group(1):
                    failed_items.append(session.mask(match.group(1)))  # what failed: a package, for its logs
            elif kind == "success":
                success = session.mask(match.group(0))
            elif kind == "progress":
                item = match.group(1) if match.groups() else match.group(0)
                items.append({"item": item, "at": round(elapsed, 1)})
                if report:
                    report(_progress_line(name, item, len(items), progress_total, elapsed, eta_seconds))
        if session.connection_lost:
            last = items[-1]["item"] if items else "(none)"
            raise SessionFailed(f"{name}: the SSH connection to the guest was lost while the command ran (no exit "
                                f"status); last progress item {last}; transcript {transcript}\n"
                                f"--- last lines ---\n{session.screen(30)}")
        rc = session.exit_status(idle_timeout)
        screen = session.screen(30)
    for i, item in enumerate(items):
        end = items[i + 1]["at"] if i + 1 < len(items) else round(time.monotonic() - started, 1)
        item["seconds"] = round(end - item["at"], 1)
    return {"rc": rc, "seconds": round(time.monotonic() - started, 1), "progress": items, "success": success,
            "failures": failures, "failed_items": failed_items, "answered_prompts": answered, "screen": screen}


def full_disk(client, path: str | None, timeout: float = 60) -> str | None:
    """What df says of the file system holding ``path`` on the guest when it is (nearly) full, else None: the
    cause of a failure that the command's own output may not name (its logs were on that disk too)."""
    try:
        rc, out, _unused = ssh.run(client, f"/bin/df -k {shlex.quote(path or '/')}", timeout=timeout)
    except BuildstrapError:
        return None
    return full_disk_note(out) if rc == 0 else None


def full_disk_note(df_output: str) -> str | None:
    """From `df -k PATH`'s output: a sentence saying its file system is full (less than 1 % or 1 MiB free for
    users other than root), or None."""
    fields = df_output.split()[-6:]
    if len(fields) < 6 or not fields[1].isdigit() or not fields[3].isdigit():
        return None
    device, blocks, available, mount = fields[0], int(fields[1]), int(fields[3]), fields[5]
    if available >= max(1024, blocks // 100):
        return None
    return f"the guest's file system {mount} ({device}) is full: {available} KiB free of {blocks} KiB"


def _progress_line(name, item, count, total, elapsed, eta_seconds) -> str:
    of = f"{count}/{total}" if total else f"{count}"
    eta = ""
    if eta_seconds and eta_seconds > elapsed:
        eta = f", ETA {eta_seconds - elapsed:.0f}s (last run {eta_seconds:.0f}s)"
    elif total and count > 1:  # no last run, or this one is slower: from this run's own pace
        eta = f", ETA {elapsed / (count - 1) * (total - count + 1):.0f}s"
    return f"[{name}] {item} ({of}), elapsed {elapsed:.0f}s{eta}"


def remote_sha256(client, path: str, timeout: float) -> str:
    rc, out, err = ssh.run(client, f"/usr/bin/sha256sum {shlex.quote(path)}", timeout=timeout)
    if rc != 0 or not out.split():
        raise SessionFailed(f"{path} cannot be read on the guest: {err.strip() or out.strip()}")
    return out.split()[0]


def fetch_file(client, src: str, dest: str, timeout: float, remote: str | None = None) -> dict:
    """Copy ``src`` off the guest with `cat` (dropbear often has no sftp); sha256 checked against the guest's
    (``remote``, when the caller already asked for it)."""
    remote = remote or remote_sha256(client, src, timeout)
    os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
    part = dest + ".part"
    digest = hashlib.sha256()
    size = 0
    started = time.monotonic()
    try:
        chan = client.get_transport().open_session(timeout=timeout)
        chan.settimeout(timeout)
        chan.exec_command(f"/bin/cat {shlex.quote(src)}")
        with open(part, "wb") as handle:
            while True:
                data = chan.recv(1 << 16)
                if not data:
                    break
                digest.update(data)
                size += len(data)
                handle.write(data)
        status = chan.recv_exit_status()
        chan.close()
    except (OSError, ssh.paramiko.SSHException) as exc:
        if os.path.exists(part):
            os.unlink(part)
        raise SessionFailed(f"copying {src} off the guest: {exc}") from None
    if status != 0 or digest.hexdigest() != remote:
        os.unlink(part)
        raise SessionFailed(f"copying {src} off the guest: sha256 {digest.hexdigest()} does not match the "
                            f"guest's {remote} (exit {status})")
    os.replace(part, dest)
    return {"sha256": remote, "size": size, "seconds": round(time.monotonic() - started, 2)}


_SAFE_NAME = re.compile(r"^[A-Za-z0-9+@%=,.:~_-]+$")  # no spaces, quotes or newlines


def local_tree(src: str) -> dict[str, str]:
    """{relative path: sha256} of every regular file under ``src`` (the controller's side of a push)."""
    if not os.path.isdir(src):
        raise SpecError("src", f"{src} is not a directory on the controller")
    files = {}
    for root, dirs, names in os.walk(src):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src)
            if not os.path.isfile(path) or os.path.islink(path):
                continue
            if not all(_SAFE_NAME.match(part) for part in rel.split(os.sep)):
                raise SpecError("src", f"{path}: only plain file names can be pushed to a guest")
            files[rel] = file_sha256(path)
    return files


def remote_tree(client, dest: str, timeout: float) -> dict[str, str]:
    """{relative path: sha256} of the files already under ``dest`` on the guest (empty when it is missing)."""
    rc, out, err = ssh.run(client, f"cd {shlex.quote(dest)} 2>/dev/null || exit 0; "
                                   "/usr/bin/find . -type f | /usr/bin/xargs -r /usr/bin/sha256sum", timeout=timeout)
    if rc != 0:
        raise SessionFailed(f"listing {dest} on the guest failed (rc {rc}): {err.strip()}")
    files = {}
    for line in out.splitlines():
        digest, _unused, rel = line.partition("  ")
        if rel:
            files[os.path.normpath(rel)] = digest
    return files


def push_tree(client, src: str, dest: str, files: dict[str, str], owner: str | None, timeout: float) -> dict:
    """Stream ``files`` (relative paths under ``src``) into ``dest`` on the guest as one tar over the verified SSH
    channel, then have the guest check every file's sha256 and give the tree to ``owner``."""
    started = time.monotonic()
    sent = 0
    extract = (f"/bin/mkdir -p {shlex.quote(dest)} && cd {shlex.quote(dest)} && /bin/tar -xf -")
    try:
        chan = client.get_transport().open_session(timeout=timeout)
        chan.settimeout(timeout)
        chan.exec_command(ssh.explicit_path(extract))
        stream = chan.makefile("wb")
        with tarfile.open(fileobj=stream, mode="w|", format=tarfile.USTAR_FORMAT) as archive:
            dirs = sorted({os.path.dirname(rel) for rel in files} - {""})
            for rel in sorted({"/".join(d.split("/")[:i + 1]) for d in dirs for i in range(d.count("/") + 1)}):
                info = tarfile.TarInfo(rel)
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, int(time.time())
                archive.addfile(info)
            for rel in sorted(files):
                info = archive.gettarinfo(os.path.join(src, rel), arcname=rel)
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                with open(os.path.join(src, rel), "rb") as handle:
                    archive.addfile(info, handle)
                sent += info.size
        stream.flush()
        chan.shutdown_write()
        err = b""
        while not chan.exit_status_ready() or chan.recv_stderr_ready():
            if chan.recv_stderr_ready():
                err += chan.recv_stderr(65536)
            else:
                time.sleep(0.02)
        status = chan.recv_exit_status()
        chan.close()
    except (OSError, ssh.paramiko.SSHException) as exc:
        raise SessionFailed(f"pushing {src} to {dest} on the guest: {exc}") from None
    if status != 0:
        raise SessionFailed(f"pushing {src} to {dest}: the guest's tar exited with {status}: "
                            f"{err.decode('utf-8', 'replace').strip()}")
    sums = "".join(f"{digest}  {rel}\n" for rel, digest in sorted(files.items()))
    rc, out, err = ssh.run(client, f"cd {shlex.quote(dest)} && /usr/bin/sha256sum -c", timeout=timeout,
                           stdin=sums.encode())
    if rc != 0:
        bad = [ln for ln in (out + err).splitlines() if "FAILED" in ln or "No such" in ln]
        raise SessionFailed(f"pushed files differ on the guest (sha256): {'; '.join(bad[:5]) or err.strip()}")
    if owner:
        rc, _unused, err = ssh.run(client, f"/bin/chown -R {shlex.quote(owner)} {shlex.quote(dest)}", timeout=timeout)
        if rc != 0:
            raise SessionFailed(f"giving {dest} to {owner} failed: {err.strip()}")
    seconds = time.monotonic() - started
    return {"bytes": sent, "seconds": round(seconds, 2), "mb_per_s": round(sent / 1e6 / max(seconds, 1e-3), 2)}
