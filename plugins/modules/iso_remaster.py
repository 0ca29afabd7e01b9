#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iso_remaster
short_description: Make an ISOLINUX live CD bootable and reachable without a person (serial, timeout, SSH)
version_added: 0.1.0
description:
  - Reads an ISOLINUX boot CD (Aloofix's layout with /boot/isolinux and iso_initrd.gz, minifix's, or the
    common /isolinux layout) with pycdlib and writes a new ISO that adds a serial console (ISOLINUX
    C(serial) and C(console=ttyS0) on the kernel line), a default entry with a short timeout, and an initrd
    overlay that starts dropbear with the given authorized key and prints the host keys on the console.
  - The source ISO is never modified. The output is reproducible, so the same inputs give a byte-identical
    ISO and C(changed=false).
  - Runs on the controller (it is a file transformation); upload the result with
    M(aloofix.buildstrap.vm_volume) for a remote hypervisor.
author: Buildstrap developers (!UNKNOWN)
options:
  src:
    description: The distro's ISO.
    type: path
    required: true
  dest:
    description: Where to write the remastered ISO (atomically). Must differ from I(src).
    type: path
    required: true
  default_entry:
    description: ISOLINUX label booted after I(timeout). Aloofix's and minifix's live entry is C(cd).
    type: str
    default: cd
  timeout:
    description: Seconds the menu waits before booting I(default_entry).
    type: float
    default: 1
  serial:
    description: Add a serial console (ISOLINUX menu and Linux console) on I(serial_port).
    type: bool
    default: true
  serial_port:
    description: Serial port number (0 is ttyS0/COM1, the one libvirt's console shows).
    type: int
    default: 0
  baud:
    description: Serial speed.
    type: int
    default: 115200
  kernel_args:
    description: More kernel arguments for every Linux entry.
    type: list
    elements: str
    default: []
  authorized_keys:
    description:
      - SSH public keys that may log in as root on the live system. With keys, the overlay is added; without,
        the ISO only gets the serial console and the timeout.
    type: list
    elements: str
  ssh_packages:
    description:
      - The packages from the CD's C(/pkgs) that the overlay installs to get an SSH server (e.g. Aloofix's
        C([glibc-lib, dropbear])). Their dependencies (C(-license) and C(-lib) packages) are resolved from the
        package files' own control files, since the CD keeps no C(Packages) index, and the whole closure is
        installed in one opkg call. A name or dependency missing from the CD fails before anything is written.
    type: list
    elements: str
    default: [dropbear]
  ssh_profile:
    description:
      - The SSH algorithm profile of the guest's server, which decides the host key types the overlay makes
        (C(modern) ed25519 and RSA; C(dropbear-2013) RSA and DSS, all that dropbear 2013.58 has).
    type: str
    default: modern
    choices: [modern, dropbear-2013]
notes:
  - Supports check mode (the ISO is built in a temporary file to compute whether it would change).
seealso:
  - module: aloofix.buildstrap.vm
"""

EXAMPLES = r"""
- name: Remaster the Aloofix buildstrap ISO for unattended boots
  aloofix.buildstrap.iso_remaster:
    src: images/aloofix-0.9/aloofix-buildstrap.iso
    dest: images/aloofix-0.9/aloofix-buildstrap.auto.iso
    authorized_keys:
      - "{{ lookup('file', buildstrap_run_dir ~ '/id_ed25519.pub') }}"
"""

RETURN = r"""
sha256:
  description: sha256 of the remastered ISO.
  returned: success
  type: str
isolinux_cfg:
  description: The new isolinux.cfg.
  returned: success
  type: str
isolinux_cfg_path:
  description: Where the ISO keeps isolinux.cfg.
  returned: success
  type: str
  sample: /boot/isolinux/isolinux.cfg
entries:
  description: The labels of the original menu.
  returned: success
  type: list
  elements: dict
  sample: [{label: cd, kernel: /boot/vmlinuz, menu_label: Boot from CD-ROM}]
seconds:
  description: Time the remaster took.
  returned: success
  type: float
overlay:
  description: Path of the initrd overlay inside the ISO, if one was added.
  returned: success
  type: str
ssh_closure:
  description: The package files the overlay installs in one opkg call (dependencies first), resolved from the
    packages' own control files on the CD.
  returned: success
  type: list
  elements: str
  sample: [glibc-license_2.17-2_noarch.opk, glibc-lib_2.17-2_i686.opk, dropbear_2013.58-2_i686.opk]
"""

import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import BuildstrapError, SpecError, failure
from ansible_collections.aloofix.buildstrap.plugins.module_utils.iso import remaster as iso
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.profiles import PROFILES, profile


def run_module() -> None:
    module = AnsibleModule(argument_spec={
        "src": {"type": "path", "required": True},
        "dest": {"type": "path", "required": True},
        "default_entry": {"type": "str", "default": "cd"},
        "timeout": {"type": "float", "default": 1},
        "serial": {"type": "bool", "default": True},
        "serial_port": {"type": "int", "default": 0},
        "baud": {"type": "int", "default": 115200},
        "kernel_args": {"type": "list", "elements": "str", "default": []},
        "authorized_keys": {"type": "list", "elements": "str", "no_log": False},
        "ssh_packages": {"type": "list", "elements": "str", "default": ["dropbear"]},
        "ssh_profile": {"type": "str", "default": "modern", "choices": list(PROFILES)},
    }, supports_check_mode=True)
    if not iso.HAS_PYCDLIB:
        module.fail_json(msg=missing_required_lib("pycdlib"))
    params = module.params
    try:
        if not 0 <= params["timeout"] <= 3600:
            raise SpecError("timeout", f"{params['timeout']} is out of range; use 0-3600 seconds")
        if params["baud"] not in (9600, 19200, 38400, 57600, 115200):
            raise SpecError("baud", f"{params['baud']} is not valid; use 9600, 19200, 38400, 57600 or 115200")
        if not 0 <= params["serial_port"] <= 3:
            raise SpecError("serial_port", f"{params['serial_port']} is out of range; use 0-3")
        started = time.monotonic()
        result, tmp = iso.remaster(params["src"], params["dest"], params["default_entry"],
                                   int(round(params["timeout"] * 10)), params["serial"], params["serial_port"],
                                   params["baud"], params["kernel_args"], params["authorized_keys"],
                                   params["ssh_packages"], profile(params["ssh_profile"])["host_key_types"],
                                   check_mode=module.check_mode)
        iso.finish(tmp, params["dest"], module.check_mode or not result["changed"])
        result["seconds"] = round(time.monotonic() - started, 3)
    except (BuildstrapError, OSError) as exc:
        module.fail_json(**failure(exc))
    module.exit_json(dest=params["dest"], **result)


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()
