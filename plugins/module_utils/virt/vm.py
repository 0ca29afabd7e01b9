# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``vm`` module's logic: bring one domain to a declared state, idempotently, with check mode and diff.

Order of work: validate everything (spec, files, ports, volumes) -> compute the plan -> apply it (unless in
check mode) -> wait until each state change has happened.
"""

from __future__ import annotations

import os
import socket

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import NotManagedError, SpecError, WaitTimeout
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import accel as accel_mod
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api, checkpoint, transform, waiters
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.spec import parse_vm_spec
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.timeouts import scaled

STATES = ("present", "running", "shutdown", "absent")
SHUTDOWN_MODES = ("acpi", "destroy", "acpi_then_destroy")
PORT_RANGE = (20000, 29999)


def default_console_log(name: str, uri: str = api.DEFAULT_URI) -> str | None:
    """The serial console's log file; none on a session hypervisor, whose QEMU cannot write to /var/log."""
    if "/session" in uri:
        return None
    return f"/var/log/libvirt/qemu/{name}-console.log"


def _port_is_free(addr: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((addr, port))
        except OSError:
            return False
    return True


def _ports_of_other_domains(conn, name: str) -> dict[tuple[str, str, int], str]:
    used = {}
    for other, xmls in api.other_domains_xml(conn, name):
        for xml in xmls:
            facts = transform.domain_facts(xml)
            for nic in facts["nics"]:
                for fwd in nic.get("forwards", []):
                    used[(fwd["host_addr"], fwd["proto"], fwd["host"])] = other
    return used


def _assign_ports(conn, spec, current_xml: str | None, local: bool):
    """Keep the host ports a domain already has; check fixed ones; allocate the rest."""
    used = _ports_of_other_domains(conn, spec.name)
    current = transform.forwards_in(current_xml) if current_xml else {}
    own_ports = set(current.values())
    wanted, user_index = {}, 0
    taken = set()
    for n, nic in enumerate(spec.nics):
        if nic.type != "user":
            continue
        for f, fwd in enumerate(nic.forwards):
            field = f"nics[{n}].forwards[{f}].host"
            key = (user_index, fwd.guest_port, fwd.proto)
            port = fwd.host_port if fwd.host_port is not None else current.get(key)
            if port is not None:
                owner = used.get((fwd.host_addr, fwd.proto, port))
                if owner:
                    raise SpecError(field, f"port {port} is already forwarded to VM {owner}; use another or 'auto'")
                if local and port not in own_ports and not _port_is_free(fwd.host_addr, port):
                    raise SpecError(field, f"port {port} on {fwd.host_addr} is already in use on the hypervisor; "
                                           "use another or 'auto'")
            else:
                port = _allocate(fwd.host_addr, fwd.proto, used, taken, local)
            taken.add(port)
            wanted[key] = port
        user_index += 1
    return transform.with_host_ports(spec, wanted)


def _allocate(addr: str, proto: str, used, taken, local: bool) -> int:
    start = PORT_RANGE[0] + os.getpid() % (PORT_RANGE[1] - PORT_RANGE[0])
    span = PORT_RANGE[1] - PORT_RANGE[0] + 1
    for offset in range(span):
        port = PORT_RANGE[0] + (start - PORT_RANGE[0] + offset) % span
        if port in taken or (addr, proto, port) in used:
            continue
        if local and not _port_is_free(addr, port):
            continue
        return port
    raise SpecError("nics", f"no free host port in {PORT_RANGE[0]}-{PORT_RANGE[1]} on {addr}")


def _check_files(spec, local: bool) -> None:
    """Files the domain reads must exist on the hypervisor (checked when it is this machine)."""
    if not local:
        return
    for field, path in (("kernel", spec.kernel), ("initrd", spec.initrd),
                        ("cdrom", spec.cdrom.path if spec.cdrom else None)):
        if path and not os.path.isfile(path):
            raise SpecError(field, f"{path} does not exist on the hypervisor; build or copy it first, "
                                   "or fix the path")


def _plan_volumes(conn, spec) -> list[dict]:
    """Disks whose volumes do not exist yet must say how to create them (size, or a backing volume)."""
    to_create = []
    pools = {}
    for i, disk in enumerate(spec.disks):
        pool = pools.get(disk.pool) or api.lookup_pool(conn, disk.pool)
        if pool is None and disk.pool != api.DEFAULT_POOL:
            raise SpecError(f"disks[{i}].pool", f"storage pool {disk.pool!r} does not exist on the hypervisor")
        pools[disk.pool] = pool
        vol = api.lookup_volume(pool, disk.volume) if pool is not None else None
        if vol is not None:
            continue
        if disk.size is None and disk.backing is None:
            raise SpecError(f"disks[{i}].size", f"volume {disk.volume!r} does not exist; give size (e.g. 8G) "
                                                "or backing to create it, or create it with vm_volume")
        backing = None
        if disk.backing:
            bvol = api.lookup_volume(pool, disk.backing) if pool is not None else None
            if bvol is None:
                raise SpecError(f"disks[{i}].backing", f"backing volume {disk.backing!r} does not exist in pool "
                                                       f"{disk.pool!r}")
            backing = api.volume_facts(bvol)
        to_create.append({"index": i, "disk": disk, "backing": backing})
    if spec.cdrom is not None and spec.cdrom.volume:
        pool = api.lookup_pool(conn, spec.cdrom.pool)
        if pool is None or api.lookup_volume(pool, spec.cdrom.volume) is None:
            raise SpecError("cdrom.volume", f"ISO volume {spec.cdrom.volume!r} does not exist in pool "
                                            f"{spec.cdrom.pool!r}; upload it with vm_volume")
    return to_create


def _create_volumes(conn, plan: list[dict]) -> list[str]:
    created = []
    for item in plan:
        disk, backing = item["disk"], item["backing"]
        pool = api.ensure_pool(conn, disk.pool)
        capacity = disk.size or backing["capacity"]
        if backing and capacity < backing["capacity"]:
            raise SpecError(f"disks[{item['index']}].size", "is smaller than its backing volume "
                            f"({backing['capacity']} bytes)")
        xml = api.volume_xml(disk.volume, capacity, disk.format,
                             backing["path"] if backing else None, backing["format"] if backing else None)
        api.create_volume(pool, xml)
        created.append(disk.volume)
    return created


def _stop(dom, mode: str, timeout: float) -> str:
    if mode in ("acpi", "acpi_then_destroy"):
        api.shutdown_domain(dom)
        try:
            return waiters.wait_for_state(dom, ("shutoff",), timeout)
        except WaitTimeout:
            if mode == "acpi":
                raise
    api.destroy_domain(dom)
    waiters.wait_for_state(dom, ("shutoff",), timeout)
    return "destroyed"


def ensure(params: dict, check_mode: bool = False) -> dict:
    """Bring the VM described by ``params`` (the module's options) to ``params['state']``."""
    state = params.get("state") or "present"
    if state not in STATES:
        raise SpecError("state", f"{state!r} is not valid; use one of {', '.join(STATES)}")
    mode = params.get("shutdown_mode") or "acpi_then_destroy"
    if mode not in SHUTDOWN_MODES:
        raise SpecError("shutdown_mode", f"{mode!r} is not valid; use one of {', '.join(SHUTDOWN_MODES)}")
    requested_accel = params.get("accel") or "auto"
    if requested_accel not in ("auto", "kvm", "tcg"):
        raise SpecError("accel", f"{requested_accel!r} is not valid; use auto, kvm or tcg")
    params = dict(params, console_log=params.get("console_log") or default_console_log(params.get("name") or "vm",
                                                                                       params.get("uri") or api.DEFAULT_URI))
    if state != "absent" and params.get("update") is not False:
        # Validate everything that needs no hypervisor before connecting to one.
        parse_vm_spec(params, "tcg" if requested_accel == "auto" else requested_accel)
    uri = params.get("uri") or api.DEFAULT_URI
    local = api.is_local(uri)
    result = {"changed": False, "name": params.get("name"), "state": state, "actions": []}
    with api.connection(uri) as conn:
        dom = api.lookup_domain(conn, params["name"])
        current_xml = api.domain_xml(dom) if dom is not None else None
        if current_xml is not None and not transform.is_managed(current_xml):
            raise NotManagedError(f"name: a domain called {params['name']!r} already exists and was not created by "
                                  "Buildstrap; choose another name or remove it yourself")
        params = _owned(current_xml, params)
        timeout_base = float(params.get("timeout") or 30)

        if state == "absent":
            return _ensure_absent(conn, dom, current_xml, params, check_mode, result, timeout_base)

        if params.get("update") is False:
            return _drive_state(dom, current_xml, state, mode, params, check_mode, result, timeout_base)
        # In check mode an accelerator nobody probed yet is reported ("would probe"), not probed.
        chosen = accel_mod.resolve(conn, requested_accel, params.get("arch") or "x86_64", check_mode=check_mode)
        accel = chosen["accel"]
        timeout = scaled(timeout_base, accel)
        stop_timeout = scaled(float(params.get("shutdown_timeout") or timeout_base), accel)
        result["accel"] = accel
        result["accel_source"] = chosen["source"]
        if "detail" in chosen:
            result["accel_detail"] = chosen["detail"]
        spec = parse_vm_spec(params, accel)
        _check_files(spec, local)
        volume_plan = _plan_volumes(conn, spec)
        spec = _assign_ports(conn, spec, current_xml, local)
        wanted_xml = transform.domain_xml(spec)
        unmanaged = ("cpu",) if spec.cpu is None else ()
        before = transform.canonical_domain(current_xml, unmanaged) if current_xml else ""
        after = transform.canonical_domain(wanted_xml, unmanaged)
        running = dom is not None and api.domain_state(dom) in ("running", "paused", "shutting-down")
        if before != after:
            result["diff"] = {"before": before, "after": after,
                              "before_header": f"{spec.name} (libvirt)", "after_header": f"{spec.name} (wanted)"}
            result["actions"].append("define" if dom is None else "redefine")
            if volume_plan:
                result["actions"].append("create volumes " + ", ".join(i["disk"].volume for i in volume_plan))
            media_changed = running and current_xml and (transform.domain_facts(current_xml)["cdrom"]
                                                         != transform.domain_facts(wanted_xml)["cdrom"])
            other_changed = running and current_xml and before.replace(_cd_line(before), "") != \
                after.replace(_cd_line(after), "")
            if media_changed:
                result["actions"].append("change media live")
            if other_changed:
                result["pending_restart"] = True
            if not check_mode:
                result["volumes_created"] = _create_volumes(conn, volume_plan)
                if media_changed and spec.cdrom is not None:
                    api.update_device(dom, transform.cdrom_device_xml(spec), live=True)
                # Keep vm_checkpoint's record of the domain's checkpoints, which remove_volumes deletes.
                dom = api.define_domain(conn, checkpoint.keep_recorded_checkpoints(current_xml, wanted_xml))
            result["changed"] = True
        if state == "running" and running and result.get("pending_restart") and params.get("restart_on_change"):
            result["actions"].append(f"restart ({mode})")
            result.pop("pending_restart")
            if not check_mode:
                result["shutdown"] = _stop(dom, mode, stop_timeout)
                api.start_domain(dom)
                waiters.wait_for_state(dom, ("running",), timeout)
        elif state == "running" and not running:
            result["actions"].append("start")
            result["changed"] = True
            if not check_mode:
                api.start_domain(dom)
                waiters.wait_for_state(dom, ("running",), timeout)
        elif state == "shutdown" and running:
            result["actions"].append(f"shutdown ({mode})")
            result["changed"] = True
            if not check_mode:
                result["shutdown"] = _stop(dom, mode, stop_timeout)
        result["domain"] = _facts(dom, wanted_xml, check_mode)
        result["ports"] = {f"{f['proto']}/{f['guest']}": f["host"]
                           for nic in result["domain"]["nics"] for f in nic.get("forwards", [])}
        result["ssh_port"] = result["ports"].get("tcp/22")
        return result


def _owned(current_xml: str | None, params: dict) -> dict:
    """The parameters to apply, whose metadata records the domain's owner: the one given or, without one, the one
    recorded. Another checkout's (or user's) domain is never changed or removed; one with no recorded owner is
    taken."""
    recorded = transform.domain_facts(current_xml)["metadata"].get("owner") if current_xml else None
    owner = params.get("owner") or recorded
    if recorded and owner != recorded:
        raise SpecError("name", f"the domain {params['name']!r} belongs to {recorded} (its metadata records its "
                                f"owner), not to {owner}; give this run another VM name (buildstrap_vm_name) or "
                                "remove the domain from there")
    if not owner:
        return params
    return dict(params, owner=owner, metadata=dict(params.get("metadata") or {}, owner=owner))


def _drive_state(dom, current_xml, state, mode, params, check_mode, result, timeout_base):
    """update=false: leave the definition alone, only start or stop the existing domain."""
    if dom is None:
        if state == "shutdown":
            return dict(result, msg=f"no domain called {params['name']!r}: nothing runs")
        raise SpecError("name", f"no domain called {params['name']!r}; with update=false the VM must exist")
    facts = transform.domain_facts(current_xml)
    timeout = scaled(timeout_base, facts["accel"])
    stop_timeout = scaled(float(params.get("shutdown_timeout") or timeout_base), facts["accel"])
    running = api.domain_state(dom) in ("running", "paused", "shutting-down")
    if state == "running" and not running:
        result["actions"].append("start")
        if not check_mode:
            api.start_domain(dom)
            waiters.wait_for_state(dom, ("running",), timeout)
    elif state == "shutdown" and running:
        result["actions"].append(f"shutdown ({mode})")
        if not check_mode:
            result["shutdown"] = _stop(dom, mode, stop_timeout)
    result["changed"] = bool(result["actions"])
    result["domain"] = _facts(dom, current_xml, check_mode)
    result["accel"] = facts["accel"]
    return result


def _cd_line(canonical: str) -> str:
    return next((line for line in canonical.splitlines(keepends=True) if line.startswith("  <cdrom ")), "")


def _facts(dom, wanted_xml: str, check_mode: bool) -> dict:
    xml = wanted_xml if (check_mode or dom is None) else api.domain_xml(dom)
    facts = transform.domain_facts(xml)
    facts["status"] = api.domain_state(dom) if dom is not None else "absent"
    return facts


def _iso_volumes(conn, name: str, facts: dict, result: dict) -> list[tuple[str, str]]:
    """The VM's ISO volumes: the one in its drive, and those uploaded for it (``NAME-*.iso``, as the guest_vm
    role names them) in the pools of its disks and drive, which stay behind once the ISO is ejected. One in
    another domain's drive is kept, and so is one whose name belongs to another domain (``NAME-2-x.iso`` when
    ``NAME-2`` exists)."""
    others = api.other_domains_xml(conn, name)
    in_drives = {}
    for other, xmls in others:
        for xml in xmls:
            cd = transform.domain_facts(xml)["cdrom"]
            if cd and cd.get("volume"):
                in_drives[(cd.get("pool") or api.DEFAULT_POOL, cd["volume"])] = other
    pools = {d.get("pool") or api.DEFAULT_POOL for d in facts["disks"] if d.get("volume")} | {api.DEFAULT_POOL}
    wanted = []
    cd = facts["cdrom"]
    if cd and cd.get("volume"):
        wanted.append((cd.get("pool") or api.DEFAULT_POOL, cd["volume"]))
        pools.add(cd.get("pool") or api.DEFAULT_POOL)
    longer = [other for other, _xmls in others if other.startswith(name + "-")]
    for pool_name in sorted(pools):
        pool = api.lookup_pool(conn, pool_name)
        for vol in api.list_volumes(pool) if pool is not None else []:
            vname = vol.name()
            if vname.startswith(name + "-") and vname.endswith(".iso") and (pool_name, vname) not in wanted \
                    and not any(vname.startswith(other + "-") for other in longer):
                wanted.append((pool_name, vname))
    kept = []
    for key in wanted:
        if key in in_drives:
            result["actions"].append(f"keep ISO volume {key[1]} (in the drive of {in_drives[key]})")
        else:
            kept.append(key)
    return kept


def _ensure_absent(conn, dom, current_xml, params, check_mode, result, timeout_base):
    if dom is None:
        return result
    facts = transform.domain_facts(current_xml)
    result["changed"] = True
    result["diff"] = {"before": transform.canonical_domain(current_xml), "after": ""}
    result["actions"].append("destroy and undefine")
    volumes = [(d["pool"], d["volume"]) for d in facts["disks"] if d.get("volume")] \
        if params.get("remove_volumes") else []
    if volumes:
        # Checkpoints taken by vm_checkpoint lie under the disks' overlays; remove them too (overlays first).
        volumes += checkpoint.owned_checkpoints(conn, params["name"], current_xml, volumes)
    if params.get("remove_volumes"):
        volumes += _iso_volumes(conn, params["name"], facts, result)
    if volumes:
        result["actions"].append("delete volumes " + ", ".join(v for _unused, v in volumes))
    if check_mode:
        return result
    timeout = scaled(timeout_base, facts["accel"])
    api.destroy_domain(dom)
    waiters.wait_for_state(dom, ("shutoff", "absent"), timeout)
    api.undefine_domain(dom)
    for pool_name, vol_name in volumes:
        pool = api.lookup_pool(conn, pool_name)
        vol = api.lookup_volume(pool, vol_name) if pool is not None else None
        if vol is not None:
            api.delete_volume(vol)
    result["volumes_deleted"] = [v for _unused, v in volumes]
    return result
