#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: guest_user
short_description: Manage a user of an Aloofix guest
version_added: 0.1.0
description:
  - Creates, changes or removes a user account (C(/etc/passwd), its groups in C(/etc/group), its locked
    C(/etc/shadow) line, its home directory) on a guest that has no Python. It sets no passwords.
  - minifix's busybox (Debian's) has no C(adduser), C(deluser), C(addgroup) or C(usermod), so the module edits
    the files itself, as minifix's packages do. The new C(/etc/passwd) and C(/etc/group) are computed on the
    controller and each is written atomically (a temporary file that keeps the file's owner and mode, renamed
    over it) only if it did not change on the guest since it was read. The C(/etc/shadow) line is added or
    dropped on the guest, so the hashes never leave it. Every other line is kept as written.
  - It does what C(adduser -D) does for a new user - a group of its own name unless I(group) is given (gid =
    uid when free; an existing group of that name is used), a locked C(/etc/shadow) line (C(!)), a home
    directory of mode 0755 owned by it - and what C(deluser) does on removal - it leaves every group, and its
    own group goes when no one else uses it.
  - With C(--diff) the before and after are C({state, name, uid, group, groups, home, shell, comment}).
author: Buildstrap developers (!UNKNOWN)
options:
  name:
    description: The user's name (a letter or C(_) first, then letters, digits, C(_ . -); at most 32).
    type: str
    required: true
  uid:
    description:
      - The user's id for a new user; it must be free.
      - For an existing user it must be its uid; a different one is an error naming I(uid) (files owned by the old
        uid would change hands; the module does not renumber).
      - Default is the lowest free id of busybox's range, 100-999 with I(system), else 1000-64999.
    type: int
  group:
    description:
      - The primary group, a name or a gid. It must exist (an error names I(group) otherwise); create it with
        M(aloofix.buildstrap.guest_group).
      - Default for a new user is a group of its own name, created when missing; an existing user keeps its own.
    type: str
  groups:
    description:
      - Supplementary groups (names or gids); each must exist (an error names I(groups) otherwise).
      - With I(append=false), the user is a member of exactly these (C([]) removes it from every group); with
        I(append=true), of at least these. Unset, memberships are left as they are.
    type: list
    elements: str
  append:
    description: Add the user to I(groups) without removing it from others.
    type: bool
    default: false
  home:
    description:
      - The home directory. Default for a new user is C(/home/NAME); an existing user keeps its own.
      - Changing it does not move the old directory's content.
    type: str
  shell:
    description: The login shell. Default for a new user is C(/bin/sh); an existing user keeps its own.
    type: str
  comment:
    description: The GECOS field (the user's full name). Default for a new user is empty; an existing user
      keeps its own.
    type: str
  create_home:
    description:
      - Create the home directory (mode 0755, owned by the user and its primary group) when the user is created or
        its I(home) changes, and the directory does not exist. A missing home of an existing, unchanged user is
        left missing.
    type: bool
    default: true
  system:
    description: Allocate a new user's uid (and own group's gid) from the system range (100-999). No effect on
      an existing user.
    type: bool
    default: false
  state:
    description: Whether the user exists.
    type: str
    choices: [present, absent]
    default: present
  remove:
    description:
      - With I(state=absent), also remove the user's home directory (C(rm -rf)).
      - Only a directory owned by the user is removed; another is kept with a warning.
    type: bool
    default: false
extends_documentation_fragment:
  - aloofix.buildstrap.guest
notes:
  - The account is locked (no password); log in with SSH keys (dropbear reads C(~/.ssh/authorized_keys); write it
    with M(aloofix.buildstrap.guest_file)).
seealso:
  - module: aloofix.buildstrap.guest_group
  - module: aloofix.buildstrap.guest_file
"""

EXAMPLES = r"""
- name: A user that publishes packages
  aloofix.buildstrap.guest_user:
    name: publisher
    comment: Feed publisher
    groups: [web]
    append: true

- name: A service account without a home or a login shell
  aloofix.buildstrap.guest_user:
    name: feedsync
    system: true
    home: /var/lib/feedsync
    create_home: false
    shell: /bin/false

- name: Remove a user and its home
  aloofix.buildstrap.guest_user:
    name: publisher
    state: absent
    remove: true
"""

RETURN = r"""
name:
  description: The user.
  returned: always
  type: str
state:
  description: C(present) or C(absent), after the change (predicted in check mode).
  returned: always
  type: str
uid:
  description: The user's id.
  returned: when present
  type: int
  sample: 1000
group:
  description: The primary group's name (its gid when it has no name).
  returned: when present
  type: str
groups:
  description: The supplementary groups, sorted.
  returned: when present
  type: list
  elements: str
home:
  description: The home directory.
  returned: when present
  type: str
shell:
  description: The login shell.
  returned: when present
  type: str
comment:
  description: The GECOS field.
  returned: when present
  type: str
changes:
  description: What changed; any of C(created), C(group), C(comment), C(home), C(shell), C(groups),
    C(home_created), C(absent), C(group_removed), C(home_removed).
  returned: success
  type: list
  elements: str
commands:
  description: The steps run on the guest (that would be run, in check mode), one round trip each.
  returned: always
  type: list
  elements: str
  sample: [write /etc/group, write /etc/passwd, add the /etc/shadow line of publisher, create /home/publisher]
diff:
  description: The user's C({state, name, uid, group, groups, home, shell, comment}) before and after.
  returned: with --diff, when changed
  type: dict
"""
