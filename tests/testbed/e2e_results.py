"""What a complete testbed e2e run (test_e2e.py) must leave, checked from its recorded files (run.json,
metrics.csv, faults.jsonl, ...) against what the testbed saw, and the figures it prints. Apart from the scenarios
because the headless and the TUI run are held to the same checks."""

from __future__ import annotations

import csv
import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.testbed.e2e_testbed import FAULT_AT, FAULT_LATE_S, MATRIX_SETTLE_S, STEP_AT, FlinkWatch, Testbed


def rows(run: Path, name: str) -> list[dict[str, str]]:
    with (run / name).open() as f:
        return list(csv.DictReader(f))


def jsonl(run: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run / name).read_text().splitlines() if line.strip()]


@dataclass
class Figures:
    step_s: float
    decision_s: float
    running_s: float
    flink_s: float | None
    matrix_before: float
    matrix_during: float
    p99_before: float | None
    p99_during: float | None
    injected_s: float
    expired_s: float
    end_s: float
    rescale: str
    """Where the scale-up's time went, from actuations.jsonl and the testbed side."""

    def line(self, face: str) -> str:
        p99 = (f"; p99 end-to-end {self.p99_before:.0f} -> {self.p99_during:.0f} ms"
               if self.p99_before is not None and self.p99_during is not None else "")  # fmt: skip
        flink = f" ({self.flink_s - self.step_s:.1f} s by Flink's REST API)" if self.flink_s is not None else ""
        return (f"E2E TESTBED ({face}): load step at {self.step_s:.1f} s; scale-up decision "
                f"{self.decision_s - self.step_s:.1f} s after it; expensive at 2 running "
                f"{self.running_s - self.step_s:.1f} s after it{flink}; scale-up: {self.rescale}; delay due at "
                f"{FAULT_AT:.0f} s, injected at {self.injected_s:.1f} s, expired at {self.expired_s:.1f} s, run ended "
                f"at {self.end_s:.1f} s; latency matrix (faulted nodes' pairs, median RTT) {self.matrix_before:.1f} "
                f"-> {self.matrix_during:.1f} ms under the NetworkChaos delay{p99}")  # fmt: skip


def rescale_timeline(actuations: list[dict[str, Any]], watch: FlinkWatch, bed: Testbed, origin: float) -> str:
    """Each actuation's issue, in effect and throughput back (the run loop waits for all three), and the new
    TaskManager pod as the testbed saw it (the Deployment at 2 replicas, the process launched, registered with the
    JobManager, the pod Ready), in seconds from the run's start."""

    def t(ts: float | None) -> str:
        return "-" if ts is None else f"{ts - origin:.1f}"

    parts = []
    for a in actuations:
        if a["message"] == "issued":
            continue
        back = a["started"] + a["downtime_s"] if a.get("downtime_s") is not None else None
        parts.append(f"{a['kind']} issued {t(a['started'])}, in effect {t(a.get('ended'))}, throughput back "
                     f"{t(back)} ({a['message']})")  # fmt: skip
    scaled = next((at for at, replicas in watch.replicas if replicas >= 2), None)
    starts = [(at, what) for at, _, what in bed.standin.start_priority if scaled is not None and at >= scaled - 1]
    launched = next((at for at, what in starts if what == "raised"), None)
    registered = next((at for at, what in starts if what == "normal"), None)
    parts.append(f"Deployment at 2 {t(scaled)}, pod 2 launched {t(launched)}, registered {t(registered)}, "
                 f"Ready {t(watch.first(ready=2))}")  # fmt: skip
    return "; ".join(parts)


