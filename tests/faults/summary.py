"""The fault suite's table in pytest's terminal summary: fault, stage named, artifacts intact, resumed.

A plugin of the top conftest (``pytest_plugins``), not a hook of tests/faults/conftest.py: under pytest-xdist
(`make test`) only the controller prints the summary, and it loads no conftest below tests/. The rows come from
the tests' reports (``record_property("fault", {...})``), which xdist sends from its workers to the controller.
"""

from __future__ import annotations

COLUMNS = (("fault", "fault"), ("stage", "stage named"), ("intact", "artifacts intact"), ("resumed", "resumed"),
           ("seconds", "seconds"))


def rows(stats: dict) -> dict[str, dict]:
    """{fault: row}, a later report's cells overriding an earlier one's (a fault is resumed in the next test)."""
    table: dict[str, dict] = {}
    for reports in stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", ()):
                if name == "fault" and isinstance(value, dict):
                    table.setdefault(value["fault"], {}).update(value)
    return table


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    table = rows(terminalreporter.stats)
    if not table:
        return
    lines = [[title for _unused, title in COLUMNS]]
    for fault, row in table.items():
        lines.append([str(row.get(key, "-")) if key != "seconds" else f"{float(row.get(key, 0)):.0f}"
                      for key, _unused in COLUMNS])
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    terminalreporter.section("fault injection")
    for n, line in enumerate(lines):
        terminalreporter.write_line("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
        if n == 0:
            terminalreporter.write_line("  ".join("-" * w for w in widths))
