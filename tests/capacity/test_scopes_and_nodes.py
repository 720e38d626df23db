"""Scopes cut on time, and a node's TaskManager count from its estimated free capacity."""

from __future__ import annotations

import pytest

from scaletui.capacity.config import CapacityConfig, TaskManagerSize
from scaletui.capacity.node import NodeCapacity
from scaletui.capacity.scopes import ScopeClock

GIB = 1024**3


def test_scopes_close_on_time_and_skip_empty_windows():
    clock = ScopeClock(10)
    closed = []
    for ts in (0, 4, 9.9, 10, 15, 42):
        closed += clock.add(ts, ts, None)
    assert [(s.index, s.start, s.end, s.cpu) for s in closed] == [(0, 0, 10, (0, 4, 9.9)), (1, 10, 20, (10, 15))]
    assert clock.open_index == 4
    last = clock.flush()
    assert last is not None and (last.index, last.start, last.cpu, last.memory) == (4, 40, (42,), ())
    assert clock.flush() is None


def test_late_samples_and_missing_values_are_ignored():
    clock = ScopeClock(10)
    clock.add(100, 1.0, 2.0)
    clock.add(111, None, 3.0)
    assert clock.add(105, 9.0, 9.0) == []  # older than the open scope
    done = clock.flush()
    assert done is not None and done.cpu == () and done.memory == (3.0,)


def test_node_counts_taskmanagers_on_the_tighter_resource():
    cfg = CapacityConfig(
        strategy="percentile", percentile=100, scope=10, taskmanager=TaskManagerSize(cpu=1, memory=2 * GIB)
    )
    node = NodeCapacity("w1", cfg, cpu_total=8, memory_total=16 * GIB)
    node.set_booked(0, 0)
    for ts in range(20):
        node.add(ts, 3.0, 9 * GIB)
    node.flush()
    row = node.row()
    assert row.cpu is not None and row.memory is not None
    assert row.cpu.seen_as_used == pytest.approx(3.0) and row.cpu.free == pytest.approx(5.0)
    assert row.memory.free == pytest.approx(7 * GIB)
    assert row.taskmanagers_fit == 3  # 5 by CPU, 3 by memory (7 GiB / 2 GiB)
    assert node.fits(TaskManagerSize(cpu=2, memory=GIB)) == 2
    assert row.scopes == 2 and row.cpu.used == 3.0


def test_node_without_any_size_answers_none_and_cpu_only_still_answers():
    cfg = CapacityConfig(scope=10)
    unknown = NodeCapacity("x", cfg)
    unknown.add(0, 1.0, None)
    assert unknown.fits() is None and unknown.row().cpu is None
    cpu_only = NodeCapacity("y", cfg, cpu_total=4)
    cpu_only.set_booked(1, None)
    assert cpu_only.fits(TaskManagerSize(cpu=1)) == 3
