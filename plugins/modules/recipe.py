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
  - Timeouts come out as the KVM baseline that the modules scale, so that each accelerator gets the recipe's
    own figure.
author: Buildstrap developers
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
  description: C(buildstrap), the checked recipe with resolved paths, stages, accelerator and timeouts.
  returned: success
  type: dict
"""
