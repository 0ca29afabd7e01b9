"""isolinux.cfg edits for unattended boots, on Aloofix's own menu (as upstream ships it) and variations."""

from __future__ import annotations

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.iso.isolinux import labels, remaster_config

# The structure of Aloofix 0.9's specs/pkgs/syslinux/boot/isolinux/isolinux.cfg: a menu, no default, no timeout.
ALOOFIX_CFG = """ui menu.c32
prompt 0

menu title Aloofix Installation CD
menu clear

label cd
  menu label Boot from CD-ROM
  kernel /boot/vmlinuz
  append root=/dev/ram0 initrd=/boot/iso_initrd.gz clocksource=acpi_pm elevator=noop quiet

label hd
  menu label Boot from Hard Drive
  kernel chain.c32
  append hd0 1

menu separator

label hdt
  menu label Hardware Detection Tool
  kernel hdt.c32
"""


def test_labels():
    assert [(e["label"], e["kernel"], e["menu_label"]) for e in labels(ALOOFIX_CFG)] == [
        ("cd", "/boot/vmlinuz", "Boot from CD-ROM"), ("hd", "chain.c32", "Boot from Hard Drive"),
        ("hdt", "hdt.c32", "Hardware Detection Tool")]


def test_serial_default_timeout_and_overlay():
    out = remaster_config(ALOOFIX_CFG, "cd", 10, extra_initrd="/bsovrlay.gz")
    lines = out.splitlines()
    assert lines[:4] == ["serial 0 115200", "default cd", "timeout 10", "prompt 0"]
    assert out.count("prompt 0") == 1
    assert ("  append root=/dev/ram0 initrd=/boot/iso_initrd.gz,/bsovrlay.gz clocksource=acpi_pm elevator=noop "
            "quiet console=tty0 console=ttyS0,115200") in lines
    assert "  append hd0 1" in lines  # chain.c32 is not a Linux entry: untouched
    assert "menu title Aloofix Installation CD" in lines and "ui menu.c32" in lines


def test_idempotent_on_its_own_output():
    once = remaster_config(ALOOFIX_CFG, "cd", 10)
    assert remaster_config(once, "cd", 10).count("console=ttyS0,115200") == 1


def test_separate_initrd_line_and_no_append():
    cfg = "label live\n  linux /vmlinuz\n  initrd /initrd.gz\n"
    out = remaster_config(cfg, "live", 0, serial=False, kernel_args=["quiet"], extra_initrd="/o.gz")
    assert "  initrd /initrd.gz,/o.gz" in out and "  append quiet" in out
    assert "serial" not in out and "timeout 0" in out


@pytest.mark.parametrize("default, hint", [("nosuch", "use one of cd, hd, hdt"), ("hd", "use one of cd")])
def test_bad_default_entry(default, hint):
    with pytest.raises(SpecError, match=r"^default_entry: ") as err:
        remaster_config(ALOOFIX_CFG, default, 10)
    assert hint in str(err.value)


def test_not_an_isolinux_config():
    with pytest.raises(SpecError, match=r"^src: .*no label"):
        remaster_config("# empty\n", "cd", 10)
