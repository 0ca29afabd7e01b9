# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception hierarchy of Buildstrap's module_utils.

Layers below a module raise these; a module's main() turns them into fail_json() exactly once.
"""

from __future__ import annotations


class BuildstrapError(Exception):
    """Base of every error the collection reports to a user."""

    def to_result(self) -> dict:
        return {"msg": str(self)}


class SpecError(BuildstrapError):
    """Bad input, found before anything was created. Names the field and what would be valid."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


class HypervisorError(BuildstrapError):
    """libvirt refused or failed an operation."""


class NotManagedError(BuildstrapError):
    """An object exists under the requested name but Buildstrap did not create it."""


class WaitTimeout(BuildstrapError):
    """A deadline passed before the awaited condition held."""

    def __init__(self, message: str, screen: str = ""):
        self.screen = screen
        if screen:
            message = f"{message}\n--- last lines of the console ---\n{screen}"
        super().__init__(message)
