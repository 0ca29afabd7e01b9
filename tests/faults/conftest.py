"""The fault suite's shared state: the session's pipeline (reused, never built again), what its finished stages'
artifacts were before the faults, and the rows of the table that tests/faults/summary.py prints."""

from __future__ import annotations

import pytest

from ansible_collections.aloofix.buildstrap.plugins.module_utils.pipeline import cache
from ansible_collections.aloofix.buildstrap.plugins.module_utils.virt import api
from tests.faults import faults
from tests.integration.conftest import wait_for_server_tests
from tests.integration.pipeline import stage_status


def _volume_digest(spec: dict):
    with api.connection() as conn:
        pool = api.lookup_pool(conn, spec.get("pool") or api.DEFAULT_POOL)
        vol = api.lookup_volume(pool, spec["volume"]) if pool is not None else None
        return None if vol is None else api.download_volume(conn, vol, None)[1]


class Chain:
    """The session's pipeline as the faults take it through runs that fail and runs that resume."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.results: list[dict] = []
        self.secrets: list[str] = []  # passwords of other pipelines the suite ran, for the log check
        self.running: list[faults.PipelineRun] = []
        self.baseline = {stage: faults.manifest(pipeline, stage) for stage in ("stage1", "install1")}

    def intact(self, *stages: str) -> str:
        """Assert that the finished stages' manifests are the ones from before the faults and that every output
        still has its recorded sha256; say which were checked."""
        for stage in stages:
            now = faults.manifest(self.pipeline, stage)
            assert now is not None, f"the manifest of the finished stage {stage} is gone"
            assert now["outputs"] == self.baseline[stage]["outputs"], f"{stage}'s outputs were recorded again"
            reason = cache.verify_outputs(now, _volume_digest)
            assert reason is None, f"{stage}: {reason}"
        return "yes (" + ", ".join(stages) + ")"

    def run(self, label: str, *extra: str) -> faults.PipelineRun:
        while (self.pipeline.workdir / f"run{self.pipeline.runs + 1}-{label}").exists():  # a reused pipeline's
            self.pipeline.runs += 1
        return self.track(faults.PipelineRun(self.pipeline, label, *extra))

    def track(self, run: faults.PipelineRun) -> faults.PipelineRun:
        """Runs a failed test leaves behind are stopped at the end of the suite."""
        self.running.append(run)
        return run

    def finish(self, run: faults.PipelineRun, timeout: float = 1800) -> dict:
        result = run.finish(timeout)
        self.results.append(result)
        return result


def failed_stage(result: dict) -> tuple[str, str]:
    """(the failed stage's name, the failed task's message) from the run's timeline."""
    assert result["timeline"], "the run wrote no timeline:\n" + result["output"][-3000:]
    for stage in result["timeline"]["stages"]:
        if stage["status"] == "failed":
            task = next(t for t in stage["tasks"] if t["status"] in ("failed", "unreachable"))
            return stage["name"], task.get("msg", "")
    raise AssertionError("no stage failed:\n" + result["output"][-3000:])


def statuses(result: dict) -> dict:
    return stage_status(result["timeline"]) if result["timeline"] else {}


@pytest.fixture(scope="module")
def chain(native_pipeline, request):
    pipeline, first = native_pipeline
    assert first["rc"] == 0, "the session's buildstrap pipeline failed:\n" + first["output"][-3000:]
    # the other line's tests of the build server first: the faults destroy and reinstall it
    wait_for_server_tests(request.session, pipeline)
    chain = Chain(pipeline)
    try:
        yield chain
    finally:
        for run in chain.running:
            run.stop()
        faults.ensure_libvirtd()  # whatever a test did to it
