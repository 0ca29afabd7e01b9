#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: guest_hostkey
short_description: Learn a guest's SSH host keys from the guest itself and pin them
version_added: 0.1.0
description:
  - Without I(host_keys), waits on the VM's console for the host keys that the
    M(aloofix.buildstrap.iso_remaster) overlay prints (C(BUILDSTRAP-HOSTKEY)) and its C(BUILDSTRAP-SSH-READY)
    mark, and pins exactly those keys for C([127.0.0.1]:PORT) in I(known_hosts).
  - With I(host_keys) (keys read over an already-verified connection, as M(aloofix.buildstrap.install2hd)
    returns them for the installed disk), pins those.
  - Host key checking is never turned off; a changed key later makes connections fail with a clear message.
author: Buildstrap developers (!UNKNOWN)
extends_documentation_fragment:
  - aloofix.buildstrap.libvirt.domain
options:
  known_hosts:
    description: The run's known_hosts file.
    type: path
    required: true
  host_keys:
    description: Keys to pin (C(type base64)) instead of reading them from the console.
    type: list
    elements: str
  port:
    description: Host port forwarded to the guest's port 22; default is read from the domain.
    type: int
notes:
  - Reads the console; writes only I(known_hosts). Not supported in check mode in the sense that it still waits
    on the console, but it does not write the file.
"""

EXAMPLES = r"""
- name: Pin the live system's host keys
  aloofix.buildstrap.guest_hostkey:
    name: minifix-stage1
    known_hosts: "{{ buildstrap_run_dir }}/known_hosts"
"""

RETURN = r"""
host_keys:
  description: The pinned keys.
  returned: success
  type: list
  elements: str
fingerprints:
  description: Their SHA256 fingerprints.
  returned: success
  type: list
  elements: str
port:
  description: The host port on 127.0.0.1.
  returned: success
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aloofix.buildstrap.plugins.module_utils.runner import run
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.args import domain_argument_spec
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.guest import learn_host_keys, pin_given


def main() -> None:
    module = AnsibleModule(argument_spec={
        **domain_argument_spec(),
        "known_hosts": {"type": "path", "required": True},
        "host_keys": {"type": "list", "elements": "str", "no_log": False},
        "port": {"type": "int"},
    }, supports_check_mode=False)
    run(module, lambda params, _check: pin_given(params) if params["host_keys"] else learn_host_keys(params))


if __name__ == "__main__":
    main()
