#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: console
short_description: An expect-style dialogue on a VM's serial console
version_added: 0.1.0
description:
  - Opens the domain's console through libvirt (so it works on remote hypervisors), then runs I(steps) in order
    - wait for a regular expression, type text, press a named key, or type a secret.
  - Text is typed only when its step comes, i.e. after the previous I(expect) matched, because busybox flushes
    input typed ahead of a prompt.
  - Deadlines are given for KVM and scale with the domain's accelerator (x4 under TCG). A missed deadline fails
    with the last 20 lines of the console.
  - Everything the guest prints is appended to I(transcript), with every secret masked.
author: Buildstrap developers (!UNKNOWN)
extends_documentation_fragment:
  - aloofix.buildstrap.libvirt.domain
options:
  steps:
    description:
      - "One action each: C(expect: REGEX) (or a list of alternatives), C(send: TEXT), C(sendline: TEXT)
        (adds a carriage return), C(key: NAME) (enter, tab, escape, space, up, down, left, right, backspace,
        ctrl-c, ctrl-d) or C(secret: NAME) (types the value of I(secrets[NAME]) and a carriage return)."
      - "Optional per step: C(timeout) in seconds, C(pace) in seconds between typed characters, C(name)."
    type: list
    elements: dict
    required: true
  secrets:
    description: Values the steps may type with C(secret). Never logged, masked in the transcript.
    type: dict
    default: {}
requirements:
  - libvirt-python
notes:
  - In check mode, a dialogue that only waits runs; one that types is skipped.
"""

EXAMPLES = r"""
- name: Log in as root on the live ISO (empty password) and wait for the shell
  aloofix.buildstrap.console:
    name: aloofix-stage1
    transcript: "{{ buildstrap_run_dir }}/aloofix-stage1.console.log"
    steps:
      - expect: 'initrd login:'
        timeout: 120
      - sendline: root
      - expect: ['# $', 'Password:']
"""

RETURN = r"""
matches:
  description: What each expect step matched (secrets masked).
  returned: success
  type: list
  elements: dict
  sample: [{step: "expect 0", pattern: 0, match: "initrd login:", groups: []}]
screen:
  description: The last 20 lines of the console when the dialogue ended.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aloofix.buildstrap.plugins.module_utils.runner import run
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.args import domain_argument_spec

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api, transform
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.timeouts import TIMEOUT_SCALE
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.console import ConsoleSession
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.dialogue import parse_steps, run_steps


def dialogue(params: dict, check_mode: bool) -> dict:
    secrets = params.get("secrets") or {}
    steps = parse_steps(params["steps"], secrets)
    types = any(s["action"] != "expect" for s in steps)
    if check_mode and types:
        return {"changed": True, "skipped": True, "msg": "check mode: a dialogue that types was not run",
                "matches": [], "screen": ""}
    with api.connection(params["uri"]) as conn:
        dom = api.lookup_domain(conn, params["name"])
        if dom is None:
            raise SpecError("name", f"no domain called {params['name']!r} on {params['uri']}")
        if api.domain_state(dom) != "running":
            raise SpecError("name", f"domain {params['name']!r} is not running; start it with vm state=running")
        scale = TIMEOUT_SCALE[transform.domain_facts(api.domain_xml(dom, inactive=False))["accel"]]
        # Check mode writes no transcript either (an expect-only dialogue still reads the console).
        with ConsoleSession(conn, dom, transcript=None if check_mode else params.get("transcript"),
                            secrets=[str(v) for v in secrets.values()]) as session:
            matches = run_steps(session, steps, params["timeout"], scale)
            return {"changed": types, "matches": matches, "screen": session.screen()}


def run_module() -> None:
    module = AnsibleModule(argument_spec={
        **domain_argument_spec(),
        "steps": {"type": "list", "elements": "dict", "required": True},
        "secrets": {"type": "dict", "default": {}, "no_log": True},
    }, supports_check_mode=True)
    run(module, dialogue, (("libvirt-python", api.HAS_LIBVIRT, api.LIBVIRT_IMPORT_ERROR),))


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()
