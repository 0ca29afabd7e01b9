#!/usr/bin/env python3
"""Remove Buildstrap's VMs (domains carrying its metadata), the volumes of its pool and its networks.

    .venv/bin/python scripts/cleanup.py --all            # everything Buildstrap made, on every hypervisor
    .venv/bin/python scripts/cleanup.py --prefix bstest  # only objects whose names start with bstest
The hypervisors are qemu:///system and those of inventory/fleet's group hypervisors (the second one that
scripts/setup.sh makes), or the --uri options. Domains that Buildstrap did not create are never touched.
"""

from __future__ import annotations

import argparse
import sys

import yaml
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import BuildstrapError  # noqa: E402
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api, network, transform  # noqa: E402


def hypervisor_uris() -> list[str]:
    """qemu:///system and the hypervisors of inventory/fleet's group hypervisors (also the tests' teardown)."""
    hosts = yaml.safe_load((ROOT / "inventory" / "fleet" / "hosts.yml").read_text())
    group = hosts["all"]["children"].get("hypervisors", {}).get("hosts") or {}
    return list(dict.fromkeys([api.DEFAULT_URI] + [h["hypervisor_uri"] for h in group.values()]))


def cleanup(uri: str, prefix: str | None) -> list[str]:
    removed = []
    wanted = (lambda name: name.startswith(prefix)) if prefix else (lambda name: True)
    with api.connection(uri) as conn:
        for dom in api.list_domains(conn):
            if wanted(dom.name()) and transform.is_managed(api.domain_xml(dom, inactive=False)):
                api.destroy_domain(dom)
                if dom.isPersistent():
                    api.undefine_domain(dom)
                removed.append(f"domain {dom.name()} ({uri})")
        pool = api.lookup_pool(conn, api.DEFAULT_POOL)
        if pool is not None and pool.isActive():
            api.refresh_pool(pool)
            for vol in pool.listAllVolumes(0):
                if wanted(vol.name()):
                    api.delete_volume(vol)
                    removed.append(f"volume {vol.name()} ({uri})")
        for net in conn.listAllNetworks(0):
            if wanted(net.name()) and network.network_facts(net.XMLDesc(0))["managed"]:
                api.remove_network(net)
                removed.append(f"network {net.name()} ({uri})")
    return removed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", action="append", help="a hypervisor (repeatable); default: every known one")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--all", action="store_true", help="every Buildstrap object")
    group.add_argument("--prefix", help="only objects whose names start with this")
    args = parser.parse_args()
    try:
        removed = []
        for uri in args.uri or hypervisor_uris():
            removed += cleanup(uri, None if args.all else args.prefix)
    except BuildstrapError as exc:
        print(f"cleanup: {exc}", file=sys.stderr)
        return 1
    print("\n".join(f"removed {r}" for r in removed) or "nothing to remove")
    return 0


if __name__ == "__main__":
    sys.exit(main())
