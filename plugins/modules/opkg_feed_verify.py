#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: opkg_feed_verify
short_description: Verify an opkg package feed served over HTTP against its Packages index
version_added: 0.1.0
description:
  - Fetches the feed's C(Packages) index (control paragraphs separated by empty lines, as Aloofix's
    C(build-pkg) writes it) and checks it first. An empty index, a truncated one (a last line without its
    newline, a paragraph without C(Package), C(Filename), C(Size) or C(SHA256sum)), a C(Size) that is not a
    whole number, a malformed checksum or a C(Filename) listed twice fails, naming the line or paragraph.
  - Then fetches every file the index lists and checks its size, C(SHA256sum) and, when given, C(MD5sum).
    Files are streamed through the digests in 1 MiB blocks, never held in memory whole; nothing is written.
  - "Every problem is collected, so one failure names every bad file, for instance
    C(busybox_1.36.1-1_i686.opk: SHA256sum mismatch (Packages says ..., served ...)). The failure's
    C(problems) lists them one by one."
  - With I(files), files of the feed directory that C(Packages) does not list are errors (C(unlisted)).
    With I(expect), a manifest recorded earlier (this module's C(manifest)), any change of the index or of
    a file since then is an error that names it.
  - The feed must be on this machine (C(127.0.0.1), C(localhost), C(::1)) unless I(allow_remote=true); HTTP
    proxies are never used for loopback and redirects are never followed.
  - Read-only, so it runs in check mode too and never reports a change.
author: Buildstrap developers (!UNKNOWN)
options:
  url:
    description:
      - Base URL of the feed directory, the one opkg's C(src) line names (C(Packages) and the package files
        are fetched from below it).
      - Only C(http://) and C(https://); a host other than loopback is refused unless I(allow_remote=true).
    type: str
    required: true
  files:
    description:
      - Names of the files the feed directory really holds (for instance listed on the server by the
        caller), relative to it.
      - When given, every one that C(Packages) does not list, C(Packages) itself aside, is reported as
        C(unlisted). Leave out files that belong there without being packages (C(*.control) of a staging
        directory, for instance) before passing the list.
    type: list
    elements: str
  expect:
    description:
      - "A manifest recorded from an earlier run (this module's C(manifest) return value),
        C({packages_sha256: ..., packages: {filename: sha256}})."
      - The feed fails when its index or any file was changed, added or removed since, naming each.
    type: dict
  allow_remote:
    description: Allow a feed on a host other than loopback.
    type: bool
    default: false
  timeout:
    description: Seconds to wait for the server on each connection and read.
    type: float
    default: 30
notes:
  - Supports check mode, and runs the same in it, since it only reads.
"""

EXAMPLES = r"""
- name: Verify the build server's feed
  aloofix.buildstrap.opkg_feed_verify:
    url: http://127.0.0.1:34567/minifix
  register: feed

- name: Verify it again against what was recorded, and insist on no stray files
  aloofix.buildstrap.opkg_feed_verify:
    url: "{{ buildserver.feed_url }}"
    files: "{{ feed_listing.stdout_lines | reject('match', '.*\\.control$') | list }}"
    expect: "{{ feed.manifest }}"
"""

RETURN = r"""
url:
  description: The feed's base URL, without a trailing slash.
  returned: always
  type: str
  sample: http://127.0.0.1:34567/minifix
packages:
  description: Number of entries in C(Packages).
  returned: always
  type: int
  sample: 127
bytes:
  description: Bytes of package files fetched and checked.
  returned: always
  type: int
packages_bytes:
  description: Size of the C(Packages) index in bytes.
  returned: always
  type: int
packages_sha256:
  description: sha256 of the C(Packages) index as served.
  returned: always
  type: str
manifest:
  description:
    - What to record to notice later changes (pass it back as I(expect)), the sha256 of the index and of
      every package file.
    - On a failure, given only when the feed itself is sound and only the comparison with I(expect) failed.
  returned: success, and when only I(expect) differs
  type: dict
  sample: {packages_sha256: 9f2c..., packages: {busybox_1.36.1-1_i686.opk: 4b1e...}}
seconds:
  description: Wall-clock time of the verification.
  returned: always
  type: float
mb_per_s:
  description: Throughput in MB/s (10^6 bytes per second), index and package files together.
  returned: always
  type: float
problems:
  description: On failure, every problem found, one per bad file or index line.
  returned: failure
  type: list
  elements: str
  sample: ["busybox_1.36.1-1_i686.opk: SHA256sum mismatch (Packages says 4b1e..., served 77a0...)"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aloofix.buildstrap.plugins.module_utils import runner
from ansible_collections.aloofix.buildstrap.plugins.module_utils.feed.verify import verify_feed


def _verify(params: dict, check_mode: bool) -> dict:
    # Check mode changes nothing here: verifying only reads, so it runs the same.
    return verify_feed(params["url"], params["files"], params["expect"], params["timeout"], params["allow_remote"])


def main() -> None:
    module = AnsibleModule(argument_spec={
        "url": {"type": "str", "required": True},
        "files": {"type": "list", "elements": "str"},
        "expect": {"type": "dict"},
        "allow_remote": {"type": "bool", "default": False},
        "timeout": {"type": "float", "default": 30},
    }, supports_check_mode=True)
    runner.run(module, _verify)


if __name__ == "__main__":
    main()
