"""The local platform measured in one run on this machine: real Flink on loopback, the default workload job.

Prints: cluster start time, job submit time, in-place rescale time (issued -> throughput back at target), savepoint
restart rescale time, metrics staleness after a rescale, and the highest sustainable rate per slot of the default
job (JobSpec defaults: 2 ms CPU per record in `expensive`), with the 2-slot figure beside it for the scaling ratio.

    .venv/bin/python benchmarks/local_flink.py [--cache ~/.cache/scaletui] [--max-rate 1500] [--step-s 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from scaletui.cluster.standalone.backend import LocalClusterBackend
from scaletui.config.models import JobSpec
from scaletui.errors import UserError
from scaletui.flink.cluster_config import ClusterSettings
from scaletui.metrics.model import JobSample

BUSY_LIMIT = 900.0  # ms/s: above this the expensive operator is saturated
RATE_SLACK = 0.05


def fresh_samples(backend: LocalClusterBackend, seconds: float) -> list[JobSample]:
    """Distinct non-stale samples over `seconds`."""
    out: list[JobSample] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        s = backend.sample()
        if not s.stale and (not out or s.ts != out[-1].ts):
            out.append(s)
        time.sleep(0.5)
    return out


def staleness_after_rescale(backend: LocalClusterBackend, parallelism: dict[str, int]) -> tuple[float, float]:
    """(rescale downtime, seconds from the change being in effect until every operator has a fresh rate again)."""
    event = backend.set_parallelism(parallelism)
    assert event.ended is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        s = backend.sample()
        complete = all(op.records_in_per_s is not None or op.is_source for op in s.operators.values())
        if complete and not s.stale and all(s.operators[n].parallelism == p for n, p in parallelism.items()):
            return event.downtime_s or float("nan"), time.time() - event.ended
        time.sleep(0.2)
    return event.downtime_s or float("nan"), float("nan")


def sustainable(backend: LocalClusterBackend, rate: float, step_s: float) -> tuple[bool, float, float, float]:
    """Hold `rate` for `step_s`; (sustained, achieved, expensive busy ms/s, expensive true rate per busy second)."""
    backend.set_target_rate(rate)
    time.sleep(min(4.0, step_s / 2))
    samples = fresh_samples(backend, step_s)
    achieved = [s.achieved_rate for s in samples if s.achieved_rate is not None]
    busy = [s.operators["expensive"].busy_ms_per_s for s in samples if s.operators["expensive"].busy_ms_per_s]
    seen = [s.operators["expensive"].records_in_per_s for s in samples]
    true_rates = [r * 1000.0 / b for r, b in zip(seen, busy, strict=False) if r and b]
    if not achieved or not busy:
        return False, float("nan"), float("nan"), float("nan")
    a, b = statistics.median(achieved), statistics.median(busy)
    t = statistics.median(true_rates) if true_rates else float("nan")
    return a >= (1 - RATE_SLACK) * rate and b <= BUSY_LIMIT, a, b, t


LADDER = (50, 100, 150, 200, 300, 400, 600, 800, 1000, 1200, 1500, 2000, 3000)


def ceiling(backend: LocalClusterBackend, max_rate: float, step_s: float) -> tuple[float, float]:
    """Highest sustained rate: a rising ladder to the first failure, then two bisection steps below it.

    Also returns the median processing capacity seen (records in per busy second), the DS2-style estimate."""
    best, failed, trues = 0.0, None, []

    def attempt(rate: float) -> bool:
        ok, achieved, busy, true_rate = sustainable(backend, rate, step_s)
        print(f"    target {rate:6.0f}/s  achieved {achieved:7.1f}/s  expensive busy {busy:5.0f} ms/s  ->"
              f" {'ok' if ok else 'saturated'}", flush=True)  # fmt: skip
        if true_rate == true_rate:
            trues.append(true_rate)
        return ok

    for rate in (r for r in LADDER if r <= max_rate):
        if not attempt(rate):
            failed = float(rate)
            break
        best = float(rate)
    for _ in range(2 if failed is not None else 0):
        middle = round((best + failed) / 2 / 10) * 10  # type: ignore[operator]
        if middle in (best, failed):
            break
        if attempt(middle):
            best = middle
        else:
            failed = middle
    return best, statistics.median(trues) if trues else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default="~/.cache/scaletui")
    parser.add_argument("--max-rate", type=float, default=1500.0)
    parser.add_argument("--step-s", type=float, default=10.0)
    args = parser.parse_args()
    spec = JobSpec(taskmanagers=2, slots_per_taskmanager=2, window_s=1.0)
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="scaletui-bench-") as tmp:
        backend = LocalClusterBackend.create(args.cache, Path(tmp), settings=ClusterSettings(slots_per_taskmanager=2))
        try:
            t = time.monotonic()
            backend.start(2)
            rows.append(("cluster start (JM + 2 TMs registered)", f"{time.monotonic() - t:.1f} s"))
            backend.prepare_job()
            t = time.monotonic()
            backend.submit_job(spec, rate=200.0)
            rows.append(("job submit -> all vertices RUNNING", f"{time.monotonic() - t:.2f} s"))
            t = time.monotonic()
            while backend.sample().achieved_rate is None and time.monotonic() - t < 60:
                time.sleep(0.2)
            rows.append(("job running -> first measured rate", f"{time.monotonic() - t:.1f} s"))
            fresh_samples(backend, 5)
            up, stale_up = staleness_after_rescale(backend, {"expensive": 2})
            fresh_samples(backend, 5)
            down, stale_down = staleness_after_rescale(backend, {"expensive": 1})
            rows.append(("in-place rescale 1->2 (issued -> throughput at target)", f"{up:.2f} s"))
            rows.append(("in-place rescale 2->1 (issued -> throughput at target)", f"{down:.2f} s"))
            rows.append(("metrics staleness after rescale 1->2 / 2->1", f"{stale_up:.2f} s / {stale_down:.2f} s"))
            fresh_samples(backend, 5)
            sp = backend.savepoint_restart({"expensive": 2})
            rows.append(
                ("savepoint-restart rescale 1->2 (issued -> at target)", f"{sp.downtime_s or float('nan'):.2f} s")
            )
            backend.set_parallelism({"expensive": 1})
            print("  ladder, expensive at parallelism 1:", flush=True)
            one, true_one = ceiling(backend, args.max_rate, args.step_s)
            backend.set_target_rate(100.0)
            backend.set_parallelism({"expensive": 2})
            print("  ladder, expensive at parallelism 2:", flush=True)
            two, true_two = ceiling(backend, args.max_rate, args.step_s)
            rows.append(("highest sustainable rate, 1 slot (2 ms/record)", f"{one:.0f} records/s"))
            rows.append(("  processing capacity per busy second, 1 slot", f"{true_one:.0f} records/s"))
            rows.append(("highest sustainable rate, 2 slots", f"{two:.0f} records/s ({two / one if one else 0:.2f}x)"))
            rows.append(("  processing capacity per busy second, 2 slots", f"{true_two:.0f} records/s"))
        except UserError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        finally:
            backend.stop()
    width = max(len(k) for k, _ in rows)
    print("\nlocal Flink on this machine")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
