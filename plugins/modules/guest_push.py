#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: guest_push
short_description: Copy a directory tree onto a guest that has no Python (and maybe no sftp), sha256-checked
version_added: 0.1.0
description:
  - Sends the files of I(src) that the guest lacks, or has with other content, as one tar stream over the pinned
    SSH connection into I(dest), then has the guest check every sent file with its own C(sha256sum) and gives
    the tree to I(owner).
  - The pipeline seeds a native rebuild's C(build/tarballs) with it, since Aloofix's installed source tree has
    an empty C(build/) and most upstream download hosts are gone.
  - A second run with the same files sends nothing and reports no change.
author: Buildstrap developers (!UNKNOWN)
options:
  src:
    description: Directory on the controller.
    type: path
    required: true
  dest:
    description: Absolute directory path on the guest (created).
    type: str
    required: true
  owner:
    description: User (or C(user:group)) to own I(dest) afterwards, e.g. the distro's C(build) user.
    type: str
  timeout:
    description: Seconds under KVM (x4 under TCG) for each step.
    type: float
    default: 600
notes:
  - This is an action plugin; the module file only carries the documentation.
  - Supports check mode (lists the files that would be sent) and diff (the guest's file list before and after).
"""

EXAMPLES = r"""
- name: Seed the native rebuild's source tarballs from the stage-1 cache
  aloofix.buildstrap.guest_push:
    src: images/minifix/stage1/src/build/tarballs
    dest: /usr/src/minifix-0.9/build/tarballs
    owner: build
"""

RETURN = r"""
files:
  description: Files under I(src).
  returned: success
  type: int
sent_files:
  description: Files sent (relative to I(dest)); in check mode, the files that would be sent.
  returned: success
  type: list
  elements: str
kept_files:
  description: Files the guest already had with the same sha256.
  returned: success
  type: int
bytes:
  description: Bytes of file content sent.
  returned: success
  type: int
mb_per_s:
  description: Throughput of the copy and check, in MB/s.
  returned: when files were sent
  type: float
"""
