#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vm
short_description: Define, start, stop and remove a Buildstrap VM on a libvirt hypervisor
version_added: 0.1.0
description:
  - Declares one libvirt domain from a small VM spec and brings it to I(state), waiting until each change has
    happened (with deadlines that scale with the accelerator).
  - The domain carries Buildstrap metadata (pipeline, recipe, ...); a domain of the same name that Buildstrap
    did not create is never touched.
  - MAC addresses and the UUID are derived from the name, and host ports once allocated are kept, so a rerun
    with the same spec is C(changed=false). The comparison is semantic (only the managed parts of the XML).
  - Guests are reached only through host ports bound to 127.0.0.1 (QEMU user networking with C(hostfwd)), or
    see each other on an isolated libvirt network (M(aloofix.buildstrap.vm_network)).
  - Inserting or ejecting the ISO of a running VM takes effect at once; other changes to a running VM are
    written to its persistent definition and reported as C(pending_restart).
author: Buildstrap developers (!UNKNOWN)
extends_documentation_fragment:
  - aloofix.buildstrap.libvirt
  - aloofix.buildstrap.libvirt.accel
options:
  name:
    description: Domain name (letters, digits, C(.), C(_), C(-)).
    type: str
    required: true
  state:
    description:
      - C(present) defined, C(running) defined and started, C(shutdown) defined and stopped (see
        I(shutdown_mode)), C(absent) stopped and undefined.
    type: str
    choices: [present, running, shutdown, absent]
    default: present
  arch:
    description: Guest architecture. Aloofix is C(i686).
    type: str
    choices: [i686, x86_64]
    default: x86_64
  machine:
    description: Machine type family; libvirt picks the newest version of it.
    type: str
    choices: [pc, q35]
    default: pc
  cpu:
    description: CPU model, e.g. C(kvm32) for Aloofix. Default is QEMU's.
    type: str
  memory:
    description: Memory in MiB.
    type: int
    default: 512
  vcpus:
    description: Number of virtual CPUs.
    type: int
    default: 1
  disks:
    description:
      - Disks, in order. A volume that does not exist is created (qcow2) from I(size) or as an overlay of
        I(backing); existing volumes are never resized or wiped here (see M(aloofix.buildstrap.vm_volume)).
    type: list
    elements: dict
    default: []
    suboptions:
      volume:
        description: Volume name in the pool.
        type: str
        required: true
      pool:
        description: Storage pool; defaults to I(pool).
        type: str
      size:
        description: Capacity when the volume is created, e.g. C(8G) or C(512M).
        type: str
      backing:
        description: Create the volume as a copy-on-write overlay of this volume in the same pool.
        type: str
      bus:
        description: Disk bus.
        type: str
        choices: [virtio, ide, sata, scsi]
        default: virtio
      format:
        description: Volume format.
        type: str
        choices: [qcow2, raw]
        default: qcow2
  cdrom:
    description:
      - The CD drive's media. An absolute ISO path on the hypervisor, or a dict C({volume, pool}) naming an ISO
        volume (works on remote hypervisors). An empty string gives a drive with an empty tray (the ISO
        ejected). Unset, the VM has no CD drive.
    type: raw
  cdrom_bus:
    description: Bus of the CD drive. Aloofix's live system finds its CD only on IDE (C(hdc)).
    type: str
    choices: [ide, sata, scsi]
    default: ide
  boot:
    description: Boot order.
    type: list
    elements: str
    default: [hd]
  kernel:
    description: For direct kernel boot, a kernel path on the hypervisor.
    type: path
  initrd:
    description: For direct kernel boot, an initrd path on the hypervisor.
    type: path
  cmdline:
    description: For direct kernel boot, the kernel command line.
    type: str
  nics:
    description:
      - Network interfaces. C(type=user) is QEMU user networking (the guest sees 10.0.2.0/24, its gateway
        10.0.2.2 is the host's loopback) with I(forwards) from host ports on 127.0.0.1; C(type=network)
        joins a libvirt network.
    type: list
    elements: dict
    default: []
    suboptions:
      type:
        description: Kind of NIC.
        type: str
        choices: [user, network]
        default: user
      network:
        description: libvirt network name, for C(type=network).
        type: str
      model:
        description: NIC model.
        type: str
        choices: [virtio, e1000, rtl8139]
        default: virtio
      mac:
        description: MAC address; default is derived from the VM name and NIC index.
        type: str
      forwards:
        description:
          - Port forwards C({guest, host, host_addr, proto}); I(host) C(auto) (default) allocates a free port
            in 20000-29999 and keeps it across runs; I(host_addr) must be a loopback address.
        type: list
        elements: dict
        default: []
  console_log:
    description: File on the hypervisor that receives everything the serial console prints. When unset,
      C(/var/log/libvirt/qemu/NAME-console.log) on a system hypervisor and none on a session one (its QEMU runs
      as a user who cannot write there).
    type: path
  metadata:
    description: "Buildstrap metadata stored in the domain, e.g. C({pipeline: buildstrap, recipe: minifix})."
    type: dict
    default: {}
  owner:
    description:
      - Who the domain belongs to, recorded in its metadata when it is defined (Buildstrap's playbooks pass
        C(user@host:checkout)). A domain whose recorded owner is another is never redefined, started, stopped
        or removed; the module fails and names that owner. A domain with no recorded owner is taken over.
    type: str
  shutdown_mode:
    description:
      - How C(state=shutdown) stops a running VM. C(acpi) waits for the guest to power off,
        C(acpi_then_destroy) pulls the plug after the deadline, C(destroy) pulls it at once.
    type: str
    choices: [acpi, destroy, acpi_then_destroy]
    default: acpi_then_destroy
  shutdown_timeout:
    description:
      - Seconds under KVM (x4 under TCG) that an ACPI shutdown may take before C(acpi_then_destroy) pulls the
        plug; default is I(timeout).
    type: float
  remove_volumes:
    description:
      - With C(state=absent), also delete the volumes of the VM's disks, the checkpoints under them, and its ISO
        volumes - the one in its drive and those uploaded for it and since ejected (C(NAME-*.iso) in the pools of
        its disks, as the guest_vm role names them).
      - An ISO volume in another domain's drive is kept, and so is one named after another domain
        (C(NAME-2-x.iso) while a domain C(NAME-2) exists).
    type: bool
    default: false
  update:
    description:
      - With C(false), leave the domain's definition as it is and only bring it to I(state) (C(running) or
        C(shutdown)); the spec options are ignored. A missing domain is an error for C(running) and nothing to do
        for C(shutdown).
    type: bool
    default: true
  restart_on_change:
    description:
      - With C(state=running), stop (see I(shutdown_mode)) and start a running VM whose definition changed in a
        way that only a new boot applies (boot order, hardware), instead of reporting C(pending_restart).
    type: bool
    default: false
