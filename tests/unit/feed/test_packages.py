"""The Packages index, parsed and checked without a network: table-driven."""

from __future__ import annotations

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.feed.packages import (
    PackagesIndexError, check_expect, manifest, manifest_changes, parse_packages, unlisted_files,
)

SHA_A, SHA_B, MD5 = "a" * 64, "b" * 64, "c" * 32


def para(package="busybox", filename="busybox_1.36.1-1_i686.opk", size="1234", sha=SHA_A, md5=MD5, extra=""):
    lines = [f"Package: {package}", "Version: 1.36.1-1", "Architecture: i686", "Depends: glibc-lib, busybox-license",
             "Description: the swiss army knife", extra, f"Filename: {filename}", f"Size: {size}"]
    if md5 is not None:
        lines.append(f"MD5sum: {md5}")
    lines.append(f"SHA256sum: {sha}")
    return "\n".join(line for line in lines if line) + "\n"


def index(*paragraphs):
    """As build-pkg's regenerate_index writes it: each .control followed by an empty line."""
    return "".join(p + "\n" for p in paragraphs)


GOOD = [
    ("one package", index(para()), [("busybox", "busybox_1.36.1-1_i686.opk", 1234, SHA_A, MD5)]),
    ("two packages", index(para(), para("dropbear", "dropbear_2013.58-2_i686.opk", "99", SHA_B)),
     [("busybox", "busybox_1.36.1-1_i686.opk", 1234, SHA_A, MD5),
      ("dropbear", "dropbear_2013.58-2_i686.opk", 99, SHA_B, MD5)]),
    ("no MD5sum (optional)", index(para(md5=None)), [("busybox", "busybox_1.36.1-1_i686.opk", 1234, SHA_A, None)]),
    ("uppercase digests are read as lowercase", index(para(sha=SHA_A.upper(), md5=MD5.upper())),
     [("busybox", "busybox_1.36.1-1_i686.opk", 1234, SHA_A, MD5)]),
    ("no final empty line", para(), [("busybox", "busybox_1.36.1-1_i686.opk", 1234, SHA_A, MD5)]),
    ("several empty lines and CR-free continuation lines",
     "\n\n" + para(extra="Description2: long\n more text\n .\n last") + "\n\n\n",
     [("busybox", "busybox_1.36.1-1_i686.opk", 1234, SHA_A, MD5)]),
    ("a Filename in a subdirectory", index(para(filename="i686/busybox.opk")),
     [("busybox", "i686/busybox.opk", 1234, SHA_A, MD5)]),
    ("Size 0", index(para(size="0")), [("busybox", "busybox_1.36.1-1_i686.opk", 0, SHA_A, MD5)]),
]


@pytest.mark.parametrize("text,expected", [case[1:] for case in GOOD], ids=[case[0] for case in GOOD])
def test_valid_indexes(text, expected):
    assert [(e.package, e.filename, e.size, e.sha256, e.md5) for e in parse_packages(text)] == expected


def test_entries_keep_every_field_and_their_line():
    first, second = parse_packages(index(para(), para("dropbear", "d.opk")))
    assert first.fields["Depends"] == "glibc-lib, busybox-license" and first.line == 1
    assert second.line == 11


BAD = [
    ("empty", "", ["Packages is empty"]),
    ("only blank lines", "\n\n  \n", ["Packages is empty"]),
    ("cut mid-field (no final newline)", index(para()) + para()[:-20],
     ["Packages is truncated: its last line 'SHA256sum: " + "a" * 45 + "' has no newline (the final paragraph is cut",
      "paragraph at line 11 (Package busybox): SHA256sum is not 64 hex digits"]),
    ("final paragraph cut after a line", index(para()) + "Package: dropbear\nVersion: 2013.58-2\n",
     ["paragraph at line 11 (Package dropbear): missing Filename, Size, SHA256sum"]),
    ("no Package", index(para().replace("Package: busybox\n", "")), ["paragraph at line 1: missing Package"]),
    ("no Filename", index(para().replace("Filename: busybox_1.36.1-1_i686.opk\n", "")),
     ["(Package busybox): missing Filename"]),
    ("no Size", index(para(size="")), ["(Package busybox): missing Size"]),
    ("no SHA256sum", index(para(sha="")), ["(Package busybox): missing SHA256sum"]),
    ("Size not an integer", index(para(size="12k")), ["(Package busybox): Size is not a whole number of bytes: '12k'"]),
    ("negative Size", index(para(size="-1")), ["Size is not a whole number of bytes: '-1'"]),
    ("short SHA256sum", index(para(sha="abc")), ["SHA256sum is not 64 hex digits: 'abc'"]),
    ("bad MD5sum", index(para(md5="xyz")), ["MD5sum is not 32 hex digits: 'xyz'"]),
    ("duplicate Filename", index(para(), para("busybox2")),
     ["busybox_1.36.1-1_i686.opk: Filename listed twice in Packages (paragraphs at lines 1 and 11)"]),
    ("absolute Filename", index(para(filename="/etc/passwd")),
     ["Filename '/etc/passwd' must be a relative path inside the feed directory"]),
    ("Filename leaving the feed", index(para(filename="../secret.opk")),
     ["Filename '../secret.opk' must not contain empty, '.' or '..' path components"]),
    ("Filename naming the index", index(para(filename="Packages")), ["Filename 'Packages' names the index"]),
    ("a line that is no field", index(para(extra="this is not a field")),
     ["line 6: not a 'Field: value' line: 'this is not a field'"]),
    ("field twice", index(para(extra="Size: 5")), ["field Size given twice in one paragraph"]),
    ("continuation first", index(" dangling\n" + para()), ["line 1: a continuation line with no field before it"]),
    ("binary garbage", "Package: x\x00\x01\n", ["contains NUL bytes"]),
]


