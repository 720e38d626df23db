"""The --live part of benchmarks/scaling.py: the same strategies on real local Flink and on the simulator calibrated
to this machine, the same short loads, both rankings side by side.

Loads (rates for the workload job's expensive operator at --live-cost-ms on this 2-core machine): a step from
--live-low to --live-high a minute in, and a spike to --live-high for a minute every three. Each strategy starts
at parallelism 1 with 2 TaskManagers x 2 slots and is driven by the app's control loop (a decision every 10 s over
a 10 s window, 20 s cooldown) on the wall clock live and on simulated time in the simulator
(`model.local_config`, 2 TaskManagers). Per run: SLO-violation seconds (p99 above --slo-ms, unmeasured, or live
within a rescale's actuation, until throughput is back at the target) and slot-seconds (the widest operator's
parallelism each second).

Ranking: by how many other strategies dominate a strategy beyond run-to-run noise (no worse than it beyond the noise
on both measures, better beyond it on one), then by SLO-violation seconds, then by slot-seconds. Agreement: the
share of strategy pairs the two rankings order the same way, leaving out pairs tied live (within the noise on both
measures): a place between two strategies 1 SLO second and 2 slot-seconds apart says nothing about either.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from other_cpu import OtherCpu

from scaletui.cluster.simulator import SimulatedCluster
from scaletui.cluster.simulator.model import SimConfig, local_config
from scaletui.config.models import JobSpec, StrategySpec
from scaletui.events import DecisionEvent, EventBus
from scaletui.scaling.controller import ScalingController
from scaletui.workload.profiles import LoadProfile, SpikeProfile, StepProfile

TIE_SLO_S = 5
"""SLO-violation seconds two runs may differ by and still tie (one rescale's restart more or less) ..."""
TIE_SLO_SHARE = 0.1
"""... or this share of the larger."""
TIE_SLOT_SHARE = 0.03
"""Slot-seconds two runs may differ by, as a share of the larger, and still tie (30-35 in a 10-minute run at about 2
slots: one slot more for half a minute, a rescale two or three decisions later)."""
GAP_START_S = 10
"""Seconds after a decision within which its restart's gap in latency must start to count as its own."""
BUSY_MACHINE = 0.1
"""Share of the CPU other work may take during a live run before the table warns that its figures do not compare
(on 2026-12-06, with test suites beside it at a load average of 5-7, the step broke the SLO 7-30x longer than on a
quiet machine)."""
LOOP = {"interval": 10, "window": 10, "cooldown": 20, "max_parallelism": 4, "max_taskmanagers": 2, "max_slots": 4}


@dataclass
class Outcome:
    strategy: str
    load: str
    p99: list[float | None] = field(default_factory=list)
    slots: list[int] = field(default_factory=list)
    achieved: list[float | None] = field(default_factory=list)
    target: list[float] = field(default_factory=list)
    decisions: list[DecisionEvent] = field(default_factory=list)
    rescaled_at: list[int] = field(default_factory=list)
    """Second (index into the series) of each applied decision."""
    restarts: list[tuple[int, int]] = field(default_factory=list)
    """Live only: per applied decision, the first and last second of its actuation, from issuing the change until
    throughput was back at the target (the decision's `rescale_s`, which the platform measures). An in-place rescale
    stops the job for under a second and Flink's metric store goes on serving the old attempt's figures for a few, so
    one-second samples alone can miss it; the simulator's actuations take no time and its samples show the restart."""
    other_cpu: float | None = None
    """Live only: the share of this machine's CPU time that processes other than the cluster and this benchmark
    took during the run. Work beside it lowers the job's capacity: its figures are not a quiet machine's."""

    def gaps(self) -> list[int]:
        """Per rescale, the seconds the job was restarting or without a latency figure: its actuation's seconds
        (live), then the first run of seconds without a latency figure (no window result yet) that starts within
        `GAP_START_S` of the decision or of the actuation's end, or 0."""
        out = []
        spans = dict(zip(self.rescaled_at, self.restarts))
        for i in self.rescaled_at:
            begin, end = spans.get(i, (i, i - 1))
            first = next((j for j in range(i, min(end + 1 + GAP_START_S, len(self.p99))) if self.p99[j] is None), None)
            unmeasured = set(range(begin, end + 1))
            while first is not None and first < len(self.p99) and self.p99[first] is None:
                unmeasured.add(first)
                first += 1
            out.append(len(unmeasured))
        return out

    def unmeasured(self) -> set[int]:
        """Seconds the job was being rescaled (live actuations)."""
        return {s for begin, end in self.restarts for s in range(begin, end + 1)}

    def slo_s(self, slo_ms: float) -> int:
        restarting = self.unmeasured()
        return sum(1 for i, v in enumerate(self.p99) if v is None or v > slo_ms or i in restarting)

    @property
    def slot_s(self) -> int:
        return sum(self.slots)

    @property
    def rescales(self) -> int:
        return sum(1 for d in self.decisions if d.applied)

    @property
    def throughput(self) -> float | None:
        pairs = [(a, t) for a, t in zip(self.achieved, self.target) if a is not None and t > 0]
        wanted = sum(t for _, t in pairs)
        return sum(a for a, _ in pairs) / wanted if wanted else None


def live_loads(low: float, high: float, at: float = 60.0) -> dict[str, LoadProfile]:
    return {
        "step": StepProfile(low, ((at, high),)),
        "spike": SpikeProfile(low, high, at=at, duration=60.0, every=180.0),
    }


def simulate(
    name: str, load: str, profile: LoadProfile, config: SimConfig, seconds: float, make: Callable[[str], Any]
) -> Outcome:
    sim = SimulatedCluster(config, profile)
    bus = EventBus()
    out = Outcome(name, load)
    bus.subscribe(lambda e: out.decisions.append(e), DecisionEvent)  # type: ignore[arg-type]
    spec = StrategySpec.model_validate({"name": name.rstrip("*"), **LOOP})
    ctl = ScalingController(sim, make(name), spec, bus, clock=sim.clock)
    cancel = threading.Event()
    while sim.now < seconds:
        before = out.rescales
        ctl.tick()
        if out.rescales > before:
            out.rescaled_at.append(len(out.p99))
        sample = sim.sample()
        out.p99.append(sample.latency_ms.get("p99"))
        out.slots.append(max(sim.engine.parallelism.values()))
        out.achieved.append(sample.achieved_rate)
        out.target.append(sim.target_rate())
        sim.clock.sleep(1.0, cancel)
    return out


def run_live(
    backend: Any, bus: EventBus, name: str, load: str, profile: LoadProfile, seconds: float, make: Any
) -> Outcome:
    """One strategy on the running workload job: back to parallelism 1 on 2 TaskManagers, then the load."""
    info = backend.job()
    reset = {op.name: 1 for op in info.operators if op.parallelism != 1} if info else {}
    if reset:
        backend.set_parallelism(reset)
    if len(backend.cluster.taskmanager_names()) != 2:
        backend.set_taskmanagers(2)
    backend.set_target_rate(profile.rate_at(0))
    _wait_fresh(backend, 30.0)
    out = Outcome(name, load)
    unsubscribe = bus.subscribe(lambda e: out.decisions.append(e), DecisionEvent)  # type: ignore[arg-type]
    spec = StrategySpec.model_validate({"name": name.rstrip("*"), **LOOP})
    controller = ScalingController(backend, make(name), spec, bus)
    start, wall = time.monotonic(), time.time()
    stop = threading.Event()

    def sample_every_second() -> None:
        """The load and the samples on their own clock: a rescale holds the control loop's tick until the restarted
        job runs again, and those seconds (the restart, the catch-up) must be measured like any other."""
        for second in range(int(seconds)):
            if stop.is_set():
                break
            rate = profile.rate_at(time.monotonic() - start)
            backend.set_target_rate(rate)
            sample = backend.sample()
            out.p99.append(None if sample.stale else sample.latency_ms.get("p99"))
            out.slots.append(max(sample.parallelism.values(), default=1))
            out.achieved.append(sample.achieved_rate)
            out.target.append(rate)
            stop.wait(max(0.0, start + second + 1 - time.monotonic()))

    cpu = OtherCpu()
    cpu.sample(backend)
    sampler = threading.Thread(target=sample_every_second, name="live-samples", daemon=True)
    sampler.start()
    try:
        while sampler.is_alive():
            before, at = out.rescales, len(out.p99)
            controller.tick()
            if out.rescales > before:
                out.rescaled_at.append(at)
            cpu.sample(backend)
            stop.wait(max(0.0, start + len(out.p99) + 1 - time.monotonic()))
    finally:
        stop.set()
        sampler.join(timeout=30.0)
        unsubscribe()
    out.other_cpu = cpu.share
    out.restarts = [_seconds(d, wall, len(out.p99)) for d in out.decisions if d.applied]
    return out


def _seconds(decision: DecisionEvent, wall: float, length: int) -> tuple[int, int]:
    """The first and last second (index into the series) of a decision's actuation: it began at the decision's
    time and ended `rescale_s` after it."""
    end = min(length - 1, int(decision.ts + (decision.rescale_s or 0.0) - wall))
    return min(end, int(decision.ts - wall)), end


def _wait_fresh(backend: Any, seconds: float) -> None:
    """Until the job reports fresh metrics with a source rate (after a rescale or submit), or `seconds` pass."""
    deadline = time.monotonic() + seconds
    pause = threading.Event()
    while time.monotonic() < deadline:
        s = backend.sample()
        if not s.stale and s.achieved_rate:
            return
        pause.wait(0.5)


def ranking(outcomes: list[Outcome], slo_ms: float) -> dict[str, int]:
    """Strategy -> rank (1 best): how many others dominate it beyond noise (`dominates`), then SLO-violation
    seconds, then slot-seconds."""
    order = sorted(
        outcomes,
        key=lambda o: (sum(1 for x in outcomes if dominates(x, o, slo_ms)), o.slo_s(slo_ms), o.slot_s),
    )
    return {o.strategy: i + 1 for i, o in enumerate(order)}


def _measures(x: Outcome, y: Outcome, slo_ms: float) -> tuple[tuple[float, float, bool], ...]:
    """(x's, y's, within noise of each other) for SLO-violation seconds and for slot-seconds."""
    sx, sy = x.slo_s(slo_ms), y.slo_s(slo_ms)
    return (
        (sx, sy, abs(sx - sy) <= max(TIE_SLO_S, TIE_SLO_SHARE * max(sx, sy))),
        (x.slot_s, y.slot_s, abs(x.slot_s - y.slot_s) <= TIE_SLOT_SHARE * max(x.slot_s, y.slot_s)),
    )


def dominates(x: Outcome, y: Outcome, slo_ms: float) -> bool:
    """x is no worse than y beyond noise on both measures and better beyond it on one (epsilon-dominance): 3 SLO
    seconds less on 22 % more slot-seconds does not put a strategy ahead."""
    measures = _measures(x, y, slo_ms)
    return all(a <= b or close for a, b, close in measures) and any(a < b and not close for a, b, close in measures)


def tied(x: Outcome, y: Outcome, slo_ms: float) -> bool:
    """Within run-to-run noise of each other on both SLO-violation seconds and slot-seconds."""
    return all(close for _, _, close in _measures(x, y, slo_ms))


def ties(outcomes: list[Outcome], slo_ms: float) -> set[frozenset[str]]:
    return {frozenset((x.strategy, y.strategy)) for x, y in combinations(outcomes, 2) if tied(x, y, slo_ms)}


def agreement(a: dict[str, int], b: dict[str, int], leave_out: AbstractSet[frozenset[str]] = frozenset()) -> float:
    """The share of strategy pairs both rankings order the same way, of those not in `leave_out` (pairs tied live,
    whose order there is noise)."""
    pairs = [(x, y) for x, y in combinations(sorted(a), 2) if frozenset((x, y)) not in leave_out]
    if not pairs:
        return 1.0
    return sum(1 for x, y in pairs if (a[x] < a[y]) == (b[x] < b[y])) / len(pairs)


def side_by_side(load: str, sim: list[Outcome], live: list[Outcome], slo_ms: float) -> str:
    rs, rl = ranking(sim, slo_ms), ranking(live, slo_ms)
    head = f"{'strategy':<16}{'sim rank':>9}{'SLO-viol s':>11}{'slot-s':>8}{'resc':>5}   {'live rank':>9}"
    head += f"{'SLO-viol s':>11}{'slot-s':>8}{'resc':>5}{'thru':>6}{'other CPU':>10}"
    lines = [f"{load}: simulator (local_config) | real local Flink", head, "-" * len(head)]
    by_live = {o.strategy: o for o in live}
    for o in sorted(sim, key=lambda o: rs[o.strategy]):
        v = by_live[o.strategy]
        thru = "-" if v.throughput is None else f"{v.throughput:.2f}"
        other = "-" if v.other_cpu is None else f"{v.other_cpu:.0%}"
        lines.append(
            f"{o.strategy:<16}{rs[o.strategy]:>9}{o.slo_s(slo_ms):>11}{o.slot_s:>8}{o.rescales:>5}   "
            f"{rl[o.strategy]:>9}{v.slo_s(slo_ms):>11}{v.slot_s:>8}{v.rescales:>5}{thru:>6}{other:>10}"
        )
    tie = ties(live, slo_ms)
    lines.append(
        f"ranking agreement: {agreement(rs, rl, tie):.0%} of strategy pairs in the same order, leaving out "
        f"{len(tie)} tied live (within {TIE_SLO_S} SLO s or {TIE_SLO_SHARE:.0%}, and {TIE_SLOT_SHARE:.0%} of slot-s); "
        f"{agreement(rs, rl):.0%} of all pairs"
    )
    busy = [o.strategy for o in live if o.other_cpu is not None and o.other_cpu > BUSY_MACHINE]
    if busy:
        lines.append(
            f"warning: other work took over {BUSY_MACHINE:.0%} of this machine's CPU during {', '.join(busy)}: the "
            "job had less capacity than on a quiet machine, so those live figures do not compare"
        )
    gap_sim, gap_live = [g for o in sim for g in o.gaps()], [g for o in live for g in o.gaps()]
    if gap_live:
        lines.append(
            f"seconds without latency after a rescale: live median {statistics.median(gap_live):g} "
            f"(max {max(gap_live)}), simulator median {statistics.median(gap_sim) if gap_sim else '-'}"
        )
    return "\n".join(lines)


def compare(
    backend: Any,
    bus: EventBus,
    strategies: list[str],
    make: Callable[[str], Any],
    low: float,
    high: float,
    seconds: float,
    slo_ms: float,
    config: SimConfig | None = None,
    loads: tuple[str, ...] = ("step", "spike"),
    at: float = 60.0,
) -> tuple[str, dict[str, tuple[list[Outcome], list[Outcome]]]]:
    """Every strategy on every load (the change at `at` seconds), live on `backend` and on the simulator; the
    side-by-side tables."""
    config = config or local_config(taskmanagers=2)
    profiles = live_loads(low, high, at)
    results: dict[str, tuple[list[Outcome], list[Outcome]]] = {}
    tables = []
    for load in loads:
        sim = [simulate(s, load, profiles[load], config, seconds, make) for s in strategies]
        live = [run_live(backend, bus, s, load, profiles[load], seconds, make) for s in strategies]
        results[load] = (sim, live)
        tables.append(side_by_side(load, sim, live, slo_ms))
    return "\n\n".join(tables), results


def write_outcomes(results: dict[str, tuple[list[Outcome], list[Outcome]]], path: Path) -> Path:
    """Every run's series and decisions (time, from, to, applied, reason) as JSON: a 100-minute comparison is not
    repeated to learn which decision cost a run its SLO seconds."""

    def run(o: Outcome) -> dict[str, Any]:
        decisions = [
            {"ts": d.ts, "applied": d.applied, "from": d.before, "to": d.parallelism, "reason": d.reason}
            for d in o.decisions
        ]
        series = {"p99_ms": o.p99, "slots": o.slots, "achieved": o.achieved, "target": o.target}
        extra = {"rescaled_at": o.rescaled_at, "restarts": o.restarts, "other_cpu": o.other_cpu, "decisions": decisions}
        return {"strategy": o.strategy, **series, **extra}

    doc = {
        load: {"simulator": [run(o) for o in sim], "live": [run(o) for o in live]}
        for load, (sim, live) in results.items()
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def compare_live(args: argparse.Namespace, strategies: list[str], make: Callable[[str], Any]) -> str:
    """`--live`: start a local cluster (2 TaskManagers x 2 slots), run the comparison, stop the cluster."""
    from scaletui.cluster.standalone.backend import LocalClusterBackend
    from scaletui.flink.cluster_config import ClusterSettings

    job = JobSpec.model_validate({"taskmanagers": 2, "slots_per_taskmanager": 2, "cost_ms": args.live_cost_ms})
    seconds = args.live_seconds
    load = _machine_load()
    with tempfile.TemporaryDirectory(prefix="scaletui-live-") as tmp:
        bus = EventBus()
        backend = LocalClusterBackend.create(
            args.cache, Path(tmp), bus, settings=ClusterSettings(slots_per_taskmanager=2)
        )
        try:
            backend.start(2)
            backend.submit_job(job, rate=args.live_low)
            text, results = compare(
                backend, bus, strategies, make, args.live_low, args.live_high, seconds, args.slo_ms,
                local_config(cost_ms=args.live_cost_ms, taskmanagers=2),
            )  # fmt: skip
        finally:
            backend.stop()
    after = _machine_load()
    saved = write_outcomes(results, Path(args.out) / f"live-{time.strftime('%Y%m%d-%H%M%S')}.json")
    return (
        f"live comparison: {seconds / 60:.0f} min per strategy and load, {args.live_low:g} -> {args.live_high:g} r/s, "
        f"load average on this machine {load} before and {after} after\n\n" + text + f"\n\nevery run's series and "
        f"decisions: {saved}\n"
    )


def _machine_load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"
