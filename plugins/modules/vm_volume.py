#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vm_volume
short_description: Create, resize, clone, upload, download and delete libvirt storage volumes
version_added: 0.1.0
description:
  - Manages one volume in a libvirt storage pool. Files move through libvirt's stream API, so the same task
    works on this machine (C(qemu:///system)) and on a remote hypervisor (C(qemu+ssh://host/system)).
  - A volume that does not exist is created from I(size), as a copy-on-write overlay of I(backing), or from the
    bytes of I(src). An existing volume is grown to I(size) (never shrunk), re-uploaded when its content differs
    from I(src) (compared by sha256), and downloaded to I(dest) when that file differs.
author: Buildstrap developers (!UNKNOWN)
extends_documentation_fragment:
  - aloofix.buildstrap.libvirt
options:
  name:
    description: Volume name, e.g. C(stage1.qcow2).
    type: str
    required: true
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
  size:
    description: Capacity, e.g. C(8G). Creates the volume, or grows an existing one. Shrinking is refused.
    type: str
  format:
    description: Format of a volume created from I(size).
    type: str
    choices: [qcow2, raw]
    default: qcow2
  backing:
    description: Create the volume as a qcow2 overlay of this volume of the same pool (a cheap clone).
    type: str
  src:
    description: Local file on the controller to upload into the volume (an ISO, a qcow2 image).
    type: path
  dest:
    description: Local file on the controller to download the volume into (written atomically).
    type: path
  copy_from:
    description:
      - Create the volume as a copy of a volume of another hypervisor (I(uri), I(pool), I(volume)), streamed
        from one libvirt connection to the other (nothing is written on the controller). A source with a
        backing chain (an overlay) is flattened first, in its own pool, into a temporary volume that is
        removed afterwards.
      - An existing volume is kept as it is; name the copy after what it is a copy of (e.g. a digest).
    type: dict
    suboptions:
      uri:
        description: The source's hypervisor.
        type: str
        default: qemu:///system
      pool:
        description: The source's pool.
        type: str
        default: buildstrap
      volume:
        description: The source volume.
        type: str
        required: true
notes:
  - Supports check mode. Comparing I(src) or I(dest) with the volume reads the whole volume.
seealso:
  - module: aloofix.buildstrap.vm
"""

EXAMPLES = r"""
- name: Upload the stage-1 ISO to the hypervisor's pool
  aloofix.buildstrap.vm_volume:
    uri: qemu+ssh://root@hv1/system
    name: minifix-buildstrap.iso
    src: images/minifix/minifix-buildstrap.iso

- name: A 12 GB disk for the build server
  aloofix.buildstrap.vm_volume:
    name: buildserver.qcow2
    size: 12G

- name: Clone a disk as an overlay of a finished stage
  aloofix.buildstrap.vm_volume:
    name: client1.qcow2
    backing: stage2-installed.qcow2

- name: Copy the stage-2 disk off the hypervisor
  aloofix.buildstrap.vm_volume:
    name: stage2-installed.qcow2
    dest: images/minifix/stage2-installed.qcow2

- name: Give a second hypervisor its own copy of the clients' base disk (flattened, streamed)
  aloofix.buildstrap.vm_volume:
    uri: qemu+ssh://buildstrap-hv@127.0.0.1:2222/session?keyfile=/root/.ssh/buildstrap-hv
    name: fleet-base-a9807c64ed6ac29c.qcow2
    copy_from:
      uri: qemu:///system
      volume: minifix-buildstrap-disk2.qcow2
"""

RETURN = r"""
volume:
  description: The volume after the change.
  returned: when state=present and not in check mode for a new volume
  type: dict
  sample: {name: buildserver.qcow2, path: /var/lib/libvirt/images/buildstrap/buildserver.qcow2,
           capacity: 12884901888, allocation: 200704, format: qcow2, backing: null}
sha256:
  description: sha256 of the uploaded, downloaded or copied bytes.
  returned: with src or dest, and when copy_from made the volume
  type: str
bytes:
  description: How many bytes copy_from streamed (the flattened file).
  returned: when copy_from made the volume
  type: int
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aloofix.buildstrap.plugins.module_utils.runner import run

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.args import connection_argument_spec
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.volume import ensure


def argument_spec() -> dict:
    spec = connection_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        state={"type": "str", "default": "present", "choices": ["present", "absent"]},
        size={"type": "str"},
        format={"type": "str", "default": "qcow2", "choices": ["qcow2", "raw"]},
        backing={"type": "str"},
        src={"type": "path"},
        dest={"type": "path"},
        copy_from={"type": "dict", "options": {
            "uri": {"type": "str", "default": "qemu:///system"},
            "pool": {"type": "str", "default": "buildstrap"},
            "volume": {"type": "str", "required": True},
        }},
    )
    return spec


def run_module() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[("src", "backing", "copy_from")])
    run(module, ensure, (("libvirt-python", api.HAS_LIBVIRT, api.LIBVIRT_IMPORT_ERROR),))


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()
