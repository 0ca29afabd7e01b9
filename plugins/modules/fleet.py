#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet
short_description: Check the inventory's client VMs and plan the fleet before anything starts
version_added: 0.1.0
description:
  - Reads the host variables of every host of I(group) (C(client_role), C(client_provision), C(client_index),
    C(client_forwards), C(client_hardware), C(client_hypervisor)) and of I(hypervisors_group) (C(hypervisor_uri),
    C(hypervisor_vcpus), C(hypervisor_memory) in MiB), checks them all, and sets the fact C(buildstrap_fleet),
    the plan C(playbooks/clients.yml) follows. An error names the host and the variable.
  - "Placement, deterministic: clients that name a C(client_hypervisor) go there; every other client, in
    C(client_index) order, goes to the hypervisor that is least loaded once it holds the client (load: the larger
    of the fractions of vCPUs and memory in use), ties to the first by name. A client that fits nowhere is an
    error that names each hypervisor's free capacity. Without hypervisors, every client is on I(uri)."
  - A client of a remote hypervisor (C(qemu+ssh://user@host/...)) gets a C(jump) - its forwards are on that
    hypervisor's loopback - and ports are unique in the whole fleet.
  - Each client gets the domain C(FLEET-HOST), the disk C(FLEET-HOST.qcow2), and the 127.0.0.1 ports
    C(port_base + 10 * client_index) (SSH) and the next ones for its I(client_forwards), in order. So clients
    created in parallel never race for a port, and a client keeps its ports from run to run.
  - C(client_role) must be a C(role_*) role of I(roles_dir); C(client_provision) is C(clone) (default) or
    C(install).
author: Buildstrap developers (!UNKNOWN)
options:
  name:
    description: The fleet's name; it prefixes every client's domain and disk.
    type: str
    required: true
  group:
    description: The inventory group of the clients.
    type: str
    default: clients
  port_base:
    description: The first of the fleet's 127.0.0.1 ports (client I(N) uses C(port_base + 10N) to C(+ 9)).
    type: raw
    required: true
  uri:
    description: The hypervisor of every client when the inventory has no I(hypervisors_group).
    type: str
    required: true
  hypervisors_group:
    description: The inventory group of the hypervisors clients are placed on.
    type: str
    default: hypervisors
  roles_dir:
    description: The directory of roles; its C(role_*) roles are the valid C(client_role) values.
    type: path
    required: true
  recipe_vm:
    description: The recipe's C(vm) section; a client's hardware is it with the client's C(client_hardware).
    type: dict
    required: true
  state_dir:
    description: The recipe's state directory; each client's known_hosts file is C(fleet/FLEET/HOST.known_hosts)
      there.
    type: path
    required: true
  loghost:
    description: The client that receives the fleet's remote syslog; it must forward a UDP port to
      I(syslog_port).
    type: str
  syslog_port:
    description: The log host's syslog port.
    type: int
    default: 514
  role_required:
    description: Whether every client must set C(client_role). Molecule's instances, whose scenario names the
      role it tests, do not.
    type: bool
    default: true
notes:
  - An action plugin; it runs on the controller and touches nothing.
"""

EXAMPLES = r"""
- name: Check and plan the fleet
  aloofix.buildstrap.fleet:
    name: fleet
    port_base: 22300
    uri: qemu:///system
    roles_dir: "{{ playbook_dir }}/../roles"
    recipe_vm: "{{ buildstrap.vm }}"
    state_dir: "{{ buildstrap.state_dir }}"
    loghost: log1
"""

RETURN = r"""
fleet:
  description: The plan - C(name), C(port_base), C(uri), C(hosts) (per client - host, hostname, index, role,
    provision, uri, hypervisor, jump, vm_name, disk_volume, hardware, ssh_port, forwards, known_hosts, metadata),
    C(hypervisors) (per hypervisor - name, uri, vcpus, memory, jump, clients) and C(loghost) (C(host), C(port)).
  returned: success
  type: dict
"""
