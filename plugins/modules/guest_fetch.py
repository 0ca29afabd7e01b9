#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: guest_fetch
short_description: Copy a file off a guest that has no Python (and maybe no sftp), sha256-checked
version_added: 0.1.0
description:
  - Streams the file with C(cat) over the pinned SSH connection and compares its sha256 with the guest's own
    C(sha256sum). Nothing is copied when I(dest) already has the same content.
author: Buildstrap developers (!UNKNOWN)
options:
  src:
    description: Path on the guest.
    type: str
    required: true
  dest:
    description: Path on the controller (written atomically).
    type: path
    required: true
  timeout:
    description: Seconds under KVM (x4 under TCG).
    type: float
    default: 300
notes:
  - This is an action plugin; the module file only carries the documentation.
"""

EXAMPLES = r"""
- name: Copy the stage-2 ISO off the VM before its disk is repartitioned
  aloofix.buildstrap.guest_fetch:
    src: /usr/src/aloofix-0.9/images/aloofix-buildstrap.iso
    dest: images/aloofix-0.9/stage2/aloofix-buildstrap.iso
"""

RETURN = r"""
sha256:
  description: sha256 of the file.
  returned: success
  type: str
size:
  description: Bytes copied.
  returned: when copied
  type: int
"""