def check_results(run: Path, watch: FlinkWatch, bed: Testbed) -> Figures:
    """What a complete testbed run leaves: throughput, latency, the decision and the rescale, the fault created,
    enacted and deleted, the latency matrix and every node's telemetry. Every window is the recorded one: the
    step where the rate service got it, the fault from its injection to its expiry, the run to its end."""
    meta = json.loads((run / "run.json").read_text())
    assert meta["status"] == "done", meta
    for name in ("metrics.csv", "latency.csv", "nodes.csv", "node_latency.csv", "decisions.jsonl",
                 "faults.jsonl", "actuations.jsonl", "report.md", "experiment.toml"):  # fmt: skip
        assert (run / name).is_file(), name
    metrics = rows(run, "metrics.csv")
    origin = statistics.median(float(r["ts"]) - float(r["t_s"]) for r in metrics)
    end = meta["ended_at"] - origin
    source = [r for r in metrics if r["operator"] == "source" and r["achieved_rate"] and r["stale"] == "0"]
    low = [float(r["achieved_rate"]) for r in source if 5 <= float(r["t_s"]) < STEP_AT]
    assert low and abs(statistics.median(low) - 100) <= 25, f"throughput before the step: {low}"
    stepped = [r for r in source if float(r["target_rate"] or 0) >= 600]
    assert stepped, "the load step never reached the rate service"
    step = float(stepped[0]["t_s"])
    assert max(float(r["achieved_rate"]) for r in stepped) > 300, "the throughput never rose after the step"

    decisions = jsonl(run, "decisions.jsonl")
    ups = [d for d in decisions if d["applied"] and d["parallelism"].get("expensive", 1) >= 2]
    assert ups, f"no scale-up of expensive: {[d['reason'] for d in decisions]}"
    decision = ups[0]["ts"] - origin  # stamped when it was made (rescale_s later its rescale ended)
    assert decision >= step - 1
    at_2 = [r for r in metrics if r["operator"] == "expensive" and r["parallelism"] == "2" and r["stale"] == "0"]
    assert at_2, "no sample of expensive running at 2"
    running = float(at_2[0]["t_s"])
    actuations = jsonl(run, "actuations.jsonl")
    assert any(a["kind"] == "taskmanagers" and a["after"] == 2 and a["ok"] for a in actuations), actuations
    assert any(a["kind"] == "parallelism" and a["ok"] for a in actuations), actuations
    assert 2 in [r for _, r in watch.replicas], f"the TaskManager Deployment never had 2 replicas: {watch.replicas}"
    assert watch.expensive_at_2 is not None, "Flink's REST API never showed expensive running at 2"
    rescale = rescale_timeline(actuations, watch, bed, origin)

    faults = jsonl(run, "faults.jsonl")
    assert [f["action"] for f in faults][0] == "injected", faults
    injected = faults[0]
    injected_t = injected["ts"] - origin
    over = [f for f in faults if f["fault_id"] == injected["fault_id"] and f["action"] in ("expired", "reverted")]
    assert over and faults[-1] is over[-1], faults
    expired_t = over[0]["ts"] - origin
    assert injected_t <= FAULT_AT + FAULT_LATE_S, (
        f"the delay due at {FAULT_AT:.0f} s was injected at {injected_t:.1f} s: the run loop held it ({rescale})"
    )
    assert over[0]["action"] == "expired", (
        f"the delay injected at {injected_t:.1f} s was reverted at {expired_t:.1f} s by the run's end ({end:.1f} s) "
        f"before it expired ({rescale})"
    )
    faulted = set(injected["targets"])
    assert faulted and all(t.startswith("flink-taskmanager-") for t in faulted), faulted
    enacted = [r for r in bed.standin.chaos.history if r.key.startswith("NetworkChaos/")
               and {t.name for t in r.fault.targets} >= faulted and r.enacted_at]  # fmt: skip
    assert enacted and all(r.lifted_at and not r.error for r in enacted), [(r.key, r.error) for r in enacted]
    assert bed.chaos() == [], "a Chaos Mesh resource was not deleted"

    nodes = rows(run, "nodes.csv")
    assert {"worker-1", "worker-2"} <= {r["node"] for r in nodes}, "no node telemetry from VictoriaMetrics"
    assert any(r["cpu_cores"] and r["memory_bytes"] for r in nodes)
    fault_nodes = {n for n in ("worker-1", "worker-2", "worker-3")
                   if any(r.fault.targets and n in {t.node for t in r.fault.targets} for r in enacted)}  # fmt: skip
    matrix = [r for r in rows(run, "node_latency.csv") if {r["a"], r["b"]} & fault_nodes and r["a"] != r["b"]]

    def median_rtt(lo: float, hi: float) -> float:
        values = [float(r["rtt_ms"]) for r in matrix if lo <= float(r["t_s"]) < hi]
        assert values, f"no latency matrix between {lo:.0f} and {hi:.0f} s (the run ended at {end:.0f} s)"
        return statistics.median(values)

    before = median_rtt(0, injected_t)
    during = median_rtt(injected_t + MATRIX_SETTLE_S, expired_t)
    assert during > before + 25, f"the delay did not show in the latency matrix: {before:.1f} -> {during:.1f} ms"

    latency = [r for r in rows(run, "latency.csv") if r["stat"] == "p99"]
    assert latency, "no end-to-end latency recorded"

    def p99(lo: float, hi: float) -> float | None:
        values = [float(r["latency_ms"]) for r in latency if lo <= float(r["t_s"]) < hi]
        return statistics.median(values) if values else None

    flink_s = watch.expensive_at_2 - origin if watch.expensive_at_2 else None
    return Figures(step, decision, running, flink_s, before, during, p99(injected_t - 15, injected_t),
                   p99(injected_t + 5, expired_t), injected_t, expired_t, end, rescale)  # fmt: skip


def newest_run(bed: Testbed, before: set[Path]) -> Path:
    runs = [p for p in runs_now(bed) if (p / "run.json").is_file() and p not in before]
    assert len(runs) == 1, runs
    return runs[0]


def runs_now(bed: Testbed) -> set[Path]:
    return set(bed.results.iterdir()) if bed.results.is_dir() else set()
