"""One contract, every capability set: what a set offers behaves the same on each platform, and what it lacks is said.

Runs against the simulator's set, the local set (over the session's shared real Flink cluster, its job running) and
the testbed's set over the loopback K3S stand-in (tests/testbed/standin.py: the Kubernetes API and Consul as HTTP
stand-ins in front of real Flink processes, a real VictoriaMetrics), its workload job submitted through the set's
own job control. Each capability a set has is exercised through the protocol the run loop uses; each it lacks must
be named by `missing()` and refused with one sentence naming the platform.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scaletui.config.models import JobSpec, LoadSpec, PlatformFile, RescaleStep, StrategySpec, TimelineStep
from scaletui.engine.capabilities import Capabilities
from scaletui.engine.faults import FaultControl
from scaletui.engine.run import Run
from scaletui.engine.run_plan import RunPlan
from scaletui.errors import UserError
from scaletui.events import Event, EventBus, LoadChanged, MetricsEvent
from scaletui.scaling.strategy import Strategy
from scaletui.workload.profiles import ConstantProfile
from tests.recording import journal
from tests.testbed.conftest import standin  # noqa: F401 - the stand-in fixture, shared with tests/testbed

SIM_PLATFORM = PlatformFile.model_validate({"platform": {"name": "simulator", "type": "simulator"}})
SIM_JOB = JobSpec(taskmanagers=2, slots_per_taskmanager=2, parallelism={"expensive": 1})


TESTBED_PLATFORM = PlatformFile.model_validate({"platform": {"name": "testbed", "type": "Static"}})
TESTBED_JOB = JobSpec(taskmanagers=2, cost_ms=0.5, window_s=1.0, keys=16)


@pytest.fixture(scope="module")
def testbed_caps(standin: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Capabilities]:  # noqa: F811
    """One testbed set for the module (submitting the job and starting a TaskManager pod cost a minute here),
    closed with stop: the job cancelled and the TaskManager Deployment given back its replicas."""
    from scaletui.engine.testbed_set import open_testbed
    from tests.plugins.flink import flink_cache

    kubeconfig = Path(standin.kubeconfig(tmp_path_factory.mktemp("contract-kube") / "kubeconfig"))
    opened = open_testbed(TESTBED_PLATFORM, TESTBED_JOB, kubeconfig, EventBus(), flink_cache(), threading.Event())
    try:
        opened.require_job().submit(TESTBED_JOB, 150.0, threading.Event())
        yield opened
    finally:
        opened.close(stop_cluster=True)


@pytest.fixture(
    params=[
        "simulator",
        pytest.param("local", marks=[pytest.mark.flink, pytest.mark.asks_for("flink_job")]),
        pytest.param("testbed", marks=[pytest.mark.flink, pytest.mark.timeout(600), pytest.mark.asks_for("standin")]),
    ]
)
def caps(request: pytest.FixtureRequest) -> Iterator[Capabilities]:
    if request.param == "testbed":
        yield request.getfixturevalue("testbed_caps")
        return
    if request.param == "simulator":
        from scaletui.engine.simulator_set import open_simulator

        opened = open_simulator(SIM_PLATFORM, SIM_JOB, ConstantProfile(300.0), EventBus(), realtime=False)
    else:
        from scaletui.engine.local_set import local_capabilities

        backend = request.getfixturevalue("flink_job")
        opened = local_capabilities(backend, backend.bus)
    yield opened
    opened.close(stop_cluster=False)


def bus_of(caps: Capabilities) -> EventBus:
    bus = getattr(caps.cluster, "bus", None)
    assert isinstance(bus, EventBus), "every set's cluster reports on the bus the run loop listens to"
    return bus


def let_time_pass(caps: Capabilities, seconds: float) -> None:
    """A simulated clock moves only when slept on; on a wall clock, time passes by itself (waited here)."""
    if caps.virtual_time:
        caps.clock.sleep(seconds, threading.Event())
    else:
        time.sleep(min(seconds, 0.5))


def eventually(caps: Capabilities, condition: Callable[[], object], what: str, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    for _ in range(10_000):
        if condition():
            return
        if time.monotonic() > deadline:
            break
        let_time_pass(caps, 1.0)
    raise AssertionError(f"timed out waiting for {what}")


def test_cluster_lists_its_instances_and_the_job(caps: Capabilities) -> None:
    roles = {i.role for i in caps.cluster.instances()}
    assert {"jobmanager", "taskmanager"} <= roles
    job = caps.cluster.job()
    assert job is not None and "expensive" in job.parallelism


def test_metrics_are_published_and_the_latest_is_fresh(caps: Capabilities) -> None:
    seen: list[Event] = []
    unsubscribe = bus_of(caps).subscribe(seen.append, MetricsEvent)
    try:
        eventually(caps, lambda: len(seen) >= 2, "two samples published by the metrics source")
        eventually(
            caps,
            lambda: (s := caps.metrics.latest()).operators and not s.stale,
            "a fresh sample with per-operator metrics",
        )
    finally:
        unsubscribe()
    assert "expensive" in caps.metrics.latest().operators


def test_actuation_rescales_and_reports_its_downtime(caps: Capabilities) -> None:
    actuation = caps.require_actuation()
    job = caps.cluster.job()
    assert job is not None
    before = job.parallelism["expensive"]
    event = actuation.set_parallelism({"expensive": before + 1})
    try:
        assert event.kind == "parallelism" and event.ended is not None and event.ended >= event.started
        eventually(caps, lambda: (j := caps.cluster.job()) is not None and j.parallelism["expensive"] == before + 1,
                   "the new parallelism in the job")  # fmt: skip
    finally:
        actuation.set_parallelism({"expensive": before})


def test_actuation_grows_and_shrinks_the_taskmanagers(caps: Capabilities) -> None:
    actuation = caps.require_actuation()

    def taskmanagers() -> int:
        return sum(i.role == "taskmanager" and i.state == "running" for i in caps.cluster.instances())

    count = taskmanagers()
    grown = actuation.set_taskmanagers(count + 1)
    try:
        assert grown.kind == "taskmanagers" and grown.before == count and grown.after == count + 1
        eventually(caps, lambda: taskmanagers() == count + 1, "one more TaskManager running")
    finally:
        actuation.set_taskmanagers(count)
    eventually(caps, lambda: taskmanagers() == count, "the TaskManager removed")


def test_load_control_reaches_the_source_and_is_measured(caps: Capabilities) -> None:
    load = caps.require_load()
    assert load.how
    load.set_profile(ConstantProfile(180.0), caps.clock.now())
    try:
        load.tick(caps.clock.now())
        eventually(caps, lambda: abs((caps.metrics.latest().target_rate or 0) - 180.0) < 1e-6, "the new target")
        eventually(
            caps,
            lambda: abs((caps.metrics.latest().achieved_rate or 0.0) - 180.0) < 180.0 * 0.25,
            "the achieved rate near 180 records/s, as measured",
        )
    finally:
        load.set_profile(ConstantProfile(150.0), caps.clock.now())
        load.tick(caps.clock.now())


def test_latency_source_measures_between_the_nodes(caps: Capabilities) -> None:
    assert caps.latency is not None
    matrix = caps.latency.matrix()
    assert len(matrix.nodes) >= 2 and matrix.source
    assert any(v is not None for v in matrix.rtt_ms.values())


def test_what_a_set_lacks_is_said_and_refused_in_one_sentence(caps: Capabilities) -> None:
    missing = caps.missing()
    checks = (("job", caps.require_job, "job control"), ("load", caps.require_load, "load control"))
    for attribute, require, phrase in checks:
        if getattr(caps, attribute) is None:
            assert any(phrase in m for m in missing)
            with pytest.raises(UserError, match=caps.platform):
                require()
    assert ("no fault injection" in missing) == (not caps.faults)


def test_fault_backends_can_do_what_they_offer(caps: Capabilities) -> None:
    for backend in caps.faults:
        assert backend.name
        backend.check("kill")  # raises one sentence when it cannot; as root on this machine it can


def test_the_run_loop_drives_the_set_with_a_timeline(caps: Capabilities, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The same loop, the same steps, on every set: a hand rescale and a load change at their times."""
    from scaletui.session.store import SessionStore

    job = caps.cluster.job()
    assert job is not None
    before = job.parallelism["expensive"]
    steps: list[TimelineStep] = [
        RescaleStep(at=1.0, do="rescale", operator="expensive", parallelism=before + 1),
    ]
    if caps.load is not None:
        from scaletui.config.models import LoadStep

        steps.append(LoadStep(at=2.0, do="load", load=LoadSpec.model_validate({"profile": "constant", "rate": 170})))
    bus = bus_of(caps)
    loads: list[Event] = []
    unsubscribe = bus.subscribe(loads.append, LoadChanged)
    plan = RunPlan(
        name="contract",
        duration=6.0,
        job=SIM_JOB,
        load=LoadSpec.model_validate({"profile": "constant", "rate": 150}),
        profile=ConstantProfile(150.0),
        strategy=StrategySpec(),
        initial_strategy=None,
        steps=tuple(steps),
        submit_job=False,
    )

    def no_strategy(spec: StrategySpec) -> Strategy:
        raise AssertionError("no strategy in this plan")

    faults = FaultControl(journal(SessionStore.open(tmp_path / "s")), bus)
    run = Run(caps, plan, bus, faults, no_strategy, threading.Event())
    try:
        run.begin()
        run.run()
        assert run.elapsed() >= 6.0
        eventually(caps, lambda: (j := caps.cluster.job()) is not None and j.parallelism["expensive"] == before + 1,
                   "the timeline's rescale in the job")  # fmt: skip
        assert bool(loads) == (caps.load is not None)
    finally:
        unsubscribe()
        faults.close()
        caps.require_actuation().set_parallelism({"expensive": before})