notes:
  - Supports check mode and diff mode. The diff shows the managed parts of the domain XML.
seealso:
  - module: aloofix.buildstrap.vm_volume
  - module: aloofix.buildstrap.vm_network
  - module: aloofix.buildstrap.console
"""

EXAMPLES = r"""
- name: Boot the Aloofix ISO on an i686 VM with a 12 GB disk and SSH forwarded to 127.0.0.1
  aloofix.buildstrap.vm:
    name: aloofix-stage1
    state: running
    arch: i686
    cpu: kvm32
    memory: 512
    disks:
      - volume: aloofix-stage1.qcow2
        size: 12G
    cdrom: /var/lib/libvirt/images/aloofix-buildstrap.iso
    boot: [cdrom, hd]
    nics:
      - type: user
        forwards:
          - guest: 22
    metadata:
      pipeline: buildstrap
      recipe: aloofix-0.9

- name: Eject the ISO and boot from the disk next time
  aloofix.buildstrap.vm:
    name: aloofix-stage1
    state: running
    arch: i686
    cpu: kvm32
    disks:
      - volume: aloofix-stage1.qcow2
    cdrom: ""
    boot: [hd]

- name: Remove the VM and its disks
  aloofix.buildstrap.vm:
    name: aloofix-stage1
    state: absent
    remove_volumes: true
