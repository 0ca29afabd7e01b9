#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: guest_facts
short_description: Minimal facts from a guest that has no Python
version_added: 0.1.0
description:
  - One raw command (busybox-compatible) over the host's connection; sets I(guest_hostname),
    I(guest_kernel), I(guest_arch), I(guest_release), I(guest_memtotal_kib), I(guest_root_device),
    I(guest_block_devices) (name -> bytes), I(guest_services) and I(guest_uid).
author: Buildstrap developers (!UNKNOWN)
options: {}
notes:
  - This is an action plugin; the module file only carries the documentation. Runs in check mode.
"""

EXAMPLES = r"""
- name: What is this guest?
  aloofix.buildstrap.guest_facts:
"""

RETURN = r"""
ansible_facts:
  description: The facts above.
  returned: success
  type: dict
"""
