# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the modules that talk to a libvirt hypervisor (spec: module_utils/virt/args.py)."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  uri:
    description:
      - libvirt connection URI of the hypervisor.
      - C(qemu:///system) is this machine; C(qemu+ssh://user@host/system) drives a remote hypervisor. Files
        (ISOs, volumes) move through libvirt's stream API, so remote hypervisors work the same way.
    type: str
    default: qemu:///system
  pool:
    description:
      - Storage pool that holds the VM's volumes. The default C(buildstrap) directory pool
        (/var/lib/libvirt/images/buildstrap) is created on first use.
    type: str
    default: buildstrap
requirements:
  - libvirt-python
"""

    ACCEL = r"""
options:
  accel:
    description:
      - Accelerator. C(auto) decides by a real probe boot (a 512-byte guest under TCG and under KVM, cached per
        hypervisor in ~/.cache/buildstrap/accel.json), because /dev/kvm can exist while KVM guests hang.
      - Every deadline scales with the accelerator (x1 for KVM, x4 for TCG).
    type: str
    choices: [auto, kvm, tcg]
    default: auto
  timeout:
    description:
      - Base deadline in seconds for each state change under KVM; multiplied by 4 under TCG.
    type: float
    default: 30
"""

    DOMAIN = r"""
options:
  name:
    description: Domain name.
    type: str
    required: true
  uri:
    description: libvirt connection URI of the domain's hypervisor.
    type: str
    default: qemu:///system
  timeout:
    description: Base deadline in seconds under KVM; multiplied by 4 under TCG.
    type: float
    default: 60
  transcript:
    description: File on the controller that receives the console output (secrets masked).
    type: path
requirements:
  - libvirt-python
"""
