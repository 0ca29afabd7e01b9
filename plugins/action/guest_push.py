# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy a directory tree from the controller onto a Python-less guest over the pinned SSH connection: only the
files the guest lacks or has with other content, one tar stream, every file's sha256 checked by the guest."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError, reported
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import session
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.timeouts import scaled

ARGS = {
    "src": {"type": "path", "required": True},
    "dest": {"type": "str", "required": True},
    "owner": {"type": "str"},
    "timeout": {"type": "float", "default": 600},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec=ARGS)
        with reported(result):
            if not args["dest"].startswith("/"):
                raise SpecError("dest", f"{args['dest']!r} must be an absolute path on the guest")
            local = session.local_tree(args["src"])
            conn = session.connection_params(task_vars, self._templar.template)
            client = session.connect_guest(conn)
            try:
                timeout = scaled(args["timeout"], conn["accel"])
                remote = session.remote_tree(client, args["dest"], timeout)
                wanted = {rel: digest for rel, digest in local.items() if remote.get(rel) != digest}
                result.update(dest=args["dest"], files=len(local), sent_files=sorted(wanted),
                              kept_files=len(local) - len(wanted))
                if self._task.diff and wanted:
                    result["diff"] = {"before": "".join(f"{rel}\n" for rel in sorted(remote)),
                                      "after": "".join(f"{rel}\n" for rel in sorted(set(remote) | set(local))),
                                      "before_header": f"{args['dest']} (guest)",
                                      "after_header": f"{args['dest']} (after the push)"}
                if not wanted or self._task.check_mode:
                    result.update(changed=bool(wanted), bytes=0)
                    if wanted:
                        result["msg"] = f"check mode: {len(wanted)} files would be pushed"
                    return result
                result.update(session.push_tree(client, args["src"], args["dest"], wanted, args["owner"],
                                                timeout))
            finally:
                client.close()
        if result.get("failed"):
            return result
        result["changed"] = True
        return result
