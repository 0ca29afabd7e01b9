# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Manage a regular file of a Python-less guest: content given inline or rendered from a template on the
controller, owner, group and mode. Reads the file's state in one round trip, computes the change (check mode
stops there), writes atomically with the content on stdin (validated on the guest before it replaces the file),
and reads the state again for the result and the diff."""

from __future__ import annotations

import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError, reported
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import api
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import guest_file as gf

ARGS = {
    "path": {"type": "str", "required": True, "aliases": ["dest"]},
    "content": {"type": "str", "no_log": True},
    "src": {"type": "str"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "owner": {"type": "str"},
    "group": {"type": "str"},
    "mode": {"type": "raw"},
    "validate": {"type": "str"},
    "parents": {"type": "bool", "default": False},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def _render(self, src: str, dest: str, task_vars: dict) -> str:
        """``src`` rendered like ansible.builtin.template renders it: found in the role's templates/ (or
        relative to the play), with the task's variables, the template's directory on the include path, and
        the template_* variables and ansible_managed."""
        try:
            source = self._find_needle("templates", src)
        except AnsibleError as exc:
            raise SpecError("src", to_text(exc)) from None
        try:
            from ansible.template import trust_as_template
        except ImportError:  # ansible-core < 2.19 trusts every template
            def trust_as_template(text):
                return text
        data = trust_as_template(self._loader.get_text_file_contents(source))
        searchpath = list(task_vars.get("ansible_search_path", [])) + [self._loader._basedir, os.path.dirname(source)]
        searchpath = [p for d in searchpath for p in (os.path.join(d, "templates"), d)]
        variables = dict(task_vars)
        try:  # the template module's template_path, template_host, ..., ansible_managed (private in 2.19)
            from ansible._internal._templating import _template_vars

            variables.update(_template_vars.generate_ansible_template_vars(
                path=src, fullpath=source, dest_path=dest, include_ansible_managed="ansible_managed" not in variables))
        except (ImportError, AttributeError, TypeError):
            pass
        templar = self._templar.copy_with_new_env(searchpath=searchpath, available_variables=variables)
        try:
            rendered = templar.template(data, escape_backslashes=False)
        except AnsibleError as exc:
            raise SpecError("src", f"{source} does not render: {to_text(exc)}") from None
        return "" if rendered is None else to_text(rendered)

    def _probe(self, path: str, want: gf.Wanted, with_content: bool) -> gf.FileState:
        ran = api.run(self._low_level_execute_command,
                      gf.probe_script(path, want.owner, want.group, want.sha256, with_content),
                      what=f"reading the state of {path}")
        return gf.parse_probe(ran.stdout)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec=ARGS, mutually_exclusive=[["content", "src"]])
        result.update(path=args["path"], changed=False, state=args["state"])
        with reported(result):
            path = gf.check_path("path", args["path"])
            present = args["state"] == "present"
            if not present:
                for option in ("content", "src", "owner", "group", "mode", "validate"):
                    if args[option] is not None:
                        raise SpecError(option, "is for state=present only")
            want = gf.Wanted(path, present=present, owner=gf.check_id("owner", args["owner"]),
                             group=gf.check_id("group", args["group"]), mode=gf.parse_mode(args["mode"]),
                             parents=args["parents"], validate=gf.check_validate(args["validate"]))
            if args["src"] is not None:
                want.data = self._render(args["src"], path, task_vars or {}).encode("utf-8")
            elif args["content"] is not None:
                want.data = args["content"].encode("utf-8")
            result["path"] = path

            before = self._probe(path, want, with_content=self._task.diff)
            planned = gf.plan(before, want)
            after_view = gf.predict(before, want, planned)
            result.update(changed=planned.changed, changes=planned.changes)
            if self._task.diff and planned.changed:
                result["diff"] = gf.diff(path, before, before.view(), after_view, want.data, planned.changes)
            if self._task.check_mode or not planned.changed:
                result.update(after_view)
                if planned.changed:
                    result["msg"] = f"check mode: would change {', '.join(planned.changes)} of {path}"
                return result

            result["changed"] = False  # until the guest has been changed
            self._apply(path, want, planned, before)
            result["changed"] = True
            after = self._probe(path, want, with_content=False)
            result.update(after.view())
            if present and (after.sha256 != (want.sha256 or before.sha256) or
                            (planned.chmod is not None and after.mode != planned.chmod)):
                raise gf.FileError(f"{path} on the guest is not what was written "
                                   f"(sha256 {after.sha256}, mode {gf.format_mode(after.mode)})")
            if not present and after.kind != "absent":
                raise gf.FileError(f"{path} is still on the guest after rm -f")
            if self._task.diff:  # the real owner and group names, known now
                result["diff"] = gf.diff(path, before, before.view(), after.view(), want.data, planned.changes)
        return result

    def _apply(self, path: str, want: gf.Wanted, planned: gf.Plan, before: gf.FileState) -> None:
        execute = self._low_level_execute_command
        if planned.remove:
            api.run(execute, gf.remove_script(path), what=f"removing {path}")
        elif planned.write:
            ran = api.run(execute, gf.write_script(path, len(want.data), planned.chown, planned.chmod,
                                                   mkdir=planned.mkdir, validate=want.validate),
                          in_data=want.data, ok_rc=(0, gf.VALIDATE_RC), what=f"writing {path}")
            if ran.rc == gf.VALIDATE_RC:
                rc, output = gf.parse_validate_output(ran.stdout)
                raise gf.ValidateError(f"validate: {want.validate!r} refused the new content of {path} (exit {rc}); "
                                       f"the file on the guest is unchanged" + (f":\n{output}" if output else ""))
        else:
            api.run(execute, gf.attributes_script(path, planned.chown, planned.chmod),
                    what=f"setting the owner, group and mode of {path}")
