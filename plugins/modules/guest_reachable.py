#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: guest_reachable
short_description: Wait until a guest answers SSH with its pinned host key
version_added: 0.1.0
description:
  - Optionally waits for a login prompt on the console (e.g. C(host[0-9a-f]{12} login) after a reboot to
    disk), then retries SSH to C(127.0.0.1:PORT) until a command runs. Only the pinned host key is accepted;
    a different key fails at once and is never retried.
  - On a remote hypervisor (C(qemu+ssh://user@host/...)) the port is on that hypervisor's loopback, and SSH jumps
    through the hypervisor with the URI's user and C(keyfile), its host key checked against the pinned ones
    (C(/etc/ssh/ssh_known_hosts), C(~/.ssh/known_hosts)), as libvirt's own transport does.
  - Returns the time to the prompt, to the first command, and the command's own latency.
author: Buildstrap developers (!UNKNOWN)
extends_documentation_fragment:
  - aloofix.buildstrap.libvirt.domain
options:
  known_hosts:
    description: The run's known_hosts file with the pinned key.
    type: path
    required: true
  private_key:
    description: Private key file for I(user).
    type: path
    required: true
  user:
    description: SSH user.
    type: str
    default: root
  port:
    description: Host port; default is read from the domain.
    type: int
  login_prompt:
    description: Regex to wait for on the console before trying SSH.
    type: str
  console_history:
    description: Also search what the console printed before this task (the console log; local hypervisors).
    type: bool
    default: true
  ssh_profile:
    description:
      - The SSH algorithm profile the guest's server needs. C(modern) offers only current algorithms;
        C(dropbear-2013) speaks dropbear 2013.58's (SHA-1 Diffie-Hellman, C(ssh-rsa)/C(ssh-dss) host keys, an RSA
        user key). A recipe chooses it with C(ssh.legacy); host keys stay pinned under every profile.
    type: str
    default: modern
    choices: [modern, dropbear-2013]
"""

EXAMPLES = r"""
- name: Wait for the installed disk to boot and answer SSH
  aloofix.buildstrap.guest_reachable:
    name: minifix-stage1
    known_hosts: "{{ buildstrap_run_dir }}/known_hosts"
    private_key: "{{ buildstrap_state_dir }}/id_ed25519"
    login_prompt: 'host[0-9a-f]{12} login:'
"""

RETURN = r"""
hostname:
  description: What C(uname -n) printed on the guest.
  returned: success
  type: str
timings:
  description: Seconds from the start of the task to the login prompt and to the first command, and the
    command's latency once connected.
  returned: success
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aloofix.buildstrap.plugins.module_utils.runner import run
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.args import domain_argument_spec
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.guest import wait_reachable
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.profiles import PROFILES


def main() -> None:
    module = AnsibleModule(argument_spec={
        **domain_argument_spec(),
        "known_hosts": {"type": "path", "required": True},
        "private_key": {"type": "path", "required": True, "no_log": False},
        "user": {"type": "str", "default": "root"},
        "port": {"type": "int"},
        "login_prompt": {"type": "str"},
        "console_history": {"type": "bool", "default": True},
        "ssh_profile": {"type": "str", "default": "modern", "choices": list(PROFILES)},
    }, supports_check_mode=True)
    run(module, lambda params, _check: wait_reachable(params))


if __name__ == "__main__":
    main()
