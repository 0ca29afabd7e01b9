#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: opkg_feed
short_description: Manage a package feed (src line) of opkg.conf on an Aloofix guest
version_added: 0.1.0
description:
  - Adds, changes or removes the C(src NAME URL) (or C(src/gz NAME URL)) line of one feed in opkg's
    configuration file on a guest that has no Python (an action plugin using the host's own connection).
  - Idempotent; a feed whose URL or compression changes has its line replaced where it stands, and duplicate
    lines for the same name are dropped. Comments and every other line are kept as written.
  - The new text is computed on the controller; outside check mode it is written atomically on the guest (a
    temporary file beside it, which keeps the old file's mode and owner, renamed over it). With C(--diff) the
    diff is the file's text before and after.
  - Run M(aloofix.buildstrap.opkg) with I(update_cache=true) afterwards to download the feed's list.
author: Buildstrap developers (!UNKNOWN)
options:
  name:
    description: The feed's name (the name of its list in opkg's lists directory).
    type: str
    required: true
  url:
    description: The feed's URL, the directory that holds its C(Packages) index. Required when I(state=present).
    type: str
  gzip:
    description: Whether the feed serves C(Packages.gz) (a C(src/gz) line) rather than C(Packages) (C(src)).
    type: bool
    default: false
  state:
    description: Whether the feed is configured.
    type: str
    choices: [present, absent]
    default: present
  path:
    description: opkg's configuration file on the guest. A missing file counts as empty (it is created for
      I(state=present) when its directory exists).
    type: str
    default: /etc/opkg/opkg.conf
extends_documentation_fragment:
  - aloofix.buildstrap.guest
seealso:
  - module: aloofix.buildstrap.opkg
"""

EXAMPLES = r"""
- name: Use the build server's feed
  aloofix.buildstrap.opkg_feed:
    name: aloofix
    url: http://buildserver/aloofix

- name: Drop the source tree's local feed
  aloofix.buildstrap.opkg_feed:
    name: build
    state: absent
"""

RETURN = r"""
line:
  description: The feed's line in the file.
  returned: when state=present
  type: str
  sample: src aloofix http://buildserver/aloofix
feeds:
  description: Every feed of the file after the change (predicted in check mode).
  returned: success
  type: list
  elements: dict
  sample: [{"name": "aloofix", "url": "http://buildserver/aloofix", "gzip": false}]
path:
  description: The configuration file.
  returned: always
  type: str
diff:
  description: The file's text before and after.
  returned: with --diff, when changed
  type: dict
"""
