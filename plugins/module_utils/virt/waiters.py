# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Polling waits with deadlines. Deadlines are seconds already scaled for the accelerator (see timeouts.scaled)."""

from __future__ import annotations

import time

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import WaitTimeout
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1, max_interval: float = 1.0):
    """Call ``predicate`` until it returns a truthy value; back off gently; raise WaitTimeout at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
        interval = min(interval * 1.5, max_interval)


def wait_for_state(dom, states: tuple[str, ...], timeout: float) -> str:
    """Wait until the domain is in one of ``states`` (names from api.STATE_NAMES, or 'absent')."""
    name = dom.name()
    return wait_until(lambda: (s := api.domain_state(dom)) in states and s, timeout,
                      f"{name} to be {' or '.join(states)}")
