"""How much a run's recording costs: a one-hour run (3600 one-second samples) recorded, closed and reported.

Prints per-sample cost of RunRecorder.record() beside a bare csv.writer writing the same rows (the floor), and the
time of each closing step. Usage: python benchmarks/results_recorder.py [--samples N] [--operators K]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

from scaletui.events import DecisionEvent, MetricsEvent
from scaletui.metrics.model import JobSample, NodeSample, OperatorSample
from scaletui.results.parquet import write_parquet_copies
from scaletui.results.recorder import RunRecorder
from scaletui.results.records import metrics_rows
from scaletui.results.report import write_report
from scaletui.results.rundata import load_run


def make_sample(start: float, step: int, operators: int) -> JobSample:
    ops = {
        f"op{i}": OperatorSample(
            f"op{i}", 1 + (step // 600) % 4, 32, 1000.0 + step % 7, 1000.0, 500.0, 10.0, 490.0, is_source=i == 0
        )
        for i in range(operators)
    }
    nodes = {f"tm-{i}": NodeSample(f"tm-{i}", 0.7, 2.0, 400_000_000, 1_073_741_824) for i in range(4)}
    return JobSample(
        ts=start + step,
        operators=ops,
        target_rate=1000.0,
        achieved_rate=990.0 + step % 20,
        latency_ms={"p50": 10.0, "p95": 20.0 + step % 5, "p99": 40.0 + step % 90},
        taskmanagers=4,
        total_slots=8,
        free_slots=3,
        nodes=nodes,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=3600)
    parser.add_argument("--operators", type=int, default=6)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="scaletui-bench-"))
    start = time.time() - args.samples
    samples = [make_sample(start, i, args.operators) for i in range(args.samples)]

    t0 = time.perf_counter()
    with (root / "bare.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        for s in samples:
            writer.writerows(metrics_rows(s, start))
    bare = time.perf_counter() - t0

    recorder = RunRecorder(root, "bench", experiment_name="bench", started_at=start)
    t0 = time.perf_counter()
    for i, s in enumerate(samples):
        recorder.record(MetricsEvent(ts=s.ts, sample=s))
        if i % 10 == 0:
            recorder.record(
                DecisionEvent(
                    ts=s.ts + 0.5,
                    strategy="ds2",
                    parallelism={"op1": 2},
                    taskmanagers=4,
                    reason="hold",
                    applied=i % 100 == 0,
                )
            )
    recording = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_dir = recorder.close(report=False, parquet=False)
    closing = time.perf_counter() - t0
    t0 = time.perf_counter()
    write_parquet_copies(run_dir)
    parquet = time.perf_counter() - t0
    t0 = time.perf_counter()
    data = load_run(run_dir)
    loading = time.perf_counter() - t0
    t0 = time.perf_counter()
    write_report(run_dir)
    report = time.perf_counter() - t0

    n = args.samples
    print(f"{n} samples x {args.operators} operators, 4 nodes, 3 latency stats; results in {run_dir}")
    print(f"record(): {recording / n * 1e6:8.1f} us/sample  (all files)     total {recording:6.2f} s")
    print(f"bare csv: {bare / n * 1e6:8.1f} us/sample  (metrics.csv only) total {bare:6.2f} s")
    print(f"ratio record()/bare metrics csv: {recording / bare:.1f}x")
    print(
        f"close (flush+fsync): {closing:.2f} s; parquet copies: {parquet:.2f} s; load_run: {loading:.2f} s "
        f"({len(data.ts)} steps); report + plots (incl. load): {report:.2f} s"
    )
    size = sum(p.stat().st_size for p in run_dir.rglob("*") if p.is_file())
    print(f"directory size: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
