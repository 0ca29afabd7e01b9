# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: libvirt
short_description: Buildstrap's libvirt domains as SSH-ready hosts
version_added: 0.1.0
description:
  - Lists the domains on one or more libvirt hypervisors with libvirt-python, keeps those that carry Buildstrap's
    metadata (C(<buildstrap:vm>) in the domain XML, written by the M(aloofix.buildstrap.vm) module) and adds each one
    as a host that Ansible's C(ssh) connection can reach with no guest agent.
  - The address is always C(127.0.0.1) and the port the QEMU user-network forward to the guest's port 22, read from
    the domain's C(qemu:commandline). A forward on any other address is refused with a warning naming the domain,
    and the host then gets no C(ansible_port).
  - "Connection variables are those the C(guest_vm) role gives a guest: C(ansible_user) (metadata C(ssh_user),
    default C(root)), C(ansible_ssh_private_key_file) (metadata C(private_key)), C(ansible_ssh_common_args) with the
    pinned C(UserKnownHostsFile) of metadata C(known_hosts), C(StrictHostKeyChecking=yes) always, and the OpenSSH
    options of the SSH profile in metadata C(ssh_profile); C(ansible_python_interpreter) points nowhere, as the
    guests have no Python."
  - The inventory hostname is metadata C(host) when set, else the domain name. Each host also gets
    C(buildstrap_uri), C(buildstrap_domain), C(buildstrap_state) (as C(virsh list) names it, e.g. C(running),
    C(shut off)), C(buildstrap_metadata), C(buildstrap_forwards) (the 127.0.0.1 forwards as C(guest), C(host),
    C(proto)), C(buildstrap_known_hosts) and C(buildstrap_ssh_profile).
  - Groups are C(buildstrap) (every host), C(buildstrap_running), and C(buildstrap_PIPELINE), C(recipe_RECIPE),
    C(stage_STAGE), C(role_ROLE) and C(fleet_FLEET) for the metadata keys a domain has, with every character other
    than letters, digits and C(_) turned into C(_).
  - The configuration file's name must end in C(libvirt.yml) or C(libvirt.yaml).
notes:
  - The forwards are bound to the hypervisor's loopback. For a remote URI such as C(qemu+ssh://host/system) the
    guests are reachable only through a tunnel to that host (e.g. C(ProxyJump) in your SSH configuration).
  - A URI that cannot be opened is skipped with a warning; with O(strict=true) it is an error.
