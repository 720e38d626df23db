"""Capacity strategies side by side: free capacity found against violations, on generated and replayed traces.

For each trace (increasing, decreasing, periodic, bursty; plus each --replay file, and --record-host's recording of
this machine's own telemetry) every strategy replays the same series. A strategy's score per resource is the mean
free capacity it claimed during each scope (percent of the node's size) and its violations: scopes whose peak usage
went above the estimate in force during them. The table goes to stdout, the figures to --out.

    .venv/bin/python benchmarks/capacity.py [--replay run.csv ...] [--record-host 600] [--out benchmarks/out]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scaletui.capacity.config import CapacityConfig
from scaletui.capacity.offline import ResourceOutcome, replay, score
from scaletui.capacity.traces import NodeSeries, Trace, load_trace, write_csv
from scaletui.errors import UserError

GIB = 1024**3
CPU_SIZE, MEM_SIZE = 32.0, 128.0 * GIB
KINDS = ("increasing", "decreasing", "periodic", "bursty")
STRATEGIES: dict[str, dict] = {
    "percentile-95": {"strategy": "percentile", "percentile": 95},
    "percentile-99": {"strategy": "percentile", "percentile": 99},
    "doa": {"strategy": "doa"},
    "greedy": {"strategy": "greedy"},
    "greedy(p90-test)": {"strategy": "greedy", "stability": {"test": "percentile"}},
    "nsigma-3": {"strategy": "nsigma", "nsigma": 3},
    "fixed-2": {"strategy": "fixed-ratio", "fixed_ratio": 2},
}


def _level(kind: str, x: np.ndarray, rng: np.random.Generator, per_scope: int) -> tuple[np.ndarray, np.ndarray]:
    """Base CPU and memory use as fractions of the size, before noise; x runs from 0 to 1 over the trace."""
    if kind == "increasing":
        return 0.1 + 0.8 * x, 0.2 + 0.6 * x
    if kind == "decreasing":
        return 0.9 - 0.8 * x, 0.8 - 0.6 * x
    if kind == "periodic":
        scopes = x * (len(x) / per_scope)
        wave = np.sin(2 * math.pi * scopes / 24)
        return 0.5 + 0.3 * wave, 0.5 + 0.15 * wave
    cpu, mem = np.full(len(x), 0.3), np.full(len(x), 0.4)
    i = 0
    while i < len(x):
        if rng.random() < 0.006:
            length = int(rng.integers(3, 20))
            cpu[i : i + length] = rng.uniform(0.85, 0.95)
            mem[i : i + 4 * length] += 0.2
            i += length
        i += 1
    return cpu, mem


def generate(
    kind: str, nodes: int = 4, scopes: int = 200, per_scope: int = 30, step_s: float = 10.0, seed: int = 0
) -> Trace:
    """`nodes` series of `scopes` × `per_scope` samples; each node fully booked (1:1) with its own noise."""
    out = {}
    for n in range(nodes):
        rng = np.random.default_rng([seed, KINDS.index(kind), n])
        count = scopes * per_scope
        x = np.linspace(0.0, 1.0, count)
        cpu, mem = _level(kind, x, rng, per_scope)
        cpu = np.clip(cpu + rng.normal(0, 0.03, count), 0, 1) * CPU_SIZE
        mem = np.clip(mem + rng.normal(0, 0.01, count), 0, 1) * MEM_SIZE
        name = f"{kind}-{n}"
        out[name] = NodeSeries(
            name,
            tuple(float(t) for t in np.arange(count) * step_s),
            tuple(float(v) for v in cpu),
            tuple(float(v) for v in mem),
            CPU_SIZE,
            MEM_SIZE,
            CPU_SIZE,
            MEM_SIZE,
        )
    return Trace(f"generated:{kind}", out)


def _proc_cpu() -> tuple[float, float]:
    fields = [float(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return sum(fields[:8]) - idle, sum(fields[:8])


def _proc_memory() -> tuple[float, float]:
    info = {
        line.split(":")[0]: float(line.split()[1]) * 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.split(":")[0] in ("MemTotal", "MemAvailable")
    }
    return info["MemTotal"] - info["MemAvailable"], info["MemTotal"]


def record_host(path: Path, seconds: float, period_s: float = 1.0) -> Path:
    """Sample this machine's CPU (cores busy, from /proc/stat) and memory (total − available) into a CSV trace."""
    import os

    cores = float(os.cpu_count() or 1)
    ts: list[float] = []
    cpu: list[float | None] = []
    memory: list[float | None] = []
    mem_total = 0.0
    busy0, total0 = _proc_cpu()
    deadline = time.monotonic() + seconds
    for _ in range(int(seconds / period_s) + 1):
        if time.monotonic() >= deadline:
            break
        time.sleep(period_s)
        busy1, total1 = _proc_cpu()
        cpu.append(cores * (busy1 - busy0) / (total1 - total0) if total1 > total0 else None)
        busy0, total0 = busy1, total1
        mem, mem_total = _proc_memory()
        memory.append(mem)
        ts.append(time.time())
    series = NodeSeries("host", tuple(ts), tuple(cpu), tuple(memory), cores, mem_total)
    return write_csv(Trace("host", {"host": series}), path)


