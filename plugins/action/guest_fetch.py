# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy a file off a Python-less guest over the pinned SSH connection, checking its sha256 on both ends."""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import reported
from ansible_collections.aloofix.buildstrap.plugins.module_utils.digest import file_sha256
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh import session
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt.timeouts import scaled


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec={
            "src": {"type": "str", "required": True},
            "dest": {"type": "path", "required": True},
            "timeout": {"type": "float", "default": 300},
        })
        with reported(result):
            conn = session.connection_params(task_vars, self._templar.template)
            client = session.connect_guest(conn)
            try:
                remote = session.remote_sha256(client, args["src"], scaled(60, conn["accel"]))
                if os.path.exists(args["dest"]) and file_sha256(args["dest"]) == remote:
                    result.update(changed=False, sha256=remote, dest=args["dest"])
                    return result
                if self._task.check_mode:
                    result.update(changed=True, msg="check mode: not copied")
                    return result
                copied = session.fetch_file(client, args["src"], args["dest"],
                                            scaled(args["timeout"], conn["accel"]), remote)
            finally:
                client.close()
        if result.get("failed"):
            return result
        result.update(changed=True, dest=args["dest"], **copied)
        return result
