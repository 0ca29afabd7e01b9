#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: install2hd
short_description: Run Aloofix's install2hd on a live guest, unattended
version_added: 0.1.0
description:
  - Runs C(install2hd) on the guest over SSH under a pty (it needs a real TTY), with its options mapped 1:1,
    and answers busybox passwd's C(New password) and C(Retype password) prompts, each only after it appeared,
    from I(root_password).
  - Before anything runs it checks the disk; a disk that already has partitions is refused unless
    I(force_fdisk) is true, and then is left untouched.
  - Failure is read from the exit code, the last C(-> step) line and the C(/tmp/<step>.out) files, which are
    fetched into I(log_dir) with the session's transcript (the password masked).
  - With I(prepare), readies the installed disk for automation before the reboot - root's authorized_keys,
    C(allow_root=y) for dropbear, C(console=ttyS0) in extlinux.conf - and creates its SSH host keys, read over
    this verified connection and returned as I(host_keys) to pin before the reboot.
  - Connects to C(ansible_host):C(ansible_port) as C(ansible_user) with C(ansible_ssh_private_key_file), trusting
    only the keys pinned in C(buildstrap_known_hosts).
author: Buildstrap developers (!UNKNOWN)
options:
  root_password:
    description: Root password of the installed system. Give it from a (vault) variable; it is never logged.
    type: str
    required: true
  force_fdisk:
    description: Let install2hd wipe a disk that has partitions (C(--force-fdisk)).
    type: bool
    default: false
  hddev:
    description:
      - Disks to install to (C(--hddev), given to install2hd as one space-separated list); needed when the
        guest has several disks. The first one gets the boot partition.
    type: list
    elements: str
  fstype:
    description: Root filesystem type (C(--fstype)).
    type: str
  bootsize:
    description: Boot partition size in MB (C(--bootsize)).
    type: int
  swapsize:
    description: Swap size in MB (C(--swapsize)).
    type: int
  pkgsets:
    description: Package sets to install (C(--pkgsets)).
    type: list
    elements: str
  prepare:
    description: Ready the installed disk for automation (see above).
    type: bool
    default: true
  serial_console:
    description: With I(prepare), add the serial console to the disk's extlinux.conf.
    type: bool
    default: true
  authorized_keys:
    description: With I(prepare), root's keys on the installed disk; default is the public half of
      C(ansible_ssh_private_key_file).
    type: list
    elements: str
  log_dir:
    description: Where the transcript and C(/tmp/<step>.out) files go; default C(buildstrap_run_dir)/install2hd.
    type: path
  command:
    description:
      - The installer's command, a name looked up in the live CD's C(/mnt/cdrom/bin) and the system
        directories, or an absolute path. A recipe sets it as C(install.command).
    type: str
    default: install2hd
  timeout:
    description: Seconds under KVM allowed between two signs of progress (x4 under TCG).
    type: float
    default: 300
attributes:
  check_mode:
    support: full
    description: Connects, checks the disk and reports the command it would run; nothing is written.
notes:
  - This is an action plugin; the module file only carries the documentation.
  - In check mode it connects, checks the disk and reports the command it would run; nothing is written.
"""

EXAMPLES = r"""
- name: Install the live system to the VM's disk
  aloofix.buildstrap.install2hd:
    root_password: "{{ vault_aloofix_root_password }}"
    swapsize: 64
  register: installed
"""

RETURN = r"""
disk:
  description: The disk install2hd used.
  returned: always
  type: str
  sample: /dev/vda
argv:
  description: The install2hd command line.
  returned: always
  type: list
  elements: str
steps:
  description: install2hd's steps with their start and duration in seconds.
  returned: when run
  type: list
  elements: dict
hostname:
  description: The hostname install2hd gave the system (C(host) and the MAC).
  returned: with prepare
  type: str
host_keys:
  description: The installed system's SSH host keys, to pin before the reboot.
  returned: with prepare
  type: list
  elements: str
layout:
  description: The disk's partition table.
  returned: with prepare
  type: list
  elements: str
logs:
  description: Fetched /tmp/<step>.out files.
  returned: when run
  type: list
  elements: str
"""
