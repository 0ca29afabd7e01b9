# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Learning a guest's host keys from its console, and waiting until SSH to it works with the pinned key."""

from __future__ import annotations

import os
import re
import time

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import HypervisorError, SpecError, WaitTimeout
from ansible_collections.aloofix.buildstrap.plugins.module_utils.iso.overlay import (
    FAILED_MARK, READY_MARK, parse_host_keys,
)
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import client as ssh
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.known_hosts import fingerprint, pin
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api, transform
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.timeouts import scaled
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.console import ConsoleSession
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.hypervisor import jump_from_uri

LOOPBACK = "127.0.0.1"


def _domain(conn, name: str):
    dom = api.lookup_domain(conn, name)
    if dom is None:
        raise SpecError("name", f"no domain called {name!r}")
    if api.domain_state(dom) != "running":
        raise SpecError("name", f"domain {name!r} is not running")
    return dom, transform.domain_facts(api.domain_xml(dom, inactive=False))


def ssh_port_of(facts: dict) -> int:
    for nic in facts["nics"]:
        for fwd in nic.get("forwards", []):
            if fwd["guest"] == 22 and fwd["proto"] == "tcp":
                return fwd["host"]
    raise SpecError("name", f"domain {facts['name']!r} forwards no host port to its port 22; add "
                            "nics: [{type: user, forwards: [{guest: 22}]}]")


def learn_host_keys(params: dict) -> dict:
    """Wait for the overlay's READY mark on the console and pin the keys printed before it."""
    uri = params.get("uri") or api.DEFAULT_URI
    with api.connection(uri) as conn:
        dom, facts = _domain(conn, params["name"])
        port = ssh_port_of(facts)
        timeout = scaled(float(params.get("timeout") or 60), facts["accel"])
        with ConsoleSession(conn, dom, transcript=params.get("transcript")) as console:
            log = facts.get("console_log")
            if api.is_local(uri) and log and os.path.exists(log):
                # What this boot printed before we attached (the log restarts with each QEMU process).
                with open(log, "rb") as handle:
                    console.feed(handle.read())
            start = time.monotonic()
            index, match = console.expect([re.escape(READY_MARK), rf"{re.escape(FAILED_MARK)}.*"], timeout,
                                          what="the SSH overlay to start dropbear")
            if index == 1:
                raise SpecError("name", f"the live system could not start SSH: {match.group(0)}\n"
                                        f"--- last lines of the console ---\n{console.screen()}")
            text = console.text
        last_ready = text.rfind(READY_MARK)
        previous = text.rfind(READY_MARK, 0, last_ready)
        keys = parse_host_keys(text[previous + 1 if previous >= 0 else 0:last_ready])
        if not keys:
            raise SpecError("name", "the console showed the SSH overlay's READY mark but no host key")
    changed = pin(params["known_hosts"], LOOPBACK, port, keys)
    return {"changed": changed, "host": LOOPBACK, "port": port, "host_keys": keys,
            "fingerprints": [fingerprint(k) for k in keys], "waited": round(time.monotonic() - start, 2)}


def pin_given(params: dict) -> dict:
    """Pin keys read over an already-verified connection (e.g. the installed disk's, by install2hd)."""
    uri = params.get("uri") or api.DEFAULT_URI
    with api.connection(uri) as conn:
        port = params.get("port") or ssh_port_of(transform.domain_facts(
            api.domain_xml(api.lookup_domain(conn, params["name"]) or _missing(params["name"]))))
    changed = pin(params["known_hosts"], LOOPBACK, port, params["host_keys"])
    return {"changed": changed, "host": LOOPBACK, "port": port, "host_keys": params["host_keys"],
            "fingerprints": [fingerprint(k) for k in params["host_keys"]]}


def _missing(name):
    raise SpecError("name", f"no domain called {name!r}")


def _wait_login_prompt(uri: str, params: dict, deadline: float) -> str:
    """The login prompt on the console. The console stream goes through libvirtd, the guest does not: when
    libvirtd restarts during the wait, the wait connects again and goes on until the deadline (on a local
    hypervisor the console log, which virtlogd kept writing, has what the console printed meanwhile)."""
    reconnecting = False
    while True:
        conn = None
        try:
            conn = api.open_connection(uri)
            dom, facts = _domain(conn, params["name"])
        except (SpecError, HypervisorError):
            _close(conn)
            if not reconnecting or time.monotonic() > deadline:
                raise
            time.sleep(1)  # libvirtd is starting again
            continue
        try:
            with ConsoleSession(conn, dom, transcript=params.get("transcript")) as console:
                if reconnecting:
                    console.note("the libvirt connection was lost (libvirtd restarted?); connected again")
                log = facts.get("console_log")
                if params.get("console_history") and api.is_local(uri) and log and os.path.exists(log):
                    with open(log, "rb") as handle:
                        console.feed(handle.read())
                try:
                    _unused, match = console.expect(params["login_prompt"], max(0.0, deadline - time.monotonic()),
                                                    what="the login prompt")
                    return match.group(0)
                except WaitTimeout:
                    if not console.connection_lost or time.monotonic() > deadline:
                        raise
            reconnecting = True
        finally:
            _close(conn)


def _close(conn) -> None:
    try:
        if conn is not None:
            conn.close()
    except api.libvirt.libvirtError:
        pass  # a connection whose libvirtd went away


def wait_reachable(params: dict) -> dict:
    """Wait for a console prompt (optional), then until SSH with the pinned key runs a command."""
    uri = params.get("uri") or api.DEFAULT_URI
    timings = {}
    start = time.monotonic()
    with api.connection(uri) as conn:
        _unused, facts = _domain(conn, params["name"])
    port = params.get("port") or ssh_port_of(facts)
    timeout = scaled(float(params.get("timeout") or 60), facts["accel"])
    deadline = start + timeout
    prompt = None
    if params.get("login_prompt"):
        prompt = _wait_login_prompt(uri, params, deadline)
        timings["login_prompt"] = round(time.monotonic() - start, 2)
    last_error = None
    attempts = 0
    while time.monotonic() < deadline:
        attempts += 1
        try:
            client = ssh.connect(LOOPBACK, port, params.get("user") or "root", params["private_key"],
                                 params["known_hosts"], timeout=min(30, max(1, deadline - time.monotonic())),
                                 profile=params.get("ssh_profile"), jump=jump_from_uri(uri))
        except ssh.HostKeyError:
            raise
        except ssh.SshError as exc:
            last_error = exc
            time.sleep(0.5)
            continue
        try:
            connected = time.monotonic()
            rc, out, _unused = ssh.run(client, "/bin/uname -n", timeout=30)
            timings["first_command"] = round(time.monotonic() - start, 2)
            timings["command_latency"] = round(time.monotonic() - connected, 3)
        finally:
            client.close()
        return {"changed": False, "port": port, "hostname": out.strip(), "rc": rc, "login_prompt": prompt,
                "attempts": attempts, "timings": timings}
    raise WaitTimeout(f"timed out after {timeout:.0f}s waiting for SSH on {LOOPBACK}:{port} ({last_error})")
