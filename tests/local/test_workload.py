"""The workload job on the real cluster: submit, follow the target rate, rescale in place and by savepoint."""

from __future__ import annotations

import time

import pytest

from scaletui.cluster.standalone.backend import LocalClusterBackend
from scaletui.config.models import JobSpec
from scaletui.errors import JobError
from scaletui.metrics.model import JobSample

# 600 s: the first test here also pays for the shared cluster (and, on a fresh machine, the Flink download).
pytestmark = [pytest.mark.flink, pytest.mark.timeout(600)]


def settled_rate(backend: LocalClusterBackend, target: float, timeout_s: float = 40.0) -> JobSample:
    """Wait until two fresh samples in a row are within 10 % of `target`; return the last one."""
    deadline = time.monotonic() + timeout_s
    hits, last_ts = 0, 0.0
    sample = backend.sample()
    seen = []
    while time.monotonic() < deadline and hits < 2:
        sample = backend.sample()
        if sample.ts != last_ts:
            last_ts = sample.ts
            seen.append((sample.stale, sample.achieved_rate))
            ok = sample.achieved_rate is not None and abs(sample.achieved_rate - target) <= 0.1 * target
            hits = hits + 1 if ok and not sample.stale else 0
        time.sleep(0.5)
    assert hits >= 2, f"never settled within 10 % of {target}: (stale, achieved) {seen[-10:]}"
    return sample


def test_submit_and_metrics(flink_job: LocalClusterBackend) -> None:
    job = flink_job.job()
    assert job is not None and job.state == "RUNNING"
    assert [op.name for op in job.operators] == ["source", "parse", "expensive", "window", "sink"]
    assert job.operator("source").is_source and job.operator("window").keyed_input
    sample = settled_rate(flink_job, 150.0)
    assert sample.target_rate == 150.0
    assert set(sample.operators) == {"source", "parse", "expensive", "window", "sink"}
    expensive = sample.operators["expensive"]
    assert expensive.busy_ms_per_s is not None and 0 < expensive.busy_ms_per_s <= 1000
    assert sample.taskmanagers == 2 and sample.total_slots == 4
    assert all(n.memory_bytes and n.memory_bytes > 0 for n in sample.nodes.values())
    deadline = time.monotonic() + 20
    p99 = flink_job.sample().latency_ms.get("p99")
    while time.monotonic() < deadline and p99 is None:
        time.sleep(0.5)
        p99 = flink_job.sample().latency_ms.get("p99")
    assert p99 is not None and 0 <= p99 < 10_000


def test_rate_change_is_followed(flink_job: LocalClusterBackend) -> None:
    settled_rate(flink_job, 150.0)
    flink_job.set_target_rate(300.0)
    assert settled_rate(flink_job, 300.0).target_rate == 300.0
    flink_job.set_target_rate(80.0)
    settled_rate(flink_job, 80.0)


def test_rescale_in_place_1_2_1(flink_job: LocalClusterBackend) -> None:
    settled_rate(flink_job, 150.0)
    up = flink_job.set_parallelism({"expensive": 2})
    assert up.ok and up.ended is not None and up.ended >= up.started
    assert up.downtime_s is not None and 0 < up.downtime_s < 60
    job = flink_job.job()
    assert job is not None and job.parallelism["expensive"] == 2 and job.parallelism["parse"] == 1
    assert settled_rate(flink_job, 150.0).operators["expensive"].parallelism == 2
    down = flink_job.set_parallelism({"expensive": 1})
    assert down.downtime_s is not None
    job = flink_job.job()
    assert job is not None and job.parallelism["expensive"] == 1


def test_savepoint_restart_rescale(flink_job: LocalClusterBackend) -> None:
    before = flink_job.job_id
    event = flink_job.savepoint_restart({"window": 2})
    assert event.kind == "savepoint-restart" and event.downtime_s is not None
    job = flink_job.job()
    assert job is not None and job.job_id != before and job.parallelism["window"] == 2


def test_bad_parallelism_is_refused(flink_job: LocalClusterBackend) -> None:
    with pytest.raises(JobError, match="no operator named .nope."):
        flink_job.set_parallelism({"nope": 2})
    with pytest.raises(JobError, match="outside 1..32"):
        flink_job.set_parallelism({"expensive": 99})


def test_job_that_fails_at_start(flink_cluster: LocalClusterBackend) -> None:
    if flink_cluster.job() is not None:
        flink_cluster.cancel_job()
    spec = JobSpec(parallelism={"expensive": 40}, max_parallelism=32)
    with pytest.raises(JobError, match="failed at start: .*parallelism.expensive must be between"):
        flink_cluster.submit_job(spec, rate=10)
    assert flink_cluster.job() is None