requirements:
  - libvirt-python
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin.
    required: true
    choices: [aloofix.buildstrap.libvirt]
  uri:
    description:
      - The libvirt URIs of the hypervisors to list, e.g. C(qemu:///system) or C(qemu+ssh://builder/system).
      - A single URI may be given as a string.
    type: list
    elements: str
    default: [qemu:///system]
  hypervisors_group:
    description:
      - Also list every hypervisor of this inventory group (its hosts' C(hypervisor_uri), as C(playbooks/clients.yml)
        places client VMs on them), after I(uri). The group must come from an inventory source parsed before
        this one (Ansible parses a directory's sources in name order, e.g. C(hosts.yml) before
        C(zz-guests.libvirt.yml)), with C(hypervisor_uri) set in that source.
      - Guests of a remote hypervisor get an C(ansible_ssh_common_args) that jumps through it to its loopback.
    type: str
  pipelines:
    description:
      - Only domains whose metadata C(pipeline) is one of these. Empty lists every Buildstrap domain.
      - Domains without Buildstrap metadata are never listed.
    type: list
    elements: str
    default: []
  fleets:
    description:
      - Only client VMs of these fleets (metadata C(fleet), see C(playbooks/clients.yml)); two fleets made from
        the same inventory have the same host names, so an inventory lists one of them. Empty lists every fleet.
    type: list
    elements: str
    default: []
  running_only:
    description:
      - Only domains that are running (C(buildstrap_running)); otherwise stopped domains are listed too, with their
        C(buildstrap_state) and the same connection variables.
    type: bool
    default: false
"""

EXAMPLES = r"""
# inventory/fleet.libvirt.yml: every Buildstrap guest on this machine's system hypervisor.
plugin: aloofix.buildstrap.libvirt

# inventory/fleet/zz-guests.libvirt.yml: the guests of every hypervisor of the group hypervisors (hosts.yml).
# plugin: aloofix.buildstrap.libvirt
# uri: []
# hypervisors_group: hypervisors

# Two hypervisors, only the guests of the buildstrap pipeline that are up, cached for an hour:
# plugin: aloofix.buildstrap.libvirt
# uri:
#   - qemu:///system
#   - qemu+ssh://builder.example.org/system
# pipelines: [buildstrap]
# running_only: true
# cache: true
# cache_plugin: ansible.builtin.jsonfile
# cache_connection: ~/.cache/buildstrap-inventory
# cache_timeout: 3600

# Client VMs grouped by their metadata, with a composed variable:
# plugin: aloofix.buildstrap.libvirt
# pipelines: [clients]
# strict: true
# keyed_groups:
#   - key: buildstrap_metadata.recipe
#     prefix: distro
# groups:
#   stopped: buildstrap_state == 'shut off'
# compose:
#   ssh_target: "'root@127.0.0.1:' ~ ansible_port"
"""

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import BuildstrapError, HypervisorError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import inventory as inv


def _open(uri: str):
    """libvirt.open() without api.connection()'s event loop. The inventory is parsed in Ansible's main process,
    which then forks its workers; a worker that drives a console (the recipe action's accelerator probe) must start
    the event-loop thread itself, and api.ensure_event_loop() would believe one were already running there."""
    if not api.HAS_LIBVIRT:
        raise AnsibleParserError(f"libvirt inventory: libvirt-python is not installed: {api.LIBVIRT_IMPORT_ERROR}")
    api.libvirt.registerErrorHandler(lambda _ctx, _err: None, None)  # errors are reported as warnings instead
    try:
        return api.libvirt.open(uri)
    except api.libvirt.libvirtError as exc:
        raise HypervisorError(f"cannot connect: {exc.get_error_message()}. Check the URI (e.g. qemu:///system or "
                              "qemu+ssh://host/system) and that libvirtd is running there") from None


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "aloofix.buildstrap.libvirt"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("libvirt.yml", "libvirt.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        group = self.get_option("hypervisors_group")
        uris = list(self.get_option("uri") or ([] if group else [api.DEFAULT_URI]))
        if group:
            if group not in inventory.groups:
                raise AnsibleParserError(f"libvirt inventory: hypervisors_group: no group {group!r} has been parsed "
                                         "before this source; name the source so that it sorts after the one "
                                         "that defines the group")
            for host in inventory.groups[group].get_hosts():
                uri = host.get_vars().get("hypervisor_uri")
                if not uri:
                    raise AnsibleParserError(f"libvirt inventory: {host.name}: hypervisor_uri is not set in the "
                                             f"inventory source of the group {group}")
                if uri not in uris:
                    uris.append(uri)
        use_cache = self.get_option("cache")
        cache_key = self.get_cache_key(path)
        listings = {}
        if use_cache and cache:
            listings = dict(self._cache.get(cache_key) or {})
        queried = False
        for uri in uris:
            if uri not in listings:
                listings[uri] = self._list_uri(uri)
                queried = queried or listings[uri] is not None
        if use_cache and queried:
            # Only hypervisors that answered are cached, so one that was down is asked again next time.
            self._cache[cache_key] = {uri: records for uri, records in listings.items() if records is not None}
        self.inventory.add_group("buildstrap")
        self.inventory.add_group("buildstrap_running")
        claimed = {}
        for uri in uris:
            for record in listings[uri] or ():
                self._add(record, uri, claimed)

    def _list_uri(self, uri: str) -> list[dict] | None:
        """The Buildstrap domain records on ``uri``, or None (with a warning) when it cannot be listed."""
        try:
            conn = _open(uri)
            try:
                records = (self._record(dom, uri) for dom in api.list_domains(conn))
                return [record for record in records if record is not None]
            finally:
                conn.close()
        except BuildstrapError as exc:
            message = f"libvirt inventory: cannot list the domains of {uri}: {exc}"
            if self.get_option("strict"):
                raise AnsibleParserError(message) from None
            self.display.warning(message)
            return None

    def _record(self, dom, uri: str) -> dict | None:
        try:
            state = dom.state()[0]
            # A running domain's live XML holds the forwards its QEMU was started with.
            xml = api.domain_xml(dom, inactive=not api.domain_is_active(dom))
        except api.libvirt.libvirtError as exc:  # undefined while we were listing
            self.display.warning(f"libvirt inventory: cannot read domain {dom.name()} on {uri}: "
                                 f"{exc.get_error_message()}")
            return None
        except BuildstrapError as exc:
            self.display.warning(f"libvirt inventory: cannot read domain {dom.name()} on {uri}: {exc}")
            return None
        return inv.domain_record(dom.name(), state, xml)

    def _add(self, record: dict, uri: str, claimed: dict) -> None:
        metadata = record["metadata"]
        pipelines = self.get_option("pipelines")
        if pipelines and metadata.get("pipeline") not in pipelines:
            return
        fleets = self.get_option("fleets")
        if fleets and metadata.get("fleet") not in fleets:
            return
        if self.get_option("running_only") and record["state"] not in inv.RUNNING_STATES:
            return
        host = inv.inventory_host(record, uri)
        name = host["name"]
        if name in claimed:
            self.display.warning(f"libvirt inventory: domain {record['domain']} on {uri} would be host {name}, "
                                 f"which is already domain {claimed[name]}; it is left out")
            return
        claimed[name] = f"{record['domain']} on {uri}"
        for warning in host["warnings"]:
            self.display.warning(f"libvirt inventory: {warning}")
        self.inventory.add_host(name)
        for group in host["groups"]:
            self.inventory.add_group(group)
            self.inventory.add_child(group, name)
        for key, value in host["vars"].items():
            self.inventory.set_variable(name, key, value)
        strict = self.get_option("strict")
        variables = self.inventory.get_host(name).get_vars()
        self._set_composite_vars(self.get_option("compose"), variables, name, strict)
        self._add_host_to_composed_groups(self.get_option("groups"), variables, name, strict)
        self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, name, strict)
