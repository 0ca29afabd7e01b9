# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where a module turns Buildstrap's typed errors into fail_json (never a traceback)."""

from __future__ import annotations

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import BuildstrapError, failure


def run(module, ensure, requirements: tuple = ()) -> None:
    """Call ``ensure(params, check_mode)`` and exit the module with its result (or its error).

    ``requirements``: (library name, importable?, import error) triples checked first.
    """
    for name, present, error in requirements:
        if not present:
            module.fail_json(msg=missing_required_lib(name), exception=str(error))
    try:
        result = ensure(module.params, module.check_mode)
    except (BuildstrapError, OSError) as exc:
        module.fail_json(**failure(exc))
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)
