"""The remote paths against the second hypervisor that setup makes: buildstrap-hv's qemu:///session, reached as
qemu+ssh://buildstrap-hv@127.0.0.1:2222/session. ISO upload and volume copy through libvirt streams, a guest
booted from an uploaded ISO volume, its console stream and its port forward (on that hypervisor's loopback,
reached through an SSH jump), and removal - each run twice (the second changes nothing)."""

from __future__ import annotations

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import client as ssh
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.hypervisor import jump_from_uri
from tests.conftest import hypervisor_uris
from tests.integration.images import hello_disk, hello_iso

pytestmark = pytest.mark.vm

REMOTE = next(uri for uri in hypervisor_uris() if "+ssh://" in uri)


def _volumes(uri: str, prefix: str) -> set[str]:
    with api.connection(uri) as conn:
        pool = api.lookup_pool(conn, api.DEFAULT_POOL)
        api.refresh_pool(pool)
        return {v.name() for v in api.list_volumes(pool) if v.name().startswith(prefix)}


def test_the_second_hypervisor_is_separate_and_reached_over_ssh():
    with api.connection(REMOTE) as conn:
        assert conn.getURI().startswith("qemu+ssh://buildstrap-hv@127.0.0.1:2222/session")
        assert api.lookup_pool(conn, api.DEFAULT_POOL) is not None
        # not root's hypervisor: its pool lives in the unprivileged user's home
        assert api.pool_path(api.lookup_pool(conn, api.DEFAULT_POOL)) == "/var/lib/buildstrap-hv/images"


def test_iso_upload_copy_console_and_forward_on_the_remote_hypervisor(artifacts, module, run_id):
    iso = hello_iso(artifacts / "remote-cd.iso", "REMOTE-CD")
    disk = hello_disk(artifacts / "remote-disk.img", "REMOTE-DISK")
    name = f"{run_id}-remote"
    try:
        # ISO upload through the stream API; the second run compares by sha256 (a download through the stream)
        up = module("vm_volume", {"uri": REMOTE, "name": f"{name}.iso", "src": str(iso)})
        assert up["changed"] is True and up["volume"]["path"].startswith("/var/lib/buildstrap-hv/images/")
        assert module("vm_volume", {"uri": REMOTE, "name": f"{name}.iso", "src": str(iso)})["changed"] is False

        # a volume of this machine's system hypervisor copied to the remote one, stream to stream
        local = module("vm_volume", {"name": f"{name}-src.img", "src": str(disk)})
        assert not local.failed, local.result
        args = {"uri": REMOTE, "name": f"{name}-disk.img",
                "copy_from": {"uri": "qemu:///system", "volume": f"{name}-src.img"}}
        planned = module("vm_volume", args, check=True)
        assert planned["changed"] is True and f"{name}-disk.img" not in _volumes(REMOTE, name)
        copied = module("vm_volume", args)
        assert copied["changed"] is True and copied["sha256"] == local["sha256"]
        assert copied["bytes"] == disk.stat().st_size
        assert module("vm_volume", args)["changed"] is False

        vm = {"uri": REMOTE, "name": name, "state": "running", "accel": "tcg", "memory": 32,
              "disks": [{"volume": f"{name}-disk.img", "format": "raw", "bus": "ide"}],
              "cdrom": {"volume": f"{name}.iso"}, "boot": ["cdrom", "hd"],
              "nics": [{"type": "user", "forwards": [{"guest": 22}]}],
              "metadata": {"pipeline": "tests", "recipe": "hello"}}
        started = module("vm", vm)
        assert started["changed"] is True and started["domain"]["status"] == "running", started.result
        assert started["domain"]["console_log"] is None  # a session QEMU cannot write to /var/log
        assert module("vm", vm, check=True)["changed"] is False

        # the console stream goes through qemu+ssh
        seen = module("console", {"uri": REMOTE, "name": name, "steps": [{"expect": "REMOTE-CD", "timeout": 20}]})
        assert not seen.failed, seen.result

        # the forward listens on the hypervisor's loopback; the jump reaches it through the hypervisor's sshd,
        # whose host key is pinned (the hello guest speaks no SSH: the connection opens, then the guest is silent)
        jump = jump_from_uri(REMOTE)
        hv, channel = ssh.open_jump(jump, "127.0.0.1", started["ssh_port"], timeout=20)
        try:
            assert channel.get_transport().is_active() and hv.get_transport().get_remote_server_key() is not None
        finally:
            channel.close()
            hv.close()

        gone = module("vm", {"uri": REMOTE, "name": name, "state": "absent", "remove_volumes": True})
        assert gone["changed"] is True
        assert module("vm", {"uri": REMOTE, "name": name, "state": "absent"})["changed"] is False
        with api.connection(REMOTE) as conn:
            assert api.lookup_domain(conn, name) is None
        assert f"{name}-disk.img" not in _volumes(REMOTE, name)
    finally:
        module("vm", {"uri": REMOTE, "name": name, "state": "absent", "remove_volumes": True})
        for vol in (f"{name}.iso", f"{name}-disk.img"):
            module("vm_volume", {"uri": REMOTE, "name": vol, "state": "absent"})
        module("vm_volume", {"name": f"{name}-src.img", "state": "absent"})
    assert _volumes(REMOTE, name) == set()


def test_a_guest_port_behind_an_unpinned_hypervisor_is_refused(tmp_path):
    """The jump checks the hypervisor's host key like everything else: a wrong pin is refused, never learned."""
    jump = dict(jump_from_uri(REMOTE), host="localhost")  # pinned as [127.0.0.1]:2222, not [localhost]:2222
    with pytest.raises(ssh.HostKeyError) as err:
        ssh.open_jump(jump, "127.0.0.1", 9, timeout=10)
    assert "no pinned host key" in str(err.value)
