# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception hierarchy of Buildstrap's module_utils, and the one way it reaches a user.

Layers below a module or an action plugin raise these. A module's main() turns them into fail_json() exactly
once (runner.run, through failure()); an action plugin wraps its work in ``with reported(result, secrets):``.
Both give the same result: ``failed``, a message that names the object, secrets masked, never a traceback.
"""

from __future__ import annotations

from contextlib import contextmanager

SECRET_MASK = "********"


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


class HostFileError(BuildstrapError):
    """A file or directory of the controller or the hypervisor could not be read or written."""


def host_file_error(action: str, exc: OSError) -> HostFileError:
    """``action`` (what was being done, naming the object) and why the operating system refused."""
    filename = getattr(exc, "filename", None)
    where = f" ({filename})" if filename and str(filename) not in action else ""
    return HostFileError(f"{action}{where}: {exc.strerror or exc}")


def mask(value, secrets=()):
    """``value`` (a string, or the strings in a dict or list) with every non-empty secret replaced."""
    if isinstance(value, str):
        for secret in secrets:
            if secret:
                value = value.replace(str(secret), SECRET_MASK)
        return value
    if isinstance(value, dict):
        return {k: mask(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, secrets) for v in value]
    return value


def failure(exc: Exception, secrets=(), context: str = "") -> dict:
    """The failed result for a BuildstrapError, or an OSError no layer wrapped (its message names the file).

    ``context``: what was being done, put before the message (``recipe minifix: ``)."""
    if isinstance(exc, OSError):
        filename = getattr(exc, "filename", None)
        exc = HostFileError(f"{filename}: {exc.strerror or exc}" if filename
                            else f"{type(exc).__name__}: {exc.strerror or exc}")
    result = dict(exc.to_result(), failed=True)
    result["msg"] = context + result["msg"]
    return mask(result, [s for s in secrets if s])


@contextmanager
def reported(result: dict, secrets=(), context: str = ""):
    """For action plugins: the typed errors raised in the block become ``result``'s failure, once.

    ``secrets``: values to mask in the message (no_log options; Ansible masks a module's, not an action's);
    ``context``: what the plugin was doing, put before the message.
    Code after the block still runs; check ``result.get('failed')`` where that matters.
    """
    try:
        yield result
    except (BuildstrapError, OSError) as exc:
        result.update(failure(exc, secrets, context))