@dataclass(frozen=True)
class Score:
    trace: str
    strategy: str
    resource: str
    free_pct: float
    violations: int
    scopes: int

    @property
    def violation_pct(self) -> float:
        return 100.0 * self.violations / self.scopes if self.scopes else 0.0


SWEEP: dict[str, dict] = {
    **{f"percentile-{p:g}": {"strategy": "percentile", "percentile": p} for p in (90, 95, 99, 100)},
    **{f"nsigma-{n:g}": {"strategy": "nsigma", "nsigma": n} for n in (2, 3, 3.5, 4, 5)},
    "greedy": {"strategy": "greedy"},
}


def evaluate(
    trace: Trace, scope_s: float, history: int, strategies: dict[str, dict] | None = None
) -> tuple[list[Score], dict[str, list[ResourceOutcome]]]:
    scores, outcomes = [], {}
    for label, settings in (strategies or STRATEGIES).items():
        config = CapacityConfig(scope=scope_s, history_scopes=history, **settings)
        found = score(replay(trace, config))
        outcomes[label] = found
        for resource in ("cpu", "memory"):
            mine = [o for o in found if o.resource == resource]
            if not mine:
                continue
            scopes = sum(o.scopes for o in mine)
            free = sum(o.mean_free_ratio * o.scopes for o in mine) / scopes
            scores.append(Score(trace.source, label, resource, 100.0 * free, sum(o.violations for o in mine), scopes))
    return scores, outcomes


def sweep(traces: list[Trace], history: int) -> str:
    """Free capacity against violations as percentile's p and nsigma's n vary, pooled over the generated traces:
    where greedy sits relative to the curves the fixed-parameter strategies trace."""
    scores: list[Score] = []
    for trace in traces:
        scores += evaluate(trace, 300.0, history, SWEEP)[0]
    pooled = summary(scores, [t.source for t in traces], "all generated")
    lines = [
        f"{'sweep (all generated)':<26} {'strategy':<17} {'cpu free%':>9} {'cpu viol%':>9} {'mem free%':>9} "
        f"{'mem viol%':>9}"
    ]
    for label in SWEEP:
        cpu, mem = (next(s for s in pooled if s.strategy == label and s.resource == r) for r in ("cpu", "memory"))
        lines.append(
            f"{'':<26} {label:<17} {cpu.free_pct:>9.1f} {cpu.violation_pct:>9.1f} {mem.free_pct:>9.1f} "
            f"{mem.violation_pct:>9.1f}"
        )
    return "\n".join(lines)


def table(scores: list[Score]) -> str:
    by_key = {(s.trace, s.strategy, s.resource): s for s in scores}
    traces = list(dict.fromkeys(s.trace for s in scores))
    head = f"{'trace':<26} {'strategy':<17} {'cpu free%':>9} {'cpu viol':>13} {'mem free%':>9} {'mem viol':>13}"
    lines = [head, "-" * len(head)]

    def cells(s: Score | None) -> str:
        if s is None:
            return f"{'-':>9} {'-':>13}"
        return f"{s.free_pct:>9.1f} {f'{s.violations}/{s.scopes} {s.violation_pct:4.1f}%':>13}"

    for trace in traces:
        for label in dict.fromkeys(s.strategy for s in scores):
            cpu, mem = by_key.get((trace, label, "cpu")), by_key.get((trace, label, "memory"))
            if cpu or mem:
                lines.append(f"{trace:<26} {label:<17} {cells(cpu)} {cells(mem)}")
    return "\n".join(lines)


