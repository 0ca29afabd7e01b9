#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vm_checkpoint
short_description: Checkpoint a disk of a running VM into a qcow2 overlay, without stopping the guest
version_added: 0.1.0
description:
  - Takes a libvirt external disk-only snapshot (atomic, without snapshot metadata) of one disk of a B(running)
    domain. The guest goes on writing to a new qcow2 volume I(overlay) in the same storage pool, and the disk's
    old volume becomes the overlay's frozen, read-only backing file, the checkpoint. It can be hashed or copied
    (M(aloofix.buildstrap.vm_volume) I(dest), M(aloofix.buildstrap.stage_cache)) while the guest runs.
  - This replaces powering the guest off, overlaying its disk with M(aloofix.buildstrap.vm_volume) I(backing)
    and booting it again. The guest is not quiesced (that needs a guest agent), so the checkpoint holds what the
    guest had written to the disk at that instant, as after a power cut. Run C(sync) in the guest first.
  - Both the live and the persistent definition of the domain then use I(overlay); the persistent disk is
    stored as a volume of I(pool), so M(aloofix.buildstrap.vm) given the disk with I(volume) set to I(overlay)
    sees no change. The checkpoint is recorded in the domain's metadata, and M(aloofix.buildstrap.vm) with
    C(state=absent) and C(remove_volumes=true) removes it after the overlay, unless another volume or domain
    uses it.
  - When the disk already is I(overlay) backed by a volume of the pool, nothing is done (C(changed=false)).
author: Buildstrap developers (!UNKNOWN)
extends_documentation_fragment:
  - aloofix.buildstrap.libvirt
options:
  name:
    description: Name of the running domain.
    type: str
    required: true
  disk:
    description:
      - The disk to checkpoint, by its target (C(vda), C(hda)) or by the name of its volume in I(pool).
      - After the checkpoint the volume name is the checkpoint's, and a rerun with the same arguments is still
        recognised.
    type: str
    required: true
  overlay:
    description:
      - Name of the new qcow2 volume in I(pool) that the guest writes to from now on. It must not exist yet
        (unless it already is this disk's current volume).
    type: str
    required: true
  state:
    description: Only C(present). A checkpoint is removed with its domain.
    type: str
    choices: [present]
    default: present
notes:
  - Supports check mode and diff (the disk's source and backing before and after).
  - A domain that is off is refused; create the overlay with M(aloofix.buildstrap.vm_volume) I(backing) instead.
seealso:
  - module: aloofix.buildstrap.vm
  - module: aloofix.buildstrap.vm_volume
"""

EXAMPLES = r"""
- name: Flush the guest's writes before the checkpoint
  aloofix.buildstrap.guest_command:
    cmd: /bin/sync

- name: Checkpoint the installed disk while the guest runs on
  aloofix.buildstrap.vm_checkpoint:
    name: minifix
    disk: minifix-disk1.qcow2
    overlay: minifix-disk2.qcow2
  register: checkpoint

- name: Record the checkpoint (hashed through libvirt while the guest writes to the overlay)
  aloofix.buildstrap.stage_cache:
    stage: install1
    state: record
    stages: "{{ buildstrap.stages }}"
    manifest_dir: "{{ buildstrap.manifest_dir }}"
    outputs:
      disk: {volume: "{{ checkpoint.checkpoint.name }}", pool: buildstrap}
"""

RETURN = r"""
disk:
  description: Target of the checkpointed disk.
  returned: always
  type: str
  sample: vda
checkpoint:
  description: The frozen volume, now the overlay's read-only backing file.
  returned: always
  type: dict
  sample: {name: minifix-disk1.qcow2, path: /var/lib/libvirt/images/buildstrap/minifix-disk1.qcow2}
overlay:
  description: The volume the guest writes to.
  returned: always
  type: dict
  sample: {name: minifix-disk2.qcow2, path: /var/lib/libvirt/images/buildstrap/minifix-disk2.qcow2}
pool:
  description: Storage pool of both volumes.
  returned: always
  type: str
seconds:
  description: Time the module took, in seconds (the guest never stops).
  returned: always
  type: float
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
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.checkpoint import ensure


def argument_spec() -> dict:
    spec = connection_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        disk={"type": "str", "required": True},
        overlay={"type": "str", "required": True},
        state={"type": "str", "default": "present", "choices": ["present"]},
    )
    return spec


def run_module() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run(module, ensure, (("libvirt-python", api.HAS_LIBVIRT, api.LIBVIRT_IMPORT_ERROR),))


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()
