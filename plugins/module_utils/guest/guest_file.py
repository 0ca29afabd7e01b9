# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure pieces of managing one regular file on a Python-less guest with busybox: the probe script that reads
its type, owner, group, mode, size and sha256 (and, when the diff needs it, its text) in one round trip, the
parser, the plan (write, chown/chmod, remove), the shell line that applies it atomically, the predicted after
state and the diff.

Content goes to the guest on the command's stdin, into a temporary file in the destination's directory (so the
final ``mv`` is a rename on one filesystem); the temporary file gets its owner and mode, then ``validate`` runs
against it, and only then is it renamed over the destination."""

from __future__ import annotations

import hashlib
import posixpath
import re
import shlex
from dataclasses import dataclass, field

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import BuildstrapError, SpecError

MARK = "buildstrap-file:"
# Larger files (and files that are not UTF-8) are summarised by their sha256 in the diff.
DIFF_LIMIT = 64 * 1024
DEFAULT_MODE = 0o644
# The apply script's exit code when the validator refused the new content.
VALIDATE_RC = 97
_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


class FileError(BuildstrapError):
    """The file on the guest is not what was written."""


class ValidateError(BuildstrapError):
    """The ``validate`` command refused the new content; the destination was left as it was."""


# --- input ------------------------------------------------------------------------------------------------

def check_path(field_name: str, path: str) -> str:
    """An absolute, normalised path of a file (not ``/`` or a directory path ending in ``/``)."""
    if not path or not path.startswith("/") or "\n" in path or "\0" in path:
        raise SpecError(field_name, f"{path!r} must be an absolute path on the guest")
    if path.endswith("/") or posixpath.normpath(path) == "/":
        raise SpecError(field_name, f"{path!r} names a directory; give the file's path")
    return posixpath.normpath(path)


def parse_mode(value) -> int | None:
    """``mode`` as a number: an octal string (``'0644'``, ``'644'``, ``'2755'``) or, as Ansible's file modules
    take it, an int that already is the mode (YAML reads an unquoted ``0644`` as 420). None when unset."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise SpecError("mode", f"{value!r} is not a mode; quote an octal string like '0644'")
    if isinstance(value, int):
        mode = value
    elif isinstance(value, str) and re.match(r"^0?[0-7]{3,4}$", value.strip()):
        mode = int(value.strip(), 8)
    else:
        raise SpecError("mode", f"{value!r} is not an octal mode; quote an octal string like '0644' "
                                "(symbolic modes are not supported)")
    if not 0 <= mode <= 0o7777:
        raise SpecError("mode", f"{value!r} is out of range (0000 to 7777 octal)")
    return mode


def format_mode(mode: int | None) -> str | None:
    return None if mode is None else f"{mode:04o}"


def check_id(field_name: str, value: str | None) -> str | None:
    """A user or group given by name or number."""
    if value is not None and not _ID.match(str(value)):
        raise SpecError(field_name, f"{value!r} is not a user or group name or number")
    return None if value is None else str(value)


def check_validate(value: str | None) -> str | None:
    if value is not None and "%s" not in value:
        raise SpecError("validate", f"{value!r} has no %s (where the path of the new content goes)")
    return value


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- probe ------------------------------------------------------------------------------------------------