@pytest.mark.parametrize("text,problems", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_invalid_indexes_name_every_problem(text, problems):
    with pytest.raises(PackagesIndexError) as raised:
        parse_packages(text, "http://127.0.0.1:1/minifix/Packages")
    assert str(raised.value).startswith("http://127.0.0.1:1/minifix/Packages is not a valid feed index")
    for problem in problems:
        assert any(problem in found for found in raised.value.problems), (problem, raised.value.problems)
    assert raised.value.to_result()["problems"] == raised.value.problems


UNLISTED = [
    ("all listed", ["Packages", "a.opk", "b.opk"], []),
    ("an extra package", ["Packages", "a.opk", "b.opk", "c.opk"], ["c.opk: unlisted"]),
    ("stray files, sorted, once", ["z.control", "Packages", "a.opk", "b.opk", "z.control", "Packages.gz"],
     ["Packages.gz: unlisted", "z.control: unlisted"]),
    ("a listed file absent from the directory is not an unlisted one", ["a.opk"], []),
]


@pytest.mark.parametrize("files,expected", [case[1:] for case in UNLISTED], ids=[case[0] for case in UNLISTED])
def test_unlisted_files(files, expected):
    entries = parse_packages(index(para("a", "a.opk"), para("b", "b.opk")))
    found = unlisted_files(files, entries)
    assert [f.split(" (")[0] for f in found] == expected


def test_manifest_and_its_changes():
    entries = parse_packages(index(para("a", "a.opk", sha=SHA_A), para("b", "b.opk", sha=SHA_B)))
    recorded = manifest("1" * 64, entries)
    assert recorded == {"packages_sha256": "1" * 64, "packages": {"a.opk": SHA_A, "b.opk": SHA_B}}
    assert manifest_changes(recorded, recorded) == []
    current = {"packages_sha256": "2" * 64, "packages": {"a.opk": SHA_B, "c.opk": SHA_A}}
    assert manifest_changes(recorded, current) == [
        f"Packages: changed since the manifest was recorded (recorded sha256 {'1' * 64}, served {'2' * 64})",
        f"a.opk: changed since the manifest was recorded (recorded sha256 {SHA_A}, served {SHA_B})",
        "b.opk: in the recorded manifest but no longer in Packages",
        f"c.opk: new since the manifest was recorded (sha256 {SHA_A})",
    ]


EXPECT = [
    ("not a dict", ["x"], "expect: must be a manifest"),
    ("no index digest", {"packages": {}}, "expect.packages_sha256: must be the sha256 of Packages"),
    ("no packages", {"packages_sha256": SHA_A}, "expect.packages: must map each package file name"),
    ("bad package digest", {"packages_sha256": SHA_A, "packages": {"a.opk": "zz"}},
     "expect.packages.a.opk: must be a sha256"),
]


@pytest.mark.parametrize("expect,message", [case[1:] for case in EXPECT], ids=[case[0] for case in EXPECT])
def test_expect_is_checked_naming_the_field(expect, message):
    with pytest.raises(SpecError, match=message.replace(".", r"\.")):
        check_expect(expect)


def test_expect_is_normalised():
    assert check_expect(None) is None
    assert check_expect({"packages_sha256": SHA_A.upper(), "packages": {"a.opk": SHA_B.upper()}}) == {
        "packages_sha256": SHA_A, "packages": {"a.opk": SHA_B}}
