#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: guest_file
short_description: Manage a file of an Aloofix guest, from inline content or a template
version_added: 0.1.0
description:
  - Makes a regular file on a guest that has no Python hold the given I(content), or I(src) rendered like
    M(ansible.builtin.template) renders it, with the given owner, group and mode; or removes it.
  - The file's kind, owner, group, mode, size and sha256 are read in one round trip with busybox C(stat) and
    C(sha256sum); the change is computed from them (check mode stops there).
  - The content goes to the guest on the command's standard input, into a temporary file in the destination's
    directory, which gets its owner and mode, is checked by I(validate), and is then renamed over the file
    (C(mv), atomic). A file being rewritten keeps its owner, group and mode unless others are asked for.
  - With C(--diff) the diff is the text before and after (headed with the path), and the C(owner), C(group)
    and C(mode) lines that change. A file over 64 KiB or not UTF-8 is summarised by its sha256 and size.
author: Buildstrap developers (!UNKNOWN)
options:
  path:
    description:
      - The file on the guest, an absolute path.
      - A symbolic link, a directory or a special file at I(path) is an error (nothing is replaced).
    type: str
    required: true
    aliases: [dest]
  content:
    description:
      - The file's text. Mutually exclusive with I(src).
      - It is never put in the result's message; set C(no_log) on the task when it is a secret (the diff shows
        it otherwise).
      - When neither I(content) nor I(src) is given, only the owner, group and mode of an existing file are
        managed.
    type: str
  src:
    description:
      - A Jinja2 template on the controller, rendered with the task's variables as M(ansible.builtin.template)
        does (C(template_path), C(ansible_managed), includes relative to the template).
      - A relative path is searched like the template module searches it, first in the role's C(templates/).
      - Mutually exclusive with I(content).
    type: str
  state:
    description: Whether the file exists. C(absent) removes it (C(rm -f)); a missing file is no change.
    type: str
    choices: [present, absent]
    default: present
  owner:
    description:
      - The file's owner, a user name or a number. A name must exist on the guest.
      - Default is to keep an existing file's owner; a new file belongs to the connecting user.
    type: str
  group:
    description:
      - The file's group, a name (from C(/etc/group)) or a number.
      - Default is to keep an existing file's group; a new file gets the connecting user's group.
    type: str
  mode:
    description:
      - The file's permissions as a quoted octal string, such as C('0644') or C('0600').
      - As with Ansible's file modules, an integer is taken as the mode itself (an unquoted C(0644) in YAML is
        420 and works; C(644) does not mean C('0644')). Symbolic modes are not supported.
      - Default is to keep an existing file's mode; a new file gets C(0644).
    type: raw
  validate:
    description:
      - A command run on the guest (through its shell) against the new content before it replaces the file;
        C(%s) is replaced by the path of the temporary file that holds it, in the destination's directory.
      - When it exits non-zero the temporary file is removed, the file is left untouched, and the task fails
        with the command's output.
      - Not run when only the owner, group or mode change.
    type: str
  parents:
    description: Create the file's missing parent directories (mode C(0755), owned by the connecting user).
      Without it a missing directory is an error naming I(parents).
    type: bool
    default: false
extends_documentation_fragment:
  - aloofix.buildstrap.guest
notes:
  - The guest needs busybox's C(stat) (with C(-c)), C(sha256sum) and C(mktemp), which Aloofix and minifix have.
  - I(owner) and I(group) as names are looked up in the guest's C(/etc/passwd) and C(/etc/group); create them first with
    M(aloofix.buildstrap.guest_user) and M(aloofix.buildstrap.guest_group).
seealso:
  - module: aloofix.buildstrap.guest_user
  - module: aloofix.buildstrap.guest_group
  - module: ansible.builtin.template
"""

EXAMPLES = r"""
- name: Serve the feed's index page
  aloofix.buildstrap.guest_file:
    path: /srv/www/index.html
    content: "<a href=aloofix/>aloofix</a>\n"
    owner: web
    group: web
    mode: "0644"

- name: Configure crond's job for the build user from the role's templates/etc/cron.d/build.j2
  aloofix.buildstrap.guest_file:
    path: /var/spool/cron/crontabs/build
    src: etc/cron.d/build.j2
    owner: build
    mode: "0600"
    parents: true

- name: Replace the login profile only if the shell parses it
  aloofix.buildstrap.guest_file:
    path: /etc/profile
    src: etc/profile.j2
    validate: sh -n %s

- name: Install a secret
  aloofix.buildstrap.guest_file:
    path: /etc/buildstrap/token
    content: "{{ vault_token }}"
    mode: "0600"
  no_log: true

- name: Remove a leftover
  aloofix.buildstrap.guest_file:
    path: /etc/motd
    state: absent
"""

RETURN = r"""
path:
  description: The file (normalised).
  returned: always
  type: str
  sample: /etc/profile
state:
  description: C(present) or C(absent), after the change (predicted in check mode).
  returned: always
  type: str
sha256:
  description: The sha256 of the file's content (predicted in check mode); null when absent.
  returned: success
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
size:
  description: The file's size in bytes; null when absent.
  returned: success
  type: int
owner:
  description: The owner's name as C(stat) reports it; null for a new file in check mode without I(owner).
  returned: success
  type: str
  sample: root
group:
  description: The group's name as C(stat) reports it; null for a new file in check mode without I(group).
  returned: success
  type: str
  sample: root
mode:
  description: The file's mode, four octal digits.
  returned: success
  type: str
  sample: "0644"
changes:
  description: What differs (or differed); any of C(content), C(owner), C(group), C(mode), C(parents), C(absent).
  returned: success
  type: list
  elements: str
  sample: [content, mode]
diff:
  description: The text before and after, then the owner, group and mode lines that change.
  returned: with --diff, when changed
  type: list
  elements: dict
"""
