"""Property: whatever the usage and the booking, no strategy's estimate leaves [0, size], so free stays in it too."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scaletui.capacity.config import CapacityConfig
from scaletui.capacity.node import NodeCapacity

STRATEGIES = ["percentile", "doa", "greedy", "nsigma", "fixed-ratio"]

usage = st.lists(st.floats(min_value=0, max_value=64, allow_nan=False), min_size=1, max_size=200)


@settings(max_examples=150, deadline=None)
@given(
    strategy=st.sampled_from(STRATEGIES),
    stability=st.sampled_from(["mean", "percentile"]),
    size=st.floats(min_value=0.5, max_value=32),
    booked=st.one_of(st.none(), st.floats(min_value=0, max_value=128)),
    values=usage,
    scope=st.integers(min_value=1, max_value=20),
    history=st.integers(min_value=1, max_value=6),
    percentile=st.floats(min_value=0, max_value=100),
)
def test_estimate_stays_within_the_node(strategy, stability, size, booked, values, scope, history, percentile):
    cfg = CapacityConfig(
        strategy=strategy, scope=scope, history_scopes=history, percentile=percentile, stability={"test": stability}
    )
    node = NodeCapacity("n", cfg, cpu_total=size, memory_total=size)
    node.set_booked(booked, booked)
    for ts, v in enumerate(values):
        node.add(float(ts), v, v)
        for est in (node.cpu, node.memory):
            assert est is not None and 0.0 <= est.estimate <= size and 0.0 <= est.free <= size
    node.flush()
    for est in (node.cpu, node.memory):
        assert est is not None
        for record in est.records:
            assert 0.0 <= record.estimate <= size and 0.0 <= record.estimate_before <= size
    fits = node.fits()
    assert fits is not None and fits >= 0
