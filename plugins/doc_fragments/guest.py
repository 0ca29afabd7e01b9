# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the declarative modules for Python-less guests (action plugins: svadmin, opkg, opkg_feed) share."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
    description: Computes the change from what the guest reports and makes none.
  diff_mode:
    support: full
    description: Returns the state before and after.
notes:
  - This is an action plugin that runs shell commands over the host's own connection (Aloofix and minifix guests
    have no Python); the module file only carries the documentation.
"""
