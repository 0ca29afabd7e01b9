# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja filter: the facts of an SSH profile (key type and file, host key types, OpenSSH options), for playbooks
that set up a guest without a recipe (the recipe action exposes the same facts as ``buildstrap.ssh``)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import profiles
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.hypervisor import openssh_jump_args


def ssh_profile_facts(name, state_dir):
    """``'dropbear-2013' | aloofix.buildstrap.ssh_profile_facts(state_dir)`` -> profiles.facts()."""
    try:
        return profiles.facts(name or None, str(state_dir))
    except SpecError as exc:
        raise AnsibleFilterError(str(exc)) from None


def ssh_jump_args(jump):
    """``plan.jump | aloofix.buildstrap.ssh_jump_args`` -> OpenSSH's ProxyCommand option through a remote
    hypervisor to its loopback ('' for a local one)."""
    return openssh_jump_args(jump or None)


class FilterModule:
    def filters(self):
        return {"ssh_profile_facts": ssh_profile_facts, "ssh_jump_args": ssh_jump_args}
