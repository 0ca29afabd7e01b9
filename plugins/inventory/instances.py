# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: instances
short_description: The native instances that buildstrap runs left running
version_added: 0.1.0
description:
  - Reads C(IMAGES_DIR/*/state/instance.json), written by C(playbooks/buildstrap.yml) when a recipe's
    native instance is ready, and adds each instance as a host of the groups C(buildstrap_native_instances)
    and C(buildstrap_RECIPE) with an SSH connection through its 127.0.0.1 port forward, its key and its
    pinned known_hosts file (host key checking stays on).
  - The configuration file's name must end in C(.buildstrap.yml) or C(.buildstrap.yaml).
options:
  plugin:
    description: The name of this plugin.
    required: true
    choices: [aloofix.buildstrap.instances]
  images_dir:
    description: Buildstrap's artifact directory; relative paths are relative to the configuration file.
    type: str
    default: ../images
"""

EXAMPLES = r"""
# inventory/instances.buildstrap.yml
plugin: aloofix.buildstrap.instances
images_dir: ../images
"""

import glob
import json
import os

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import profiles


class InventoryModule(BaseInventoryPlugin):
    NAME = "aloofix.buildstrap.instances"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith((".buildstrap.yml", ".buildstrap.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        images = os.path.expanduser(self.get_option("images_dir"))
        if not os.path.isabs(images):
            images = os.path.normpath(os.path.join(os.path.dirname(path), images))
        self.inventory.add_group("buildstrap_native_instances")
        for state_file in sorted(glob.glob(os.path.join(images, "*", "state", "instance.json"))):
            try:
                with open(state_file, encoding="utf-8") as handle:
                    instance = json.load(handle)
                name = instance["name"]
                profile = profiles.profile(instance.get("ssh_profile"), "ssh_profile")["name"]
                group = "buildstrap_" + instance["recipe"].replace("-", "_").replace(".", "_")
            except (OSError, ValueError, KeyError, SpecError) as exc:
                raise AnsibleParserError(f"{state_file}: not a Buildstrap instance file ({exc})") from None
            self.inventory.add_host(name, group="buildstrap_native_instances")
            self.inventory.add_group(group)
            self.inventory.add_child(group, name)
            for key, value in {
                "ansible_host": instance["ansible_host"],
                "ansible_port": instance["ansible_port"],
                "ansible_user": instance.get("ansible_user", "root"),
                "ansible_connection": "ssh",
                "ansible_ssh_private_key_file": instance["ansible_ssh_private_key_file"],
                "ansible_ssh_common_args": (f"-o UserKnownHostsFile={instance['known_hosts']} "
                                            "-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes "
                                            + profiles.openssh_args(profile)).strip(),
                "ansible_python_interpreter": "/nonexistent/guests-have-no-python",
                "buildstrap_known_hosts": instance["known_hosts"],
                "buildstrap_accel": instance.get("accel", "tcg"),
                "buildstrap_recipe": instance["recipe"],
                "buildstrap_instance_hostname": instance.get("hostname"),
                "buildstrap_uri": instance.get("uri", "qemu:///system"),
                "buildstrap_ssh_profile": profile,
            }.items():
                self.inventory.set_variable(name, key, value)
