# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An opkg feed's ``Packages`` index, read and checked without touching the network.

Aloofix's build-pkg writes ``Packages`` as every ``<pkg>.control`` followed by an empty line: control
paragraphs of ``Field: value`` lines (a line starting with a space continues the field before it), each with
``Filename``, ``Size``, ``MD5sum`` and ``SHA256sum`` appended. Everything here is pure: text in, entries or a
list of problems out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import BuildstrapError, SpecError

INDEX_NAME = "Packages"
REQUIRED_FIELDS = ("Package", "Filename", "Size", "SHA256sum")
_FIELD_RE = re.compile(r"^([!-9;-~][!-9;-~]*):(.*)$")  # RFC 822-ish: printable, no colon, no space
_SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")
_MD5_RE = re.compile(r"^[0-9a-fA-F]{32}$")


class FeedError(BuildstrapError):
    """A feed failed verification. ``problems`` names every bad file (or the index itself), one per line."""

    def __init__(self, summary: str, problems: list[str], **facts):
        self.summary = summary
        self.problems = list(problems)
        self.facts = facts
        super().__init__(summary + "".join(f"\n- {p}" for p in self.problems))

    def to_result(self) -> dict:
        return dict(self.facts, msg=str(self), problems=self.problems)


class PackagesIndexError(FeedError):
    """``Packages`` is empty, truncated or malformed."""

    def __init__(self, problems: list[str], source: str = INDEX_NAME):
        super().__init__(f"{source} is not a valid feed index ({len(problems)} problem(s))", problems)


@dataclass(frozen=True)
class Entry:
    """One paragraph of ``Packages``: what the feed promises about one package file."""

    package: str
    filename: str
    size: int
    sha256: str
    md5: str | None
    line: int  # where the paragraph starts in Packages, for messages
    fields: dict


def _paragraphs(text: str) -> list[tuple[int, list[str]]]:
    """``(first line number, lines)`` of every paragraph; lines are separated by blank lines."""
    paragraphs, current, start = [], [], 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line)
        elif current:
            paragraphs.append((start, current))
            current = []
    if current:
        paragraphs.append((start, current))
    return paragraphs


def _fields(start: int, lines: list[str], problems: list[str]) -> dict:
    fields: dict = {}
    last = None
    for offset, line in enumerate(lines):
        where = f"line {start + offset}"
        if line[0] in " \t":
            if last is None:
                problems.append(f"{where}: a continuation line with no field before it")
            else:
                fields[last] += "\n" + line.strip()
            continue
        match = _FIELD_RE.match(line)
        if not match:
            problems.append(f"{where}: not a 'Field: value' line: {line[:60]!r}")
            last = None
            continue
        name, value = match.group(1), match.group(2).strip()
        if name in fields:
            problems.append(f"{where}: field {name} given twice in one paragraph")
        fields[name] = value
        last = name
    return fields


def _filename_problem(filename: str) -> str | None:
    """Why ``filename`` cannot name a file inside the feed directory (None when it can)."""
    if filename.startswith("/") or "\\" in filename or "?" in filename or "#" in filename:
        return "must be a relative path inside the feed directory"
    if any(part in ("", ".", "..") for part in filename.split("/")):
        return "must not contain empty, '.' or '..' path components"
    if filename == INDEX_NAME:
        return f"names the index {INDEX_NAME} itself"
    return None


def _entry(start: int, fields: dict, problems: list[str]) -> Entry | None:
    label = f"paragraph at line {start}" + (f" (Package {fields['Package']})" if fields.get("Package") else "")
    missing = [name for name in REQUIRED_FIELDS if not fields.get(name)]
    if missing:
        problems.append(f"{label}: missing {', '.join(missing)}")
        return None
    bad = len(problems)
    size = fields["Size"]
    if not size.isdigit():
        problems.append(f"{label}: Size is not a whole number of bytes: {size!r}")
    if not _SHA256_RE.match(fields["SHA256sum"]):
        problems.append(f"{label}: SHA256sum is not 64 hex digits: {fields['SHA256sum']!r}")
    md5 = fields.get("MD5sum")
    if md5 is not None and not _MD5_RE.match(md5):
        problems.append(f"{label}: MD5sum is not 32 hex digits: {md5!r}")
    why = _filename_problem(fields["Filename"])
    if why:
        problems.append(f"{label}: Filename {fields['Filename']!r} {why}")
    if len(problems) > bad:
        return None
    return Entry(package=fields["Package"], filename=fields["Filename"], size=int(size),
                 sha256=fields["SHA256sum"].lower(), md5=md5 and md5.lower(), line=start, fields=fields)


