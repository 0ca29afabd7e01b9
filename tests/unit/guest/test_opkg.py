"""Pure opkg layer: opkg.conf, stanzas, command output, versions and plans, table-driven."""

from __future__ import annotations

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import opkg

CONF = """option tmp_dir /var/tmp

dest root /
dest ram /tmp

arch all 1
arch noarch 1
arch i686 10
src build file:///usr/src/minifix-0.9/pkgs
# src old http://old/feed
src/gz minifix http://127.0.0.1/minifix
"""


def test_parse_conf():
    conf = opkg.parse_conf(CONF)
    assert conf.feeds == [opkg.Feed("build", "file:///usr/src/minifix-0.9/pkgs"),
                          opkg.Feed("minifix", "http://127.0.0.1/minifix", True)]
    assert conf.dests == {"root": "/", "ram": "/tmp"}
    assert conf.options == {"tmp_dir": "/var/tmp"}
    assert conf.feed("minifix").line == "src/gz minifix http://127.0.0.1/minifix"
    assert conf.feed("old") is None


@pytest.mark.parametrize("text, name, url, gzip, present, expected", [
    # appended, newline added to an unterminated last line
    ("dest root /", "a", "http://x/a", False, True, "dest root /\nsrc a http://x/a\n"),
    ("", "a", "http://x/a", True, True, "src/gz a http://x/a\n"),
    # unchanged when the line is there (spacing kept)
    ("src  a   http://x/a\n", "a", "http://x/a", False, True, "src  a   http://x/a\n"),
    # URL changed: replaced in place
    ("src a http://x/a\ndest root /\n", "a", "http://y/a", False, True, "src a http://y/a\ndest root /\n"),
    # src -> src/gz replaced; duplicates of the name dropped
    ("src a http://x/a\nsrc b u\nsrc/gz a http://z\n", "a", "http://x/a", True, True,
     "src/gz a http://x/a\nsrc b u\n"),
    # comments are not feeds
    ("# src a http://x/a\n", "a", "http://x/a", False, True, "# src a http://x/a\nsrc a http://x/a\n"),
    # absent removes every line of the name, keeps the rest
    ("src a u\nsrc b v\nsrc/gz a w\n", "a", None, False, False, "src b v\n"),
    ("src b v\n", "a", None, False, False, "src b v\n"),
])
def test_set_feed(text, name, url, gzip, present, expected):
    assert opkg.set_feed(text, name, url, gzip, present) == expected


@pytest.mark.parametrize("conf, dest, root, expected", [
    ("dest root /\n", None, None, "/usr/lib/opkg/lists"),
    ("dest root /\ndest ram /tmp\n", "ram", None, "/tmp/usr/lib/opkg/lists"),
    ("dest root /\n", None, "/mnt/hd", "/mnt/hd/usr/lib/opkg/lists"),
    ("option lists_dir /var/lib/opkg\n", None, "/mnt/hd/", "/mnt/hd/var/lib/opkg"),
])
def test_lists_dir(conf, dest, root, expected):
    assert opkg.lists_dir(opkg.parse_conf(conf), dest, root) == expected


def test_lists_dir_unknown_dest_names_the_field():
    with pytest.raises(SpecError, match="^dest: no destination 'usb'"):
        opkg.lists_dir(opkg.parse_conf("dest root /\n"), "usb")


STATUS = """Package: busybox
Version: 1.21.0-1
Depends: glibc-lib, busybox-license
Status: install user installed
Architecture: i686
Description: Swiss army knife
 of embedded Linux

Package: old
Version: 1.0-1
Status: deinstall ok not-installed

"""


def test_parse_stanzas_and_status():
    stanzas = opkg.parse_stanzas(STATUS)
    assert stanzas[0]["description"] == "Swiss army knife\nof embedded Linux"
    assert stanzas[0]["depends"] == "glibc-lib, busybox-license"
    assert opkg.status_installed(stanzas) == {"busybox": "1.21.0-1"}
    # opkg 0.1.8's formatted info spells some fields differently: names are case-insensitive
    assert opkg.parse_stanzas("package: x\nMD5Sum: 1\n")[0] == {"package": "x", "md5sum": "1"}


