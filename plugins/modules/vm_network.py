#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vm_network
short_description: An isolated, guest-only libvirt network (no host address)
version_added: 0.1.0
description:
  - >-
    Defines, starts and autostarts a libvirt network with no C(<ip>) and no C(<forward>), so the host has no
    address on it and cannot send traffic into it; guests talk to each other only. Attach VMs with
    M(aloofix.buildstrap.vm) option I(nics) C([{type: network, network: NAME}]).
  - The bridge name is derived from the network name (C(bsbr-) and 8 hex digits).
author: Buildstrap developers (!UNKNOWN)
options:
  name:
    description: Network name.
    type: str
    required: true
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
  mtu:
    description: MTU of the bridge.
    type: int
  uri:
    description: libvirt connection URI.
    type: str
    default: qemu:///system
requirements:
  - libvirt-python
notes:
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: A private wire between the build server and its clients
  aloofix.buildstrap.vm_network:
    name: buildstrap-lan
"""

RETURN = r"""
network:
  description: The network as wanted.
  returned: when state=present
  type: dict
  sample: {name: buildstrap-lan, bridge: bsbr-1a2b3c4d, mtu: null, forward: null, host_addresses: []}
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aloofix.buildstrap.plugins.module_utils.runner import run

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.network import ensure


def run_module() -> None:
    module = AnsibleModule(argument_spec={
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "mtu": {"type": "int"},
        "uri": {"type": "str", "default": api.DEFAULT_URI},
    }, supports_check_mode=True)
    run(module, ensure, (("libvirt-python", api.HAS_LIBVIRT, api.LIBVIRT_IMPORT_ERROR),))


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()
