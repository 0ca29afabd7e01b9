#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: guest_group
short_description: Manage a group of an Aloofix guest
version_added: 0.1.0
description:
  - Creates or removes a group in C(/etc/group) of a guest that has no Python.
  - minifix's busybox (Debian's) has no C(addgroup) or C(delgroup) applets, so the module edits C(/etc/group)
    itself, as minifix's packages do. The new file is computed on the controller from what was read, and
    written atomically (a temporary file that keeps the file's owner and mode, renamed over it), only if the
    file did not change on the guest since it was read. Every other line is kept as written.
  - An existing group keeps its members (M(aloofix.buildstrap.guest_user) manages memberships).
  - With C(--diff) the before and after are C({state, name, gid, members}).
author: Buildstrap developers (!UNKNOWN)
options:
  name:
    description: The group's name (a letter or C(_) first, then letters, digits, C(_ . -); at most 32).
    type: str
    required: true
  gid:
    description:
      - The group's id for a new group; it must be free.
      - For an existing group it must be its gid; a different one is an error naming I(gid). The module does
        not renumber groups, because files owned by the old gid would silently change hands; remove the group
        and create it again, and fix the files' ownership yourself, if you mean it.
      - Default is the lowest free gid of busybox's range, 100-999 with I(system), else 1000-64999.
    type: int
  system:
    description: Allocate a new group's gid from the system range (100-999). No effect on an existing group.
    type: bool
    default: false
  state:
    description:
      - Whether the group exists.
      - Removing a group that is a user's primary group is an error naming I(name).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - aloofix.buildstrap.guest
seealso:
  - module: aloofix.buildstrap.guest_user
"""

EXAMPLES = r"""
- name: A group for the feed's publishers
  aloofix.buildstrap.guest_group:
    name: feed
    system: true

- name: A group with a fixed gid, shared with NFS clients
  aloofix.buildstrap.guest_group:
    name: builders
    gid: 1500

- name: Drop a group
  aloofix.buildstrap.guest_group:
    name: builders
    state: absent
"""

RETURN = r"""
name:
  description: The group.
  returned: always
  type: str
state:
  description: C(present) or C(absent), after the change (predicted in check mode).
  returned: always
  type: str
gid:
  description: The group's id (predicted in check mode).
  returned: when present
  type: int
  sample: 1000
members:
  description: The group's supplementary members.
  returned: when present
  type: list
  elements: str
changes:
  description: C([created]), C([absent]) or C([]).
  returned: success
  type: list
  elements: str
commands:
  description: The writes made on the guest (that would be made, in check mode).
  returned: always
  type: list
  elements: str
  sample: [write /etc/group]
diff:
  description: The group's C({state, name, gid, members}) before and after.
  returned: with --diff, when changed
  type: dict
"""
