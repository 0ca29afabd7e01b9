# -*- coding: utf-8 -*-
# Copyright: Buildstrap developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: timeline
type: aggregate
short_description: A per-stage timeline of each run, in the run's log directory and at the end of the output
version_added: 0.1.0
description:
  - Gives every run a log directory (C(logs/YYYYmmdd-HHMMSS-PLAYBOOK), exported to the run as
    C(BUILDSTRAP_RUN_DIR) unless already set) and writes there C(timeline.json), C(timeline.html) (an SVG bar
    per stage and task) and C(timeline.txt); prints the per-stage table at the end of the run.
  - A play is a stage. Stages whose cache check hit are marked C(cached).
  - Time spent in tasks that wait for a guest (booting, installing, building) is separated from the rest, to
    show the overhead the pipeline adds over the guest's own work.
requirements:
  - enabled in ansible.cfg (callbacks_enabled)
"""

import html
import json
import os
import time

from ansible.plugins.callback import CallbackBase

# Tasks whose time is the guest's own work (a command running in it, or it booting).
GUEST_WORK = {
    "aloofix.buildstrap.guest_session", "aloofix.buildstrap.install2hd", "aloofix.buildstrap.guest_hostkey",
    "aloofix.buildstrap.guest_reachable", "aloofix.buildstrap.console", "ansible.builtin.command",
    "aloofix.buildstrap.guest_fetch", "aloofix.buildstrap.guest_push", "aloofix.buildstrap.guest_command",
    "aloofix.buildstrap.svadmin", "aloofix.buildstrap.opkg", "aloofix.buildstrap.opkg_feed",
    "aloofix.buildstrap.guest_file", "aloofix.buildstrap.guest_user", "aloofix.buildstrap.guest_group",
}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "aloofix.buildstrap.timeline"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.run_dir = None
        self.started = time.time()
        self.stages = []
        self.tasks = {}

    def v2_playbook_on_start(self, playbook):
        name = os.path.splitext(os.path.basename(playbook._file_name))[0]
        run_dir = os.environ.get("BUILDSTRAP_RUN_DIR")
        if not run_dir:
            base = os.path.dirname(os.path.abspath(playbook._basedir)) \
                if os.path.basename(os.path.abspath(playbook._basedir)) == "playbooks" else os.getcwd()
            run_dir = _new_dir(os.path.join(base, "logs", time.strftime("%Y%m%d-%H%M%S") + f"-{name}"))
            os.environ["BUILDSTRAP_RUN_DIR"] = run_dir
        os.makedirs(run_dir, mode=0o700, exist_ok=True)  # transcripts: private, as the run reads it
        self.run_dir = run_dir
        self._display.display(f"Buildstrap run directory: {run_dir}")

    def _stage(self):
        return self.stages[-1] if self.stages else None

    def v2_playbook_on_play_start(self, play):
        now = time.time()
        if self._stage() and self._stage()["end"] is None:
            self._stage()["end"] = now
        self.stages.append({"name": play.get_name().strip(), "start": now, "end": None, "tasks": [],
                            "cached": False, "status": "ok"})

    def v2_playbook_on_task_start(self, task, is_conditional):
        if self._stage() is None:
            return
        record = {"name": task.get_name().strip(), "action": task.resolved_action or task.action,
                  "start": time.time(), "end": None, "status": "started"}
        self.tasks[task._uuid] = record
        self._stage()["tasks"].append(record)

    def _finish(self, result, status):
        record = self.tasks.get(result._task._uuid)
        if record is None:
            return
        record["end"] = time.time()
        if record["status"] in ("started", "skipped") or status in ("failed", "unreachable"):
            record["status"] = status
        res = result._result or {}
        if res.get("cache_hit") is True and self._stage():
            self._stage()["cached"] = True
        if "reason" in res and "cache_hit" in res:
            record["cache"] = res["reason"]
        if status in ("failed", "unreachable") and self._stage():
            self._stage()["status"] = "failed"
            record["msg"] = str(res.get("msg", ""))[:2000]

    def v2_runner_on_ok(self, result):
        self._finish(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._finish(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._finish(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._finish(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        end = time.time()
        if self._stage() and self._stage()["end"] is None:
            self._stage()["end"] = end
        total = end - self.started
        guest = sum((t["end"] or end) - t["start"] for s in self.stages for t in s["tasks"]
                    if t["action"] in GUEST_WORK and t["status"] not in ("skipped",))
        summary = {"started": self.started, "finished": end, "seconds": round(total, 2),
                   "guest_work_seconds": round(guest, 2), "overhead_seconds": round(total - guest, 2),
                   "stages": [dict(s, seconds=round((s["end"] or end) - s["start"], 2)) for s in self.stages]}
        if not self.run_dir:
            return
        with open(os.path.join(self.run_dir, "timeline.json"), "w", encoding="utf-8") as handle:
            json.dump(summary, handle, indent=2)
        lines = [f"{'stage':<44}{'seconds':>9}  status"]
        for stage in summary["stages"]:
            status = "cached" if stage["cached"] else stage["status"]
            lines.append(f"{stage['name'][:43]:<44}{stage['seconds']:>9.1f}  {status}")
        lines.append(f"{'total':<44}{total:>9.1f}  (guest work {guest:.1f} s, pipeline overhead "
                     f"{total - guest:.1f} s)")
        lines += _failures(summary["stages"])
        text = "\n".join(lines)
        with open(os.path.join(self.run_dir, "timeline.txt"), "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        with open(os.path.join(self.run_dir, "timeline.html"), "w", encoding="utf-8") as handle:
            handle.write(_html(summary))
        self._display.banner("BUILDSTRAP TIMELINE")
        self._display.display(text)
        self._display.display(f"timeline, transcripts and logs: {self.run_dir}")


def _new_dir(path: str) -> str:
    """``path``, or ``path-2``, ``path-3``...: a directory no other run has (two pipelines started in the same
    second write transcripts of the same names)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    candidate, n = path, 1
    while True:
        try:
            os.mkdir(candidate, 0o700)
            return candidate
        except FileExistsError:
            n += 1
            candidate = f"{path}-{n}"