"""

RETURN = r"""
domain:
  description: The managed parts of the domain as libvirt now has them, plus its run state.
  returned: unless state=absent
  type: dict
  sample: {name: aloofix-stage1, uuid: 4e1c..., accel: tcg, arch: i686, machine: pc, memory_mib: 512,
           boot: [cdrom, hd], disks: [{target: vda, bus: virtio, volume: aloofix-stage1.qcow2, pool: buildstrap}],
           cdrom: {target: hdc, bus: ide, path: /srv/iso/a.iso}, nics: [{type: user, mac: "52:54:00:ab:cd:ef",
           forwards: [{proto: tcp, host_addr: 127.0.0.1, host: 22017, guest: 22}]}], status: running}
ports:
  description: Host port of each forwarded guest port, keyed C(proto/guest).
  returned: unless state=absent
  type: dict
  sample: {tcp/22: 22017}
ssh_port:
  description: Host port forwarded to the guest's port 22 on 127.0.0.1, if any.
  returned: unless state=absent
  type: int
accel:
  description:
    - Accelerator in use, and I(accel_source) says whether it was requested, cached or probed.
    - In check mode with C(accel=auto) and no cached answer nothing is probed; I(accel_source) is
      C(would probe), the plan assumes C(tcg), and I(accel_detail) says so.
  returned: unless state=absent
  type: str
  sample: tcg
accel_source:
  description: Where I(accel) comes from.
  returned: unless state=absent
  type: str
  choices: [requested, cache, probe, would probe]
  sample: cache
accel_detail:
  description: In check mode, why the accelerator is assumed rather than probed.
  returned: when a real run would probe
  type: str
actions:
  description: What was done (or, in check mode, would be done).
  returned: always
  type: list
  elements: str
  sample: [define, create volumes aloofix-stage1.qcow2, start]
pending_restart:
  description: The persistent definition changed while the VM runs; the change applies at its next boot.
  returned: when true
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aloofix.buildstrap.plugins.module_utils.runner import run

from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.args import (
    accel_argument_spec, connection_argument_spec,
)
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.vm import ensure


def argument_spec() -> dict:
    spec = connection_argument_spec()
    spec.update(accel_argument_spec())
    spec.update(
        name={"type": "str", "required": True},
        state={"type": "str", "default": "present", "choices": ["present", "running", "shutdown", "absent"]},
        arch={"type": "str", "default": "x86_64", "choices": ["i686", "x86_64"]},
        machine={"type": "str", "default": "pc", "choices": ["pc", "q35"]},
        cpu={"type": "str"},
        memory={"type": "int", "default": 512},
        vcpus={"type": "int", "default": 1},
        disks={"type": "list", "elements": "dict", "default": [], "options": {
            "volume": {"type": "str", "required": True},
            "pool": {"type": "str"},
            "size": {"type": "str"},
            "backing": {"type": "str"},
            "bus": {"type": "str", "default": "virtio", "choices": ["virtio", "ide", "sata", "scsi"]},
            "format": {"type": "str", "default": "qcow2", "choices": ["qcow2", "raw"]},
        }},
        cdrom={"type": "raw"},
        cdrom_bus={"type": "str", "default": "ide", "choices": ["ide", "sata", "scsi"]},
        boot={"type": "list", "elements": "str", "default": ["hd"]},
        kernel={"type": "path"},
        initrd={"type": "path"},
        cmdline={"type": "str"},
        nics={"type": "list", "elements": "dict", "default": [], "options": {
            "type": {"type": "str", "default": "user", "choices": ["user", "network"]},
            "network": {"type": "str"},
            "model": {"type": "str", "default": "virtio", "choices": ["virtio", "e1000", "rtl8139"]},
            "mac": {"type": "str"},
            "forwards": {"type": "list", "elements": "dict", "default": []},
        }},
        console_log={"type": "path"},
        metadata={"type": "dict", "default": {}},
        owner={"type": "str"},
        shutdown_mode={"type": "str", "default": "acpi_then_destroy",
                       "choices": ["acpi", "destroy", "acpi_then_destroy"]},
        remove_volumes={"type": "bool", "default": False},
        restart_on_change={"type": "bool", "default": False},
        update={"type": "bool", "default": True},
        shutdown_timeout={"type": "float"},
    )
    return spec


def run_module() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run(module, ensure, (("libvirt-python", api.HAS_LIBVIRT, api.LIBVIRT_IMPORT_ERROR),))


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()