def summary(scores: list[Score], traces: list[str], name: str) -> list[Score]:
    """Pooled over `traces`: scope-weighted free capacity and total violations, per strategy and resource."""
    out = []
    for label in dict.fromkeys(s.strategy for s in scores):
        for resource in ("cpu", "memory"):
            mine = [s for s in scores if s.strategy == label and s.resource == resource and s.trace in traces]
            scopes = sum(s.scopes for s in mine)
            if scopes:
                free = sum(s.free_pct * s.scopes for s in mine) / scopes
                out.append(Score(name, label, resource, free, sum(s.violations for s in mine), scopes))
    return out


def plot(scores: list[Score], timelines: dict[str, dict[str, list[ResourceOutcome]]], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    traces = list(dict.fromkeys(s.trace for s in scores))
    labels = list(STRATEGIES)
    fig, axes = plt.subplots(2, 1, figsize=(12, 7), sharex=True)
    width = 0.8 / len(labels)
    for i, label in enumerate(labels):
        cpu = {s.trace: s for s in scores if s.strategy == label and s.resource == "cpu"}
        xs = [t + i * width for t in range(len(traces))]
        axes[0].bar(xs, [cpu[t].free_pct if t in cpu else 0 for t in traces], width, label=label)
        axes[1].bar(xs, [cpu[t].violation_pct if t in cpu else 0 for t in traces], width, label=label)
    axes[0].set_ylabel("mean free CPU (% of size)")
    axes[1].set_ylabel("CPU violations (% of scopes)")
    axes[1].set_xticks([t + 0.4 - width / 2 for t in range(len(traces))], traces, rotation=15)
    axes[0].legend(ncol=4, fontsize=8)
    fig.suptitle("Capacity strategies: free capacity found vs violations (CPU)")
    fig.tight_layout()
    paths = [out / "capacity-summary.png"]
    fig.savefig(paths[0], dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(len(timelines), 1, figsize=(12, 2.6 * len(timelines)), squeeze=False)
    for ax, (trace, outcomes) in zip(axes[:, 0], timelines.items(), strict=True):
        first = outcomes["greedy"][0]
        ax.plot(
            [r.index for r in first.records],
            [r.peak / r.size * 100 for r in first.records],
            "k.",
            ms=3,
            label=f"peak use ({first.node})",
        )
        for label in ("percentile-95", "doa", "greedy"):
            rec = next(o for o in outcomes[label] if o.node == first.node and o.resource == "cpu").records
            ax.step(
                [r.index for r in rec],
                [r.estimate_before / r.size * 100 for r in rec],
                where="post",
                label=f"{label} seen as used",
            )
        ax.set_title(trace, fontsize=9)
        ax.set_ylabel("% of CPU")
        ax.legend(fontsize=7, ncol=4, loc="upper right")
    axes[-1, 0].set_xlabel("scope")
    fig.tight_layout()
    paths.append(out / "capacity-timelines.png")
    fig.savefig(paths[1], dpi=110)
    plt.close(fig)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    parser.add_argument("--replay", type=Path, action="append", default=[], help="a CSV/JSON trace to replay")
    parser.add_argument("--replay-scope", type=float, default=60.0, help="scope length (s) for replayed traces")
    parser.add_argument(
        "--record-host",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="first record this machine's telemetry for SECONDS, then replay it",
    )
    parser.add_argument("--scopes", type=int, default=200, help="scopes per generated trace")
    parser.add_argument("--nodes", type=int, default=4, help="nodes per generated trace")
    parser.add_argument("--history", type=int, default=4, help="history window in scopes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--sweep", action="store_true", help="also vary percentile's p and nsigma's n")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    traces: list[tuple[Trace, float]] = [(generate(k, args.nodes, args.scopes, seed=args.seed), 300.0) for k in KINDS]
    replays = list(args.replay)
    if args.record_host > 0:
        path = args.out / "host-telemetry.csv"
        path.unlink(missing_ok=True)
        print(f"recording this machine's telemetry for {args.record_host:g} s into {path}", file=sys.stderr)
        replays.append(record_host(path, args.record_host))
    try:
        traces += [(Trace(f"replay:{p.name}", load_trace(p).nodes), args.replay_scope) for p in replays]
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    scores: list[Score] = []
    timelines = {}
    for trace, scope_s in traces:
        found, outcomes = evaluate(trace, scope_s, args.history)
        scores += found
        timelines[trace.source] = outcomes
    generated = [f"generated:{k}" for k in KINDS]
    print(table(scores + summary(scores, generated, "all generated")))
    if args.sweep:
        print()
        print(sweep([t for t, _ in traces[: len(KINDS)]], args.history))
    if not args.no_plot:
        for path in plot(scores, timelines, args.out):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
