# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Console dialogues: validated steps (expect / send / key / secret) run over a ConsoleSession."""

from __future__ import annotations

import re

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError

# Named keys for menus and prompts (ISOLINUX takes a hotkey, then Enter).
KEYS = {"enter": "\r", "tab": "\t", "escape": "\x1b", "space": " ", "backspace": "\x7f",
        "up": "\x1b[A", "down": "\x1b[B", "right": "\x1b[C", "left": "\x1b[D", "ctrl-c": "\x03", "ctrl-d": "\x04"}
STEP_KEYS = ("expect", "send", "sendline", "key", "secret", "timeout", "pace", "name")


def parse_steps(steps, secrets: dict) -> list[dict]:
    """Check every step before the console is touched. A step is one action:
    {expect: REGEX | [REGEX...]}, {send: TEXT}, {sendline: TEXT}, {key: NAME}, {secret: NAME} (sendline of a
    value from ``secrets``); optional timeout (seconds under KVM) and pace (seconds between characters)."""
    if not isinstance(steps, list) or not steps:
        raise SpecError("steps", "must be a non-empty list such as [{expect: 'login:'}, {sendline: root}]")
    parsed = []
    for i, step in enumerate(steps):
        field = f"steps[{i}]"
        if not isinstance(step, dict):
            raise SpecError(field, "must be a mapping with one of expect, send, sendline, key, secret")
        unknown = set(step) - set(STEP_KEYS)
        if unknown:
            raise SpecError(field, f"unknown keys {sorted(unknown)}; use {', '.join(STEP_KEYS)}")
        actions = [k for k in ("expect", "send", "sendline", "key", "secret") if k in step]
        if len(actions) != 1:
            raise SpecError(field, "needs exactly one of expect, send, sendline, key, secret")
        action = actions[0]
        value = step[action]
        item = {"action": action, "name": step.get("name") or f"{action} {i}",
                "timeout": step.get("timeout"), "pace": float(step.get("pace") or 0)}
        if action == "expect":
            patterns = value if isinstance(value, list) else [value]
            try:
                item["patterns"] = [re.compile(str(p), re.MULTILINE) for p in patterns]
            except re.error as exc:
                raise SpecError(f"{field}.expect", f"is not a valid regular expression: {exc}") from None
        elif action == "key":
            if value not in KEYS:
                raise SpecError(f"{field}.key", f"{value!r} is not a key; use one of {', '.join(KEYS)}")
            item["text"] = KEYS[value]
        elif action == "secret":
            if value not in secrets:
                raise SpecError(f"{field}.secret", f"{value!r} is not in secrets; pass it in secrets "
                                                   "(a no_log option, e.g. from a vault variable)")
            if not secrets[value]:
                raise SpecError(f"secrets.{value}", "is empty; set it (for example from a vault variable)")
            item["text"] = str(secrets[value])
        else:
            item["text"] = str(value)
        if item["timeout"] is not None:
            try:
                item["timeout"] = float(item["timeout"])
            except (TypeError, ValueError):
                raise SpecError(f"{field}.timeout", f"{item['timeout']!r} is not a number of seconds") from None
            if item["timeout"] <= 0:
                raise SpecError(f"{field}.timeout", "must be more than 0 seconds")
        parsed.append(item)
    return parsed


def run_steps(session, steps: list[dict], default_timeout: float, scale: float) -> list[dict]:
    """Run parsed steps; return what each expect matched."""
    results = []
    for step in steps:
        action = step["action"]
        if action == "expect":
            timeout = (step["timeout"] or default_timeout) * scale
            session.note(f"step {step['name']}: waiting up to {timeout:.0f}s for "
                         + " or ".join(repr(p.pattern) for p in step["patterns"]))
            index, match = session.expect(step["patterns"], timeout, what=step["name"])
            results.append({"step": step["name"], "pattern": index, "match": session.mask(match.group(0)),
                            "groups": [session.mask(g) if g else g for g in match.groups()]})
        elif action in ("send", "key"):
            session.send(step["text"], pace=step["pace"])
        elif action == "sendline":
            session.sendline(step["text"], pace=step["pace"])
        elif action == "secret":
            session.sendline(step["text"], pace=step["pace"], secret=True)
    return results
