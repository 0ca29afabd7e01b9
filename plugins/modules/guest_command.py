#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: guest_command
short_description: Run a command on a guest that has no Python
version_added: 0.1.0
description:
  - Runs through the host's own connection (an action plugin using raw execution), so it works on Aloofix and
    minifix guests, which have no Python. Like M(ansible.builtin.command) it has I(creates) and I(removes),
    and it fails when the exit code is not in I(ok_rc).
  - In check mode the command is not run (unless I(run_in_check_mode)), and the task reports I(changes).
author: Buildstrap developers (!UNKNOWN)
options:
  cmd:
    description: An argv list (each word is quoted for the remote shell) or a shell command string.
    type: raw
    required: true
  chdir:
    description: Directory to run in.
    type: str
  creates:
    description: Skip when this path exists on the guest.
    type: str
  removes:
    description: Skip when this path does not exist on the guest.
    type: str
  stdin:
    description: Data for the command's standard input.
    type: str
  ok_rc:
    description: Exit codes that count as success.
    type: list
    elements: int
    default: [0]
  changes:
    description: Whether running the command counts as a change (set false for queries).
    type: bool
    default: true
  run_in_check_mode:
    description: Run even in check mode (for read-only commands).
    type: bool
    default: false
attributes:
  check_mode:
    support: partial
    description: The command is not run (unless I(run_in_check_mode)); the task reports I(changes).
notes:
  - This is an action plugin; the module file only carries the documentation.
"""

EXAMPLES = r"""
- name: Enable the web server on the build server
  aloofix.buildstrap.guest_command:
    cmd: [svadmin, enable, httpd]
    creates: /var/service/httpd
"""

RETURN = r"""
rc:
  description: Exit code.
  returned: when run
  type: int
stdout:
  description: Standard output.
  returned: when run
  type: str
cmd:
  description: The command line that was run on the guest.
  returned: always
  type: str
"""