@pytest.mark.parametrize("text, expected", [
    ("busybox - 1.21.0-1\n", [("busybox", "1.21.0-1", "")]),
    ("rsync - 3.0.9-1 - fast - remote - copy\n", [("rsync", "3.0.9-1", "fast - remote - copy")]),
    ("a - 1 - desc\n continued line\nCollected errors:\n", [("a", "1", "desc")]),
    ("", []),
])
def test_parse_list(text, expected):
    assert opkg.parse_list(text) == expected


def test_parse_list_upgradable():
    assert opkg.parse_list_upgradable("rsync - 3.0.9-1 - 3.1.0-1\n") == [("rsync", "3.0.9-1", "3.1.0-1")]


@pytest.mark.parametrize("left, right, sign", [
    ("1.0-1", "1.0-1", 0),
    ("1.0-2", "1.0-1", 1),
    ("1.0-10", "1.0-9", 1),
    ("1.10", "1.9", 1),
    ("1.0~rc1", "1.0", -1),
    ("1:0.1", "2.0", 1),
    ("1.0a", "1.0", 1),
    ("1.0", "1.0.0", -1),
    ("1.01", "1.1", 0),
    ("2013.58-1", "2013.58-1", 0),
    ("1.2.3-4-5", "1.2.3-4-4", 1),  # the revision is after the last hyphen
])
def test_compare_versions(left, right, sign):
    got = opkg.compare_versions(left, right)
    assert (got > 0) - (got < 0) == sign
    back = opkg.compare_versions(right, left)
    assert (back > 0) - (back < 0) == -sign


@pytest.mark.parametrize("value, expected", [
    ("", []),
    ("a, b (>= 1.0), c | d", [["a"], ["b"], ["c", "d"]]),
    ("glibc-lib(>=2.17)", [["glibc-lib"]]),
])
def test_parse_depends(value, expected):
    assert opkg.parse_depends(value) == expected


def _stanza(name, version, depends=""):
    return f"Package: {name}\nVersion: {version}\n" + (f"Depends: {depends}\n" if depends else "") + "\n"


LISTS = {
    "main": _stanza("rsync", "3.0.9-1", "rsync-license, zlib-lib | zlib-static") + _stanza("rsync-license", "3.0.9-1")
    + _stanza("zlib-lib", "1.2.8-1", "zlib-license") + _stanza("zlib-license", "1.2.8-1") + _stanza("nano", "2.0-1"),
    "extra": _stanza("rsync", "3.1.0-1", "rsync-license") + _stanza("nano", "1.0-1") + _stanza("only-extra", "1-1"),
}
AVAILABLE = opkg.candidates_from_lists(LISTS)


def _summary(p):
    s = p.summary()
    return ([(i["name"], i["version"], i["source"]) for i in s["install"]],
            [(u["name"], u["from"], u["to"]) for u in s["upgrade"]],
            [(r["name"], r["version"]) for r in s["remove"]])


def test_candidates_newest_first():
    assert [c.version for c in AVAILABLE["rsync"]] == ["3.1.0-1", "3.0.9-1"]
    assert [c.source for c in AVAILABLE["nano"]] == ["main", "extra"]


