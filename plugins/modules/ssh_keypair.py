#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ssh_keypair
short_description: The controller's SSH key pair for reaching guests
version_added: 0.1.0
description:
  - Creates an unencrypted key pair once (private key mode 0600, public key next to it as C(.pub)),
    and afterwards only reads it. The public key goes into remastered ISOs and installed disks.
  - C(ed25519) for guests with current SSH servers; C(rsa) (3072 bits) for guests whose server predates ed25519,
    such as Aloofix's dropbear 2013.58 (a recipe's C(ssh.legacy) profile names the type).
  - An existing key of another type is refused, not replaced.
author: Buildstrap developers (!UNKNOWN)
options:
  path:
    description: Private key file.
    type: path
    required: true
  comment:
    description: Comment of the public key.
    type: str
    default: buildstrap
  type:
    description: Key type.
    type: str
    default: ed25519
    choices: [ed25519, rsa]
notes:
  - Supports check mode.
"""

EXAMPLES = r"""
- name: The key Buildstrap uses for its guests
  aloofix.buildstrap.ssh_keypair:
    path: "{{ buildstrap_state_dir }}/id_ed25519"
  register: buildstrap_key
"""

RETURN = r"""
public_key:
  description: The OpenSSH public key line.
  returned: success
  type: str
fingerprint:
  description: Its SHA256 fingerprint.
  returned: success
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import BuildstrapError, failure
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.keypair import HAS_CRYPTOGRAPHY, ensure_keypair


def main() -> None:
    module = AnsibleModule(argument_spec={"path": {"type": "path", "required": True},
                                          "comment": {"type": "str", "default": "buildstrap"},
                                          "type": {"type": "str", "default": "ed25519",
                                                   "choices": ["ed25519", "rsa"]}},
                           supports_check_mode=True)
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"))
    try:
        result = ensure_keypair(module.params["path"], module.params["comment"], module.check_mode,
                                key_type=module.params["type"])
    except (BuildstrapError, OSError) as exc:
        module.fail_json(**failure(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