def probe_script(path: str, owner: str | None = None, group: str | None = None, want_sha: str | None = None,
                 with_content: bool = False) -> str:
    """A shell script printing ``buildstrap-file:key=value`` lines about ``path``: its kind, ``stat``, sha256,
    whether its directory exists and the ids of the wanted owner and group (given by name). With ``with_content``,
    a regular file of at most DIFF_LIMIT bytes whose sha256 is not ``want_sha`` is printed last, after a
    ``buildstrap-file:content`` line (the diff's before)."""
    q = shlex.quote
    lines = [
        f"p={q(path)}",
        f'if [ -L "$p" ]; then echo "{MARK}kind=link"; echo "{MARK}target=$(readlink "$p")"; '
        f'elif [ -d "$p" ]; then echo "{MARK}kind=directory"; '
        f'elif [ -f "$p" ]; then echo "{MARK}kind=file"; '
        f'elif [ -e "$p" ]; then echo "{MARK}kind=other"; '
        f'else echo "{MARK}kind=absent"; fi',
        f'if [ -f "$p" ] && [ ! -L "$p" ]; then stat -c "{MARK}stat=%u:%g:%U:%G:%a:%s" "$p"; '
        f'echo "{MARK}sha256=$(sha256sum <"$p" | cut -c1-64)"; fi',
        f'if [ -d {q(posixpath.dirname(path))} ]; then echo "{MARK}parent=yes"; fi',
    ]
    # names from the files, as busybox's static applets read them (no NSS)
    for key, name, table in (("owner_id", owner, "/etc/passwd"), ("group_id", group, "/etc/group")):
        if name is not None and not name.isdigit():
            lines.append(f"echo \"{MARK}{key}=$(awk -F: -v n={q(name)} '$1 == n {{ print $3; exit }}' {table})\"")
    if with_content:
        lines.append(f'if [ -f "$p" ] && [ ! -L "$p" ] && [ "$(wc -c <"$p")" -le {DIFF_LIMIT} ] '
                     f'&& [ "$(sha256sum <"$p" | cut -c1-64)" != {q(want_sha or "")} ]; '
                     f'then echo "{MARK}content"; cat "$p"; fi')
    lines.append("true")
    return "; ".join(lines)


@dataclass
class FileState:
    kind: str                      # absent, file, directory, link, other
    parent: bool = False           # the directory exists
    uid: int | None = None
    gid: int | None = None
    owner: str | None = None       # names as stat reports them (UNKNOWN for an id without a name)
    group: str | None = None
    mode: int | None = None
    size: int | None = None
    sha256: str | None = None
    target: str | None = None      # a link's target
    owner_id: str | None = None    # the wanted owner's and group's ids ("" when the guest has no such name)
    group_id: str | None = None
    content: str | None = None     # the text, when the probe printed it

    @property
    def exists(self) -> bool:
        return self.kind == "file"

    def view(self) -> dict:
        if not self.exists:
            return {"state": "absent", "sha256": None, "size": None, "owner": None, "group": None, "mode": None}
        return {"state": "present", "sha256": self.sha256, "size": self.size, "owner": self.owner,
                "group": self.group, "mode": format_mode(self.mode)}


def parse_probe(text: str) -> FileState:
    head, sep, content = text.partition(f"\n{MARK}content\n")
    values = {}
    for line in head.splitlines():
        if line.startswith(MARK):
            key, _unused, value = line[len(MARK):].partition("=")
            values[key] = value
    state = FileState(kind=values.get("kind", "absent"), parent=values.get("parent") == "yes",
                      target=values.get("target"), owner_id=values.get("owner_id"),
                      group_id=values.get("group_id"), content=content if sep else None)
    if "stat" in values:
        uid, gid, owner, group, mode, size = values["stat"].split(":")
        state.uid, state.gid, state.owner, state.group = int(uid), int(gid), owner, group
        state.mode, state.size = int(mode, 8), int(size)
        state.sha256 = values.get("sha256")
    return state


# --- plan -------------------------------------------------------------------------------------------------

@dataclass
class Wanted:
    path: str
    present: bool = True
    data: bytes | None = None      # the new content (None: keep the content, only owner/group/mode)
    owner: str | None = None
    group: str | None = None
    mode: int | None = None
    parents: bool = False
    validate: str | None = None

    @property
    def sha256(self) -> str | None:
        return None if self.data is None else sha256(self.data)


@dataclass
class Plan:
    remove: bool = False
    write: bool = False
    mkdir: bool = False
    chown: str | None = None       # uid:gid for the written or existing file
    chmod: int | None = None
    changes: list = field(default_factory=list)  # what differs: content, owner, group, mode, absent, parents

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _wanted_id(field_name: str, value: str | None, resolved: str | None, what: str) -> int | None:
    if value is None:
        return None
    if value.isdigit():
        return int(value)
    if not resolved:
        raise SpecError(field_name, f"no {what} {value!r} on the guest; create it first")
    return int(resolved)