@pytest.mark.parametrize("state, names, installed, feed, expected", [
    # newest candidate, its dependencies first, installed ones skipped
    ("present", ["rsync"], {"rsync-license": "3.0.9-1"}, None, ([("rsync", "3.1.0-1", "extra")], [], [])),
    # from one feed: that feed's candidate and dependency closure (first available alternative)
    ("present", ["rsync"], {}, "main",
     ([("rsync-license", "3.0.9-1", "main"), ("zlib-license", "1.2.8-1", "main"), ("zlib-lib", "1.2.8-1", "main"),
       ("rsync", "3.0.9-1", "main")], [], [])),
    # installed: present leaves it, latest upgrades it
    ("present", ["rsync"], {"rsync": "3.0.9-1", "rsync-license": "1"}, None, ([], [], [])),
    ("latest", ["rsync"], {"rsync": "3.0.9-1", "rsync-license": "1"}, None,
     ([], [("rsync", "3.0.9-1", "3.1.0-1")], [])),
    ("latest", ["rsync"], {"rsync": "3.0.9-1", "rsync-license": "1"}, "main", ([], [], [])),
    ("latest", ["rsync"], {"rsync": "3.2-1", "rsync-license": "1"}, None, ([], [], [])),
    # absent
    ("absent", ["nano", "rsync"], {"nano": "2.0-1"}, None, ([], [], [("nano", "2.0-1")])),
    ("absent", ["nano"], {}, None, ([], [], [])),
])
def test_plan(state, names, installed, feed, expected):
    assert _summary(opkg.plan(state, names, installed, AVAILABLE, feed=feed)) == expected


def test_plan_reinstall_and_files():
    p = opkg.plan("present", ["nano"], {"nano": "2.0-1"}, AVAILABLE, reinstall=True)
    assert _summary(p) == ([], [("nano", "2.0-1", "2.0-1")], [])
    f = opkg.Candidate("app", "1-1", "/tmp/app_1-1_noarch.opk", "only-extra", True)
    p = opkg.plan("present", [], {}, AVAILABLE, [f])
    assert _summary(p) == ([("only-extra", "1-1", "extra"), ("app", "1-1", "/tmp/app_1-1_noarch.opk")], [], [])
    assert not opkg.plan("present", [], {"app": "1-1", "only-extra": "1-1"}, AVAILABLE, [f]).changed
    assert _summary(opkg.plan("present", [], {"app": "0-1", "only-extra": "1"}, AVAILABLE, [f]))[1] == \
        [("app", "0-1", "1-1")]
    assert _summary(opkg.plan("absent", [], {"app": "1-1"}, AVAILABLE, [f]))[2] == [("app", "1-1")]


@pytest.mark.parametrize("state, names, installed, feed, message", [
    ("present", ["only-extra"], {}, "main", "^feed: package only-extra is not in the list of feed 'main' "
     r"\(it is in: extra\)"),
    ("present", ["nonesuch"], {}, "main", "^feed: package nonesuch is not in feed 'main'"),
    ("present", ["nonesuch"], {}, None, "^name: package nonesuch is not in any configured feed"),
    ("latest", ["only-extra"], {"only-extra": "1"}, "main", "^feed: package only-extra is not in the list of feed"),
])
def test_plan_errors_name_the_field_feed_and_package(state, names, installed, feed, message):
    with pytest.raises(SpecError, match=message):
        opkg.plan(state, names, installed, AVAILABLE, feed=feed)


def test_plan_missing_dependency_names_both():
    lists = {"f": _stanza("app", "1", "libx")}
    with pytest.raises(SpecError, match="^name: app depends on libx, which is not in feed 'f' nor installed"):
        opkg.plan("present", ["app"], {}, opkg.candidates_from_lists(lists), feed="f")
    assert opkg.plan("present", ["app"], {"libx": "1"}, opkg.candidates_from_lists(lists), feed="f").changed


def test_installed_lines_and_changes():
    before, after = {"a": "1", "b": "1", "c": "1"}, {"a": "2", "c": "1", "d": "1"}
    assert opkg.installed_lines(before) == "a 1\nb 1\nc 1\n"
    assert opkg.changes(before, after) == {"install": [{"name": "d", "version": "1"}],
                                           "upgrade": [{"name": "a", "from": "1", "to": "2"}],
                                           "remove": [{"name": "b", "version": "1"}]}
