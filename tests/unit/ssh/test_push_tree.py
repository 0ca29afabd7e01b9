"""The controller side of guest_push: which files a push sends, named as Debian names them."""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.ssh.session import local_tree


def test_every_file_with_its_sha256_including_debian_version_characters(tmp_path):
    deb = tmp_path / "syslinux" / "extlinux_3%3a6.04~git20190206.bf6db5b4+dfsg1-3+b1_i386.deb"
    deb.parent.mkdir()
    deb.write_bytes(b"deb")
    (tmp_path / "syslinux" / "sha256.sums").write_text("x\n")
    (tmp_path / "syslinux" / "link").symlink_to(deb.name)  # links are not sent: the guest gets files
    assert local_tree(str(tmp_path)) == {
        "syslinux/extlinux_3%3a6.04~git20190206.bf6db5b4+dfsg1-3+b1_i386.deb": hashlib.sha256(b"deb").hexdigest(),
        "syslinux/sha256.sums": hashlib.sha256(b"x\n").hexdigest(),
    }


@pytest.mark.parametrize("name", ["two words.deb", "quote'.deb", "new\nline.deb"])
def test_names_a_shell_line_could_misread_are_refused(tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(SpecError, match=r"(?s)^src: .*only plain file names"):
        local_tree(str(tmp_path))


def test_a_missing_directory_is_named(tmp_path):
    with pytest.raises(SpecError, match=r"^src: .*/nope is not a directory on the controller"):
        local_tree(str(tmp_path / "nope"))
