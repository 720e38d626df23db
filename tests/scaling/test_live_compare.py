"""The short version of `benchmarks/scaling.py --live` on the session's real Flink cluster: one strategy, a load
step, live and on the simulator, the side-by-side table. The full comparison (four strategies, a step and a spike,
ten minutes each) is CPU-sensitive and runs by hand; its figures are in the issue's closing note."""

from __future__ import annotations

import sys
from pathlib import Path

from scaletui.cluster.simulator.model import local_config
from scaletui.events import EventBus
from scaletui.scaling.registry import create_strategy

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from scaling_live import compare  # noqa: E402

SECONDS = 50.0
"""The step at 10 s saturates the job's one slot of expensive at once; predictive decides at its next round and
the restart is over in seconds, so 50 s hold the rescale, its restart and the samples after it."""


def test_live_and_simulated_step_side_by_side(flink_job) -> None:  # type: ignore[no-untyped-def]
    # the test job costs 0.5 ms per record: one slot takes ~1800 r/s alone, less on a busy machine; 3000 saturates it
    text, results = compare(
        flink_job,
        EventBus(),
        ["predictive"],
        lambda name: create_strategy(name),
        low=150.0,
        high=3000.0,
        seconds=SECONDS,
        slo_ms=1000.0,
        config=local_config(cost_ms=0.5, taskmanagers=2),
        loads=("step",),
        at=10.0,
    )
    sim, live = results["step"]
    assert "simulator (local_config) | real local Flink" in text and "ranking agreement: 100%" in text
    row = [line for line in text.splitlines() if line.startswith("predictive")][0].split()
    assert len(row) == 11  # strategy, rank, SLO-viol s, slot-s, rescales for each side, throughput, other CPU
    assert live[0].other_cpu is not None and 0.0 <= live[0].other_cpu <= 1.0 and sim[0].other_cpu is None
    # a p99 at least every 5 s of the run (a loaded machine samples less often than once a second)
    assert len(live[0].p99) >= SECONDS / 5 and any(v is not None for v in live[0].p99)
    assert live[0].rescales >= 1 and max(live[0].slots) > 1, "the saturating step was not scaled up live"
    # the restart is measured: samples go on while a rescale holds the control loop, and its seconds (as the platform
    # timed the actuation) count against the SLO even where a one-second sample missed the sub-second restart
    assert len(live[0].restarts) == live[0].rescales, (live[0].restarts, live[0].decisions)
    begin, end = live[0].restarts[0]  # from the second of the tick's last sample to the recovery
    assert live[0].rescaled_at[0] - 1 <= begin <= end < len(live[0].p99), (live[0].rescaled_at, live[0].restarts)
    assert all(g >= end - begin + 1 for g in live[0].gaps()[:1]) and live[0].slo_s(1e9) >= end - begin + 1
    assert sim[0].rescales >= 1 and max(sim[0].slots) > 1
