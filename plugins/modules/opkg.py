#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: opkg
short_description: Manage packages with opkg 0.1.8 on an Aloofix guest that has no Python
version_added: 0.1.0
description:
  - Installs, upgrades and removes packages with the guest's C(opkg) (0.1.8 on Aloofix; minifix's shell opkg
    behaves the same) through the host's own connection, so it works on guests without Python.
  - The guest is read first (the configuration, C(opkg list-installed), the feeds' downloaded lists and the
    control files of package files) and the plan is computed from it, dependencies included. Check mode
    stops there and reports exactly what would be installed, upgraded and removed. The diff is the list of
    installed packages (C(name version) lines) before and after.
  - After opkg has run, the installed packages are read again; the result lists what actually changed, and a
    requested package that is not in the asked state fails the task whatever opkg's exit code was.
  - Unlike M(community.general.opkg), it has check mode, C(state=latest), and installs from one named feed.
author: Buildstrap developers (!UNKNOWN)
options:
  name:
    description:
      - Package names, or absolute paths on the guest or http://, https://, ftp://, file:// URLs of C(.opk)
        files (files are read for their package name and version).
    type: list
    elements: str
    required: true
    aliases: [pkg]
  state:
    description:
      - C(present) installs what is missing (an installed package is left at its version; a package file of
        another version than the installed one is installed).
      - C(latest) also upgrades (C(opkg upgrade)) installed packages for which a feed has a newer version.
      - C(absent) removes installed packages (C(opkg remove)); files name the package they hold.
    type: str
    choices: [present, absent, latest]
    default: present
  update_cache:
    description:
      - Run C(opkg update) first (download every feed's list). It is not counted as a change (see
        RV(cache_updated)).
      - In check mode the lists are not written; each feed's current index is read over the network instead,
        so the plan is the one a real run would make.
    type: bool
    default: false
  feed:
    description:
      - Install and upgrade only from this feed (a C(src)/C(src/gz) name of the configuration). Every package
        to install, dependencies included, must be in that feed's downloaded list, or the task fails naming
        the feed and the package. opkg runs with a copy of the configuration that lists only this feed.
    type: str
  dest:
    description: Install into this destination of the configuration (C(opkg -d DEST)), for example C(ram).
    type: str
  offline_root:
    description: Install into an offline root, for example a mounted disk (C(opkg -o DIR)); postinsts are not
      run there. Mutually exclusive with I(dest).
    type: str
  force_reinstall:
    description: Reinstall the packages even when the same version is installed (C(--force-reinstall));
      always a change.
    type: bool
    default: false
  conf:
    description: opkg's configuration file on the guest (C(opkg -f) when not the default).
    type: str
    default: /etc/opkg/opkg.conf
extends_documentation_fragment:
  - aloofix.buildstrap.guest
notes:
  - It uses only what opkg 0.1.8 offers (C(update), C(list-installed), C(install), C(upgrade), C(remove),
    C(-f), C(-d), C(-o), C(--force-reinstall)) and reads the feeds' lists from opkg's lists directory
    (C(option lists_dir), default C(/usr/lib/opkg/lists), under the offline root or the destination).
  - Version constraints in C(Depends) are not used to choose candidates (the newest version of a package
    is planned, as opkg picks it).
seealso:
  - module: aloofix.buildstrap.opkg_feed
"""

EXAMPLES = r"""
- name: Install rsync from the build server's feed
  aloofix.buildstrap.opkg:
    name: [rsync]
    feed: aloofix
    update_cache: true

- name: Keep the toolchain up to date
  aloofix.buildstrap.opkg:
    name: [gcc, binutils]
    state: latest

- name: Install package files copied to the guest
  aloofix.buildstrap.opkg:
    name:
      - /var/tmp/zlib-lib_1.2.8-1_i686.opk
      - /var/tmp/zlib-license_1.2.8-1_noarch.opk

- name: Install into a mounted disk
  aloofix.buildstrap.opkg:
    name: [busybox]
    offline_root: /mnt/hd

- name: Remove a package
  aloofix.buildstrap.opkg:
    name: [nano]
    state: absent
"""

RETURN = r"""
plan:
  description: What the run would do (check mode) or set out to do, computed from the guest's state.
  returned: success
  type: dict
  contains:
    install:
      description: Packages to install, dependencies first, each with C(name), C(version) and C(source) (a feed
        name or the file/URL).
      type: list
      elements: dict
    upgrade:
      description: Packages to upgrade, each with C(name), C(from), C(to) and C(source).
      type: list
      elements: dict
    remove:
      description: Packages to remove, each with C(name) and C(version).
      type: list
      elements: dict
  sample: {"install": [{"name": "rsync", "version": "3.0.9-1", "source": "aloofix"}], "upgrade": [], "remove": []}
install:
  description: Packages that were installed (planned, in check mode).
  returned: success
  type: list
  elements: dict
upgrade:
  description: Packages that were upgraded, with C(from) and C(to) (planned, in check mode).
  returned: success
  type: list
  elements: dict
remove:
  description: Packages that were removed (planned, in check mode).
  returned: success
  type: list
  elements: dict
commands:
  description: The opkg commands run on the guest (that would be run, in check mode).
  returned: always
  type: list
  elements: str
cache_updated:
  description: Whether C(opkg update) ran.
  returned: when update_cache is true and not in check mode
  type: bool
stdout:
  description: opkg's output.
  returned: when opkg ran
  type: str
"""