def plan(before: FileState, want: Wanted) -> Plan:
    """What moves the file from ``before`` to ``want``; refuses a path that is a link, a directory or a special
    file, and a missing directory unless ``parents``."""
    if before.kind == "link":
        raise SpecError("path", f"{want.path} is a symbolic link (to {before.target}); give the path of its target")
    if before.kind in ("directory", "other"):
        raise SpecError("path", f"{want.path} is a {'directory' if before.kind == 'directory' else 'special file'}"
                                " on the guest, not a regular file")
    result = Plan()
    if not want.present:
        if before.exists:
            result.remove, result.changes = True, ["absent"]
        return result
    uid = _wanted_id("owner", want.owner, before.owner_id, "user")
    gid = _wanted_id("group", want.group, before.group_id, "group")
    if not before.exists:
        if want.data is None:
            raise SpecError("content", f"{want.path} does not exist on the guest; give content or src")
        if not before.parent:
            if not want.parents:
                raise SpecError("parents", f"{posixpath.dirname(want.path)} does not exist on the guest; "
                                           "create it or set parents: true")
            result.mkdir = True
            result.changes.append("parents")
        result.write = True
        result.changes.append("content")
        if uid is not None or gid is not None:
            result.chown = f"{'' if uid is None else uid}:{'' if gid is None else gid}"
            result.changes += [k for k, v in (("owner", uid), ("group", gid)) if v is not None]
        result.chmod = DEFAULT_MODE if want.mode is None else want.mode
        return result
    new_uid = before.uid if uid is None else uid
    new_gid = before.gid if gid is None else gid
    new_mode = before.mode if want.mode is None else want.mode
    result.write = want.data is not None and want.sha256 != before.sha256
    if result.write:
        result.changes.append("content")
    result.changes += [k for k, a, b in (("owner", new_uid, before.uid), ("group", new_gid, before.gid),
                                         ("mode", new_mode, before.mode)) if a != b]
    # a rewrite makes a new inode: it gets the old file's owner and mode unless others are asked for
    if result.write or "owner" in result.changes or "group" in result.changes:
        result.chown = f"{new_uid}:{new_gid}"
    if result.write or "mode" in result.changes:
        result.chmod = new_mode
    return result


def predict(before: FileState, want: Wanted, planned: Plan) -> dict:
    """The file's view after ``planned`` (for check mode and the diff's after)."""
    if not want.present:
        return FileState("absent").view()
    view = before.view()
    if want.data is not None:
        view.update(state="present", sha256=want.sha256, size=len(want.data))
    if want.owner is not None:
        view["owner"] = before.owner if want.owner.isdigit() and str(before.uid) == want.owner else want.owner
    elif not before.exists:
        view["owner"] = None  # the connecting user's; known once written
    if want.group is not None:
        view["group"] = before.group if want.group.isdigit() and str(before.gid) == want.group else want.group
    elif not before.exists:
        view["group"] = None
    if planned.chmod is not None:
        view["mode"] = format_mode(planned.chmod)
    return view


# --- apply ------------------------------------------------------------------------------------------------

