"""Pure svadmin layer: the probe's parser, the predicted state and the commands, table-driven."""

from __future__ import annotations

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError
from ansible_collections.aloofix.buildstrap.plugins.module_utils.guest import svadmin as sv

M = "buildstrap-svadmin:"


def probe(linked=True, down=False, sv_line="run: httpd: (pid 9) 5s", runlevel="default"):
    lines = [f"{M}current=default", f"{M}runlevels=default single ", f"{M}runlevel={runlevel}", f"{M}defined=yes"]
    if linked:
        lines.append(f"{M}linked=yes")
    if down:
        lines.append(f"{M}down_file=yes")
    if sv_line is not None:
        lines.append(f"{M}sv={sv_line}")
    return sv.parse_probe("\n".join(lines) + "\n")


@pytest.mark.parametrize("state, view", [
    (probe(), {"enabled": True, "state": "started"}),
    (probe(down=True, sv_line="down: httpd: 3s"), {"enabled": False, "state": "stopped"}),
    (probe(linked=False, sv_line=None), {"enabled": False, "state": None}),
    (probe(sv_line="warning: httpd: unable to open supervise/ok: file does not exist"),
     {"enabled": True, "state": "stopped"}),
    (probe(sv_line="finish: httpd: (pid 3) 0s"), {"enabled": True, "state": "stopped"}),
])
def test_parse_probe(state, view):
    assert state.view() == view
    assert state.runlevels == ["default", "single"] and state.current == "default" and state.defined


W = 30


@pytest.mark.parametrize("before, enabled, state, commands, after", [
    (probe(linked=False, sv_line=None), True, None, [["svadmin", "enable", "httpd", "default"]],
     {"enabled": True, "state": "started"}),
    (probe(linked=False, sv_line=None), True, "started",
     [["svadmin", "enable", "httpd", "default"], ["sv", "-w", "30", "start", "httpd"]],
     {"enabled": True, "state": "started"}),
    (probe(), True, "started", [], {"enabled": True, "state": "started"}),
    (probe(), False, None, [["svadmin", "disable", "httpd", "default"]], {"enabled": False, "state": "stopped"}),
    (probe(down=True, sv_line="down: httpd: 1s"), False, "stopped", [], {"enabled": False, "state": "stopped"}),
    (probe(), None, "stopped", [["sv", "-w", "30", "stop", "httpd"]], {"enabled": True, "state": "stopped"}),
    (probe(), None, "restarted", [["sv", "-w", "30", "restart", "httpd"]], {"enabled": True, "state": "started"}),
    # restarting a service that was just enabled, or is stopped, starts it (a restart would stop it again)
    (probe(linked=False, sv_line=None), True, "restarted",
     [["svadmin", "enable", "httpd", "default"], ["sv", "-w", "30", "start", "httpd"]],
     {"enabled": True, "state": "started"}),
    (probe(sv_line="down: httpd: 3s, normally up"), None, "restarted", [["sv", "-w", "30", "start", "httpd"]],
     {"enabled": True, "state": "started"}),
    # another runlevel: the link only, runit's state untouched
    (probe(linked=False, runlevel="single"), True, None, [["svadmin", "enable", "httpd", "single"]],
     {"enabled": True, "state": "started"}),
])
def test_commands_and_prediction(before, enabled, state, commands, after):
    assert sv.commands(before, "httpd", enabled, state, W) == commands
    assert sv.predict(before, enabled, state) == after


def test_probe_script_quotes_names():
    script = sv.probe_script("httpd", None)
    assert 'rl="$current"' in script and "/etc/sv/all/httpd" in script
    assert "rl=single" in sv.probe_script("httpd", "single")


@pytest.mark.parametrize("value", ["", "a b", "../etc", "x;rm", "-d"])
def test_check_name_refuses(value):
    with pytest.raises(SpecError, match="^name: "):
        sv.check_name("name", value)
