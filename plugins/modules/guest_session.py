#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: guest_session
short_description: Run a long command on a guest under a pty, answering its prompts and showing progress
version_added: 0.1.0
description:
  - For distro build scripts such as Aloofix's C(scripts/buildstrap), which run for hours, refuse root, and
    ask for root's password through C(su) on the way. Runs C(command) over the pinned SSH connection under a
    pty (as I(user) through C(su) when it is not root), answers each prompt in I(prompts) only after it
    appeared, and shows a progress line for each match of I(progress) with N of M, elapsed time and an ETA.
  - Fails when the exit code is not 0, a I(failure) pattern appears, or I(success) never matched; the message
    quotes the last lines and names the transcript, in which secrets are masked.
author: Buildstrap developers (!UNKNOWN)
options:
  command:
    description: The command line.
    type: str
    required: true
  user:
    description: Run as this user (via C(su - USER -c)); default is the connection's user.
    type: str
  chdir:
    description: Directory to run in.
    type: str
  prompts:
    description: "C({expect: REGEX, secret: NAME}) or C({expect: REGEX, answer: TEXT}), answered when they appear."
    type: list
    elements: dict
    default: []
  secrets:
    description: Values for the prompts' C(secret) names. Never logged.
    type: dict
    default: {}
  success:
    description: Regex that must appear for success (e.g. C(^Finished:)).
    type: str
  failure:
    description: Regexes that mean failure (e.g. C(building \\S+ failed)).
    type: list
    elements: str
    default: []
  progress:
    description: "C({regex: REGEX}): each match is one item done; group 1 names it."
    type: dict
  progress_total:
    description: How many progress items make the whole run (for N of M).
    type: int
  eta_seconds:
    description: How long the last run took (for the ETA).
    type: float
  timeout:
    description: Seconds under KVM (x4 under TCG) without any matching output before giving up.
    type: float
    default: 600
  transcript:
    description: File on the controller for the session's output.
    type: path
  name:
    description: Label for progress lines.
    type: str
notes:
  - This is an action plugin; the module file only carries the documentation.
"""

EXAMPLES = r"""
- name: Rebuild the distro natively as build
  aloofix.buildstrap.guest_session:
    command: ./scripts/buildstrap
    chdir: /usr/src/aloofix-0.9
    user: build
    prompts:
      - expect: '^Password: ?$'
        secret: root_password
    secrets:
      root_password: "{{ vault_root_password }}"
    success: '^Finished: '
    failure: ['building \S+ failed']
    progress:
      regex: '^Building (\S+) package'
"""

RETURN = r"""
rc:
  description: Exit code.
  returned: when run
  type: int
progress:
  description: The progress items with when they started and how long they took.
  returned: when run
  type: list
  elements: dict
seconds:
  description: Run time.
  returned: when run
  type: float
failures:
  description: The lines that matched a failure pattern.
  returned: when run
  type: list
  elements: str
failed_items:
  description: Group 1 of each failure match (what failed, e.g. the package whose build logs to fetch).
  returned: when run
  type: list
  elements: str
"""