def write_script(path: str, size: int, chown: str | None, chmod: int | None, mkdir: bool = False,
                 validate: str | None = None, expect_sha: str | None = None, preserve: bool = False) -> str:
    """Write stdin to ``path`` atomically: a temporary file beside it, filled and checked to hold all ``size``
    bytes (a broken transfer must not truncate the file), given its owner and mode, checked by ``validate``
    (``%s`` is the temporary file; a refusal prints the validator's output and exits VALIDATE_RC), renamed over
    ``path``. With ``expect_sha``, stops first when ``path`` changed since it was read (another writer); with
    ``preserve``, the temporary file starts as a copy of ``path`` so it keeps its owner and mode."""
    q = shlex.quote
    directory = posixpath.dirname(path)
    lines = ["umask 077"]
    if expect_sha:
        lines.append(f'[ "$(sha256sum <{q(path)} | cut -c1-64)" = {q(expect_sha)} ] || '
                     f'{{ echo "{path} changed on the guest since it was read; run again" >&2; exit 1; }}')
    if mkdir:
        lines.append(f"(umask 022 && mkdir -p {q(directory)}) || exit 1")
    lines.append(f"tmp=$(mktemp {q(posixpath.join(directory, '.' + posixpath.basename(path) + '.XXXXXX'))}) || exit 1")
    if preserve:
        lines.append(f'cp -p {q(path)} "$tmp" || {{ rm -f "$tmp"; exit 1; }}')
    lines.append(f'cat >"$tmp" && [ "$(wc -c <"$tmp")" -eq {int(size)} ] || '
                 f'{{ rm -f "$tmp"; echo "{path}: short write to the temporary file" >&2; exit 1; }}')
    if chown:
        lines.append(f'chown {q(chown)} "$tmp" || {{ rm -f "$tmp"; exit 1; }}')
    if chmod is not None:
        lines.append(f'chmod {format_mode(chmod)} "$tmp" || {{ rm -f "$tmp"; exit 1; }}')
    if validate:
        command = validate.replace("%s", '"$tmp"')
        lines.append(f'out=$( ({command}\n) 2>&1); rc=$?; if [ "$rc" -ne 0 ]; then rm -f "$tmp"; '
                     f'echo "rc=$rc"; printf "%s\\n" "$out"; exit {VALIDATE_RC}; fi')
    lines.append(f'mv -f "$tmp" {q(path)} || {{ rm -f "$tmp"; exit 1; }}')
    return "; ".join(lines)


def attributes_script(path: str, chown: str | None, chmod: int | None) -> str:
    """chown/chmod of the file in place (the content stays)."""
    argvs = []
    if chown:
        argvs.append(["chown", chown, path])
    if chmod is not None:
        argvs.append(["chmod", format_mode(chmod), path])
    return " && ".join(shlex.join(argv) for argv in argvs)


def remove_script(path: str) -> str:
    return f"rm -f {shlex.quote(path)}"


def parse_validate_output(stdout: str) -> tuple[int, str]:
    """The validator's exit code and output from what write_script printed on a refusal."""
    first, _unused, rest = stdout.partition("\n")
    rc = int(first[3:]) if first.startswith("rc=") and first[3:].isdigit() else -1
    return rc, rest.rstrip("\n")


# --- diff -------------------------------------------------------------------------------------------------

def _text(data: bytes | None) -> str | None:
    """``data`` as text for a diff, None when it is too large or not UTF-8."""
    if data is None or len(data) > DIFF_LIMIT:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _summary(sha: str | None, size: int | None) -> str:
    return f"(sha256 {sha}, {size} bytes)\n"


def attributes_text(view: dict) -> str:
    if view["state"] == "absent":
        return ""
    return "".join(f"{k}: {view[k]}\n" for k in ("owner", "group", "mode") if view[k] is not None)


def diff(path: str, before: FileState, before_view: dict, after_view: dict, new_data: bytes | None,
         changes: list) -> list[dict]:
    """Ansible diffs: the text before and after (summarised by sha256 when over DIFF_LIMIT or not UTF-8), and the
    owner, group and mode lines when they change."""
    result = []
    if "content" in changes or "absent" in changes:
        if before.exists:
            # the probe's stdout is decoded with surrogate escapes: trust it only when it hashes to the file's sha256
            raw = None if before.content is None else before.content.encode("utf-8", "surrogateescape")
            old = _text(raw) if raw is not None and sha256(raw) == before.sha256 else None
            old = _summary(before.sha256, before.size) if old is None else old
        else:
            old = ""
        if "absent" in changes:
            new = ""
        else:
            new = _text(new_data)
            new = _summary(after_view["sha256"], after_view["size"]) if new is None else new
        result.append({"before": old, "after": new,
                       "before_header": f"{path} (guest)" if before.exists else f"{path} (absent)",
                       "after_header": f"{path} (absent)" if "absent" in changes else f"{path} (after)"})
    attrs = [c for c in changes if c in ("owner", "group", "mode")]
    if attrs and before.exists:
        result.append({"before": "".join(f"{k}: {before_view[k]}\n" for k in attrs),
                       "after": "".join(f"{k}: {after_view[k]}\n" for k in attrs),
                       "before_header": f"{path} (owner, group, mode)", "after_header": f"{path} (after)"})
    return result
