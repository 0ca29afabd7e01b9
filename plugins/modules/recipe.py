#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: recipe
short_description: Load and check a buildstrap recipe before anything starts
version_added: 0.1.0
description:
  - Reads C(recipes/NAME.yml) from the checkout, validates it (every error names the field), checks it against
    the inventory (the build host must be a host or group of it) and the build host (the source tree must
    exist), resolves the accelerator, and sets the fact C(buildstrap) the stage playbooks read.
  - Every recipe field is checked here, before any VM exists, as far as it can be without a guest - the VM's
    hardware, the ISOLINUX label of I(iso.default_entry), the package names of I(iso.ssh_packages), the
    install2hd options of I(install.options) (C(hddev) C(fstype) C(bootsize) C(swapsize) C(pkgsets)), the
    regexes the guests' output is matched against (none may match an empty line), the SSH profile of
    I(ssh.legacy) and the paths with their placeholders.
  - Timeouts come out as the KVM baseline that the modules scale, so that each accelerator gets the recipe's
    own figure. C(timeouts.stage1) is plain seconds, as stage 1 runs on the build host, not in a VM.
  - Optional recipe keys come out with their defaults (C(vm.machine) C(pc), C(vm.vcpus) 1, C(install.command)
    C(install2hd), C(install.force_fdisk_stage2) true, C(ssh.legacy) null).
author: Buildstrap developers (!UNKNOWN)
options:
  name:
    description: Recipe name (C(minifix), C(aloofix-0.9)) from C(recipes/), or the path of a recipe file.
    type: str
    required: true
  home:
    description: The checkout.
    type: path
    required: true
  images_dir:
    description: Where artifacts go (C(images/)).
    type: path
    required: true
  force:
    description: Stages to run again (a list, or a comma-separated string; C(all) for every stage).
    type: raw
    default: []
  uri:
    description: libvirt URI of the hypervisor.
    type: str
    default: qemu:///system
  accel:
    description: Accelerator (C(auto) probes).
    type: str
    choices: [auto, kvm, tcg]
    default: auto
  disk_size:
    description: Override of the recipe's VM disk size (checked against its minimum).
    type: str
  vm_name:
    description: Name of the pipeline's VM (default C(RECIPE-buildstrap)); its disks are named after it.
    type: str
  pipeline:
    description:
      - The playbook that loads the recipe; its stages are the ones I(force) may name (C(buildstrap) the recipe's
        own, C(buildserver) and C(clients) theirs).
      - With C(buildserver) the recipe must have a C(buildserver) section.
    type: str
    choices: [buildstrap, buildserver, clients]
    default: buildstrap
  buildserver_options:
    description: make-buildserver's options (a list, or a space-separated string such as C(--minimal)) instead
      of the recipe's C(buildserver.options); only with I(pipeline=buildserver).
    type: raw
notes:
  - This is an action plugin; the module file only carries the documentation.
"""

EXAMPLES = r"""
- name: Load the recipe
  aloofix.buildstrap.recipe:
    name: minifix
    home: "{{ buildstrap_home }}"
    images_dir: "{{ buildstrap_images_dir }}"
    force: "{{ buildstrap_force | default([]) }}"
"""

RETURN = r"""
ansible_facts:
  description:
    - C(buildstrap), the checked recipe with resolved paths, stages, accelerator and timeouts.
    - C(buildstrap.ssh) is the recipe's SSH profile (C(ssh.legacy), modern when null) - C(profile), C(legacy),
      C(key_type), C(key_file) (the controller's key under the state directory), C(host_key_types) and
      C(openssh_args) (the C(-o) options Ansible's ssh connection needs for it).
    - C(buildstrap.native.tarballs) is the absolute controller directory whose package sub-directories are
      pushed into the guest's C(<native.tree>/build/tarballs) before the native rebuild, or null. When the
      recipe leaves it null it is the stage-1 tree's C(build/tarballs) if the build host is localhost.
  returned: success
  type: dict
"""
