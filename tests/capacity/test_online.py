"""The online estimator fed with JobSample telemetry through the real EventBus."""

from __future__ import annotations

import pytest

from scaletui.capacity.config import CapacityConfig, TaskManagerSize
from scaletui.capacity.online import LiveCapacity
from scaletui.events import EventBus, MetricsEvent, Notice
from scaletui.metrics.model import JobSample, NodeSample

GIB = 1024**3
TM = TaskManagerSize(cpu=1, memory=GIB)


def publish(bus: EventBus, ts: float, nodes: dict[str, tuple[float, int]], stale: bool = False) -> None:
    sample = JobSample(
        ts=ts,
        stale=stale,
        nodes={
            name: NodeSample(node=name, cpu_cores=cpu, cpu_total=8.0, memory_bytes=mem, memory_total=16 * GIB)
            for name, (cpu, mem) in nodes.items()
        },
    )
    bus.publish(MetricsEvent(sample=sample))


@pytest.fixture
def live():
    bus = EventBus()
    capacity = LiveCapacity(CapacityConfig(strategy="percentile", percentile=100, scope=10, taskmanager=TM))
    capacity.attach(bus)
    yield bus, capacity
    capacity.close()


def test_estimates_follow_the_telemetry(live):
    bus, capacity = live
    capacity.set_taskmanagers("busy", 6)
    capacity.set_booked("idle", 2.0, 2.0 * GIB)
    for ts in range(0, 25):
        publish(bus, 1000.0 + ts, {"busy": (7.5, 12 * GIB), "idle": (0.5, GIB)})
    bus.publish(Notice(message="not metrics"))
    rows = {r.node: r for r in capacity.rows()}
    assert list(rows) == ["busy", "idle"] and capacity.nodes() == ["busy", "idle"]
    busy, idle = rows["busy"], rows["idle"]
    assert busy.scopes == 2 and busy.cpu is not None and busy.memory is not None
    assert busy.cpu.booked == 6.0 and busy.memory.booked == 6 * GIB
    assert busy.cpu.used == 7.5 and busy.cpu.seen_as_used == pytest.approx(7.5)
    assert busy.taskmanagers_fit == 0
    assert idle.cpu is not None and idle.cpu.free == pytest.approx(7.5) and idle.taskmanagers_fit == 7
    assert capacity.fits("idle") == 7 and capacity.fits("nowhere") is None
    assert capacity.fits("idle", TaskManagerSize(cpu=4, memory=GIB)) == 1


def test_before_any_scope_the_booking_decides(live):
    bus, capacity = live
    capacity.set_taskmanagers("w", 3)
    publish(bus, 0.0, {"w": (0.1, GIB)})
    assert capacity.fits("w") == 5  # 8 cores - 3 booked, no usage evidence yet
    publish(bus, 1.0, {"u": (0.1, GIB)})
    assert capacity.fits("u") == 0  # nothing booked is known: the whole node counts as taken


def test_placement_prefers_a_reserved_node_with_room_else_a_new_node(live):
    bus, capacity = live
    for node in ("a", "b"):
        capacity.set_taskmanagers(node, 1)
    for ts in range(0, 12):
        publish(bus, float(ts), {"a": (6.5, 2 * GIB), "b": (3.0, 2 * GIB)})
    advice = capacity.placement()
    assert (advice.node, advice.fits, advice.new_node_needed) == ("b", 5, False)
    assert capacity.placement(reserved=["a"]).node == "a"
    big = capacity.placement(TaskManagerSize(cpu=6, memory=GIB))
    assert big.new_node_needed and big.node is None and "no reserved node has room" in big.reason
    unseen = capacity.placement(reserved=["c"])
    assert unseen.new_node_needed and "c not measured yet" in unseen.reason


def test_stale_samples_are_skipped_and_close_unsubscribes(live):
    bus, capacity = live
    publish(bus, 0.0, {"s": (1.0, GIB)}, stale=True)
    assert capacity.nodes() == []
    capacity.close()
    publish(bus, 1.0, {"s": (1.0, GIB)})
    assert capacity.nodes() == []


def test_greedy_online_lowers_its_margin_as_the_node_stays_stable():
    bus = EventBus()
    capacity = LiveCapacity(CapacityConfig(strategy="greedy", scope=5, taskmanager=TM)).attach(bus)
    capacity.set_taskmanagers("w", 4)
    estimates = []
    for ts in range(0, 60):
        publish(bus, float(ts), {"w": (2.0 + (0.4 if ts % 2 else 0.0), 4 * GIB)})
        row = capacity.rows()[0]
        assert row.cpu is not None
        estimates.append(row.cpu.seen_as_used)
    # mean 2.2, std 0.2: k goes 5 -> 4 -> 3, so the estimate settles at 2.2 + 3 * 0.2 = 2.8
    assert estimates[0] == 4.0 and estimates[-1] == pytest.approx(2.8)
    assert capacity.fits("w") == 5
    capacity.close()