def _failures(stages: list) -> list:
    """One line per failed stage: the stage, the task and the first line of its message (the cause), so that
    the end of a long run says where it stopped and why; a rerun resumes there."""
    lines = []
    for stage in stages:
        task = next((t for t in stage["tasks"] if t["status"] in ("failed", "unreachable")), None)
        if stage["status"] == "failed" and task is not None:
            cause = (task.get("msg") or "").strip().splitlines() or ["(no message)"]
            lines.append(f"FAILED stage {stage['name']!r}, task {task['name']!r}: {cause[0]}")
    return lines


def _html(summary: dict) -> str:
    """One SVG bar per stage and, under it, per task that took more than a second."""
    total = max(summary["seconds"], 1e-3)
    width, row = 900, 18
    rows = []
    for stage in summary["stages"]:
        rows.append((stage["name"], stage["start"], stage["end"] or summary["finished"], True, stage))
        for task in stage["tasks"]:
            if task["end"] and task["end"] - task["start"] >= 1:
                rows.append(("    " + task["name"], task["start"], task["end"], False, task))
    colors = {"ok": "#4a90d9", "failed": "#d9534f", "skipped": "#bbbbbb", "cached": "#5cb85c"}
    parts = []
    for i, (name, start, end, is_stage, item) in enumerate(rows):
        x = 330 + (start - summary["started"]) / total * (width - 340)
        w = max(1.0, (end - start) / total * (width - 340))
        status = "cached" if is_stage and item.get("cached") else item.get("status", "ok")
        color = colors.get(status, "#4a90d9")
        y = i * row + 4
        label = html.escape(f"{name} ({end - start:.1f} s)")
        parts.append(f'<text x="4" y="{y + 12}" font-size="{12 if is_stage else 10}" '
                     f'font-weight="{"bold" if is_stage else "normal"}">{label}</text>'
                     f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 6}" fill="{color}">'
                     f'<title>{label} {status}</title></rect>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{len(rows) * row + 10}" '
           f'font-family="sans-serif">{"".join(parts)}</svg>')
    return (f"<!doctype html><meta charset=utf-8><title>Buildstrap timeline</title>"
            f"<h1>Buildstrap run: {summary['seconds']:.1f} s</h1>"
            f"<p>guest work {summary['guest_work_seconds']:.1f} s, pipeline overhead "
            f"{summary['overhead_seconds']:.1f} s. Green: cached stage; red: failed.</p>{svg}\n")