def parse_packages(text: str, source: str = INDEX_NAME) -> list[Entry]:
    """Every entry of a ``Packages`` text, in order; raises PackagesIndexError naming every problem found
    (``source``, the index's URL for instance, heads the message)."""
    if not text.strip():
        raise PackagesIndexError([f"{INDEX_NAME} is empty: the feed lists no packages"], source)
    problems: list[str] = []
    if "\x00" in text:
        problems.append(f"{INDEX_NAME} contains NUL bytes: it is not a text index")
    if not text.endswith("\n"):
        # build-pkg ends every line; a last line without its newline is a file cut short in transfer or on disk.
        last = text.rsplit("\n", 1)[-1]
        problems.append(f"{INDEX_NAME} is truncated: its last line {last[:60]!r} has no newline "
                        f"(the final paragraph is cut mid-field)")
    entries: list[Entry] = []
    first_line: dict = {}
    for start, lines in _paragraphs(text):
        entry = _entry(start, _fields(start, lines, problems), problems)
        if entry is None:
            continue
        if entry.filename in first_line:
            problems.append(f"{entry.filename}: Filename listed twice in {INDEX_NAME} "
                            f"(paragraphs at lines {first_line[entry.filename]} and {start})")
            continue
        first_line[entry.filename] = start
        entries.append(entry)
    if problems:
        raise PackagesIndexError(problems, source)
    return entries


def unlisted_files(files: list[str], entries: list[Entry]) -> list[str]:
    """Problems for every file of the feed directory that ``Packages`` does not list (the index aside)."""
    listed = {entry.filename for entry in entries}
    return [f"{name}: unlisted (the feed directory holds it but {INDEX_NAME} does not list it)"
            for name in sorted(set(files)) if name not in listed and name != INDEX_NAME]


def check_expect(expect) -> dict | None:
    """A recorded manifest as given by the caller, checked for shape (SpecError naming ``expect``)."""
    if expect is None:
        return None
    if not isinstance(expect, dict):
        raise SpecError("expect", "must be a manifest {packages_sha256: ..., packages: {filename: sha256}}")
    digest, packages = expect.get("packages_sha256"), expect.get("packages")
    if not isinstance(digest, str) or not _SHA256_RE.match(digest):
        raise SpecError("expect.packages_sha256", f"must be the sha256 of Packages (64 hex digits), got {digest!r}")
    if not isinstance(packages, dict):
        raise SpecError("expect.packages", "must map each package file name to its sha256")
    for name, value in packages.items():
        if not isinstance(value, str) or not _SHA256_RE.match(value):
            raise SpecError(f"expect.packages.{name}", f"must be a sha256 (64 hex digits), got {value!r}")
    return {"packages_sha256": digest.lower(), "packages": {name: value.lower() for name, value in packages.items()}}


def manifest(packages_sha256: str, entries: list[Entry]) -> dict:
    """What a caller records to notice later that the feed changed: the index's and every file's sha256."""
    return {"packages_sha256": packages_sha256, "packages": {e.filename: e.sha256 for e in entries}}


def manifest_changes(recorded: dict, current: dict) -> list[str]:
    """Problems naming what changed between a recorded manifest and the feed's current one."""
    problems = []
    if recorded["packages_sha256"] != current["packages_sha256"]:
        problems.append(f"{INDEX_NAME}: changed since the manifest was recorded (recorded sha256 "
                        f"{recorded['packages_sha256']}, served {current['packages_sha256']})")
    before, after = recorded["packages"], current["packages"]
    for name in sorted(set(before) | set(after)):
        if name not in after:
            problems.append(f"{name}: in the recorded manifest but no longer in {INDEX_NAME}")
        elif name not in before:
            problems.append(f"{name}: new since the manifest was recorded (sha256 {after[name]})")
        elif before[name] != after[name]:
            problems.append(f"{name}: changed since the manifest was recorded (recorded sha256 {before[name]}, "
                            f"served {after[name]})")
    return problems
