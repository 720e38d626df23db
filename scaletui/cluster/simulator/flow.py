"""The fluid model that advances a simulated streaming job step by step.

Each step: nodes share their CPU supply among the instances they host (`model.water_level`), each operator processes
what its input queue, its CPU and the free space downstream allow (bounded queues give backpressure), the source's
unsent records pile up as backlog (Kafka lag), and latency is the age of the oldest waiting record plus queueing
and service time (M/D/1 mean wait for the random part, exponential tail for the percentiles). Metrics are summed
into 1-second buckets, the way a collector over Flink's counters would see them. Everything that depends only on
the placement is computed when the placement changes, so a step is a few list operations per operator.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from scaletui.cluster.simulator.model import INF, SimConfig, busy_count, delay_factor, record_rate, water_level
from scaletui.metrics.model import JobSample, NodeSample, OperatorSample


class FlowEngine:
    """The job's state (queues, backlog, parallelism, TaskManagers) and its step function; not thread-safe."""

    def __init__(self, config: SimConfig, rate_fn: Callable[[float], float], start: float = 0.0) -> None:
        self.config = config
        self.rate_fn = rate_fn
        self.start = start
        self.steps = 0
        self.topo = config.topological()
        self.names = [op.name for op in self.topo]
        index = {name: i for i, name in enumerate(self.names)}
        self.down = [[index[d.name] for d in self.topo if op.name in d.upstream] for op in self.topo]
        self.up = [[index[u] for u in op.upstream] for op in self.topo]
        self.sel = [op.selectivity for op in self.topo]
        self.cost = [op.cost_ms for op in self.topo]
        self.wait = [op.wait_ms for op in self.topo]
        self.bound_demand = [c / (c + w) if c + w > 0 else 0.0 for c, w in zip(self.cost, self.wait)]
        """The share of a core an instance that never idles uses: all of it, less its waits."""
        self.is_source = [op.is_source for op in self.topo]
        self.node_index = {n.name: i for i, n in enumerate(config.nodes)}
        self._supply = [[n.supply(k) for k in range(0, 65)] for n in config.nodes]
        self.requested = {op.name: max(1, config.parallelism.get(op.name, 1)) for op in self.topo}
        self.taskmanagers = config.taskmanagers
        self.pending_taskmanagers: list[float] = []
        self.taskmanager_started = [start] * config.taskmanagers
        """When each registered TaskManager came up (the Pods pane's age), in the order they are numbered."""
        self.down_until = start
        n = len(self.topo)
        self.queue = [0.0] * n
        self.backlog = [0.0] * n
        self.inst_rate = [0.0] * n
        self.cpu_bound = [False] * n
        self.rng = random.Random(config.seed)
        self.last_sample: JobSample | None = None
        self.restarts = 0
        self._reset_bucket()
        self._place()

    @property
    def t(self) -> float:
        return self.start + self.steps * self.config.dt

    # --- structure -------------------------------------------------------------------------------------------

    @property
    def total_slots(self) -> int:
        return self.taskmanagers * self.config.slots_per_taskmanager

    @property
    def parallelism(self) -> dict[str, int]:
        """The parallelism in effect: what was asked for, limited by the slots registered."""
        return {name: min(p, self.total_slots) for name, p in self.requested.items()}

    def _place(self) -> None:
        """Instance j of every operator goes to slot j (slot sharing); precompute what the step needs."""
        cfg = self.config
        slots = cfg.slot_nodes(self.taskmanagers)
        par = self.parallelism
        self.p = [par[name] for name in self.names]
        self.counts: list[dict[str, int]] = []
        for p in self.p:
            counts: dict[str, int] = {}
            for j in range(p):
                counts[slots[j]] = counts.get(slots[j], 0) + 1
            self.counts.append(counts)
        used = {node for c in self.counts for node in c}
        self.used = sorted(used, key=lambda name: self.node_index[name])
        self.groups = [
            [(self.node_index[node], count, self.cost[i] / delay_factor(cfg, node, used)) for node, count in c.items()]
            for i, c in enumerate(self.counts)
        ]
        self.qcap = [op.queue_per_instance * p for op, p in zip(self.topo, self.p)]
        self.net_ms = [sum(self._hop_delay(u, i) for u in self.up[i]) for i in range(len(self.topo))]

    def _hop_delay(self, up: int, down: int) -> float:
        a, b = self.counts[up], self.counts[down]
        total = sum(a.values()) * sum(b.values())
        return sum(ca * cb * self.config.delay_between(na, nb) for na, ca in a.items() for nb, cb in b.items()) / total

    def placement(self) -> dict[str, tuple[str, ...]]:
        return {name: tuple(sorted(c)) for name, c in zip(self.names, self.counts)}

    def restart(self, downtime: float) -> None:
        """Every vertex restarts (Flink restarts all of them on a rescale): nothing flows for `downtime`."""
        self.down_until = max(self.down_until, self.t + downtime)
        self.restarts += 1
        self._place()

    def set_parallelism(self, parallelism: dict[str, int], downtime: float) -> None:
        self.requested.update(parallelism)
        self.restart(downtime)

    def request_taskmanagers(self, count: int) -> None:
        """Start or stop TaskManagers; new ones register `taskmanager_start_s` later."""
        count = max(1, min(count, self.config.max_taskmanagers))
        planned = self.taskmanagers + len(self.pending_taskmanagers)
        if count > planned:
            ready = self.t + self.config.taskmanager_start_s
            self.pending_taskmanagers.extend([ready] * (count - planned))
        elif count < planned:
            drop = planned - count
            while drop and self.pending_taskmanagers:
                self.pending_taskmanagers.pop()
                drop -= 1
            if drop:
                before = self.parallelism
                self.taskmanagers -= drop
                del self.taskmanager_started[self.taskmanagers :]
                if self.parallelism != before:
                    self.restart(self.config.rescale_downtime_s)
                else:
                    self._place()

    # --- dynamics --------------------------------------------------------------------------------------------

    def _register_taskmanagers(self, now: float) -> None:
        if not self.pending_taskmanagers or min(self.pending_taskmanagers) > now + 1e-6:
            return
        ready = [r for r in self.pending_taskmanagers if r <= now + 1e-6]
        self.pending_taskmanagers = [r for r in self.pending_taskmanagers if r > now + 1e-6]
        before = self.parallelism
        self.taskmanagers += len(ready)
        self.taskmanager_started.extend(sorted(ready))
        if self.parallelism != before:  # the adaptive scheduler grows into the new slots
            self.restart(self.config.rescale_downtime_s)
        else:
            self._place()

    def step(self) -> None:
        dt = self.config.dt
        now = self.t
        self._register_taskmanagers(now)
        rate = max(0.0, self.rate_fn(now - self.start))
        running = now >= self.down_until - 1e-6
        n_ops = len(self.topo)
        p, groups = self.p, self.groups
        # CPU: each node's supply shared max-min among its instances, from the last step's demands
        demands: dict[int, list[float]] = {}
        for i in range(n_ops):
            bound, r = self.cpu_bound[i], self.inst_rate[i]
            for node, count, cost in groups[i]:
                d = self.bound_demand[i] if bound else min(1.0, r * cost / 1000.0)
                demands.setdefault(node, []).extend([d] * count)
        levels = {}
        for node, ds in demands.items():
            k = int(busy_count(ds))
            supply = self._supply[node][min(k, 64)]
            levels[node] = water_level(ds, supply)
        cap = [0.0] * n_ops
        service = [INF] * n_ops
        for i in range(n_ops):
            per_inst = min(record_rate(levels[node], cost, self.wait[i]) for node, _, cost in groups[i])
            cap[i] = p[i] * per_inst
            service[i] = 1000.0 / per_inst if per_inst > 0 else INF
        # flow, sinks first, so space freed downstream this step is seen upstream
        queue, backlog, sel = self.queue, self.backlog, self.sel
        processed_all = [0.0] * n_ops
        for i in range(n_ops - 1, -1, -1):
            avail = backlog[i] + rate * dt if self.is_source[i] else queue[i]
            limit = cap[i] * dt
            free = INF
            for k in self.down[i]:
                room = max(0.0, self.qcap[k] - queue[k])
                free = min(free, room / sel[i] if sel[i] > 0 else INF)
            processed = max(0.0, min(avail, limit, free)) if running else 0.0
            out = processed * sel[i]
            for k in self.down[i]:
                queue[k] += out
            if self.is_source[i]:
                backlog[i] = avail - processed
                self.b_emitted += processed
            else:
                queue[i] = avail - processed
            self.cpu_bound[i] = running and limit > 0 and processed >= limit * (1 - 1e-9)
            self.inst_rate[i] = processed / dt / p[i]
            processed_all[i] = processed
            self.b_processed[i] += processed
            self.b_out[i] += out
            if limit > 0:
                self.b_busy[i] += min(1.0, processed / limit) * dt
                if running and free < min(avail, limit):
                    self.b_bp[i] += (min(avail, limit) - processed) / limit * dt
        self.b_seconds += dt
        self.b_target += rate * dt
        if running:
            self.b_running += dt
            self._add_latency(rate, cap, service, processed_all, dt)
        for node, level in levels.items():
            used = 0.0
            for i in range(n_ops):
                for nd, count, cost in groups[i]:
                    if nd == node:
                        used += min(level, self.inst_rate[i] * cost / 1000.0) * count
            self.b_cpu[node] = self.b_cpu.get(node, 0.0) + used * dt
        self.steps += 1
        if self.b_seconds >= 1.0 - 1e-9:
            self.last_sample = self._close_bucket()

    def _add_latency(
        self, rate: float, cap: list[float], service: list[float], processed: list[float], dt: float
    ) -> None:
        fixed = 1000.0 * sum(self.backlog) / rate if rate > 0 else 0.0
        wait = 0.0
        for i in range(len(self.topo)):
            c = cap[i]
            if not self.is_source[i]:
                fixed += (1000.0 * self.queue[i] / c if c > 0 else 0.0) + self.net_ms[i]
            fixed += service[i]
            rho = min(0.98, processed[i] / dt / c) if c > 0 else 0.98
            wait += service[i] * rho / (2 * (1 - rho))
        self.b_lat[0] += (fixed + 0.7 * wait) * dt
        self.b_lat[1] += (fixed + 3.0 * wait) * dt
        self.b_lat[2] += (fixed + 4.6 * wait) * dt

    def _reset_bucket(self) -> None:
        n = len(self.topo)
        self.b_seconds = self.b_running = self.b_target = self.b_emitted = 0.0
        self.b_processed = [0.0] * n
        self.b_out = [0.0] * n
        self.b_busy = [0.0] * n
        self.b_bp = [0.0] * n
        self.b_lat = [0.0, 0.0, 0.0]
        self.b_cpu: dict[int, float] = {}

    def _noise(self) -> float:
        return 1.0 + self.rng.gauss(0.0, self.config.noise) if self.config.noise > 0 else 1.0

    def _close_bucket(self) -> JobSample:
        cfg, secs = self.config, self.b_seconds
        ops = {}
        for i, op in enumerate(self.topo):
            busy = min(1000.0, max(0.0, 1000.0 * self.b_busy[i] / secs * self._noise()))
            bp = min(1000.0 - busy, 1000.0 * self.b_bp[i] / secs)
            ops[op.name] = OperatorSample(
                name=op.name,
                parallelism=self.p[i],
                max_parallelism=op.max_parallelism,
                records_in_per_s=max(0.0, self.b_processed[i] / secs * self._noise()),
                records_out_per_s=max(0.0, self.b_out[i] / secs * self._noise()),
                busy_ms_per_s=busy,
                backpressured_ms_per_s=bp,
                idle_ms_per_s=max(0.0, 1000.0 - busy - bp),
                is_source=op.is_source,
                keyed_input=op.keyed_input,
            )
        latency: dict[str, float | None] = {"p50": None, "p95": None, "p99": None}
        if self.b_running > 0 and self.t >= self.down_until + cfg.latency_gap_s - 1e-6:
            f = max(0.0, self._noise())
            latency = {k: v / self.b_running * f for k, v in zip(("p50", "p95", "p99"), self.b_lat)}
        nodes = {  # every machine, those hosting no busy instance at 0 (node telemetry reports them all)
            spec.name: NodeSample(
                node=spec.name, cpu_cores=self.b_cpu.get(i, 0.0) / secs, cpu_total=self._supply[i][64]
            )
            for i, spec in enumerate(cfg.nodes)
        }
        used_slots = max(self.p)
        sample = JobSample(
            ts=self.t,
            operators=ops,
            target_rate=self.b_target / secs,
            achieved_rate=max(0.0, self.b_emitted / secs * self._noise()),
            backlog=sum(self.backlog),
            latency_ms=latency,
            taskmanagers=self.taskmanagers,
            total_slots=self.total_slots,
            free_slots=max(0, self.total_slots - used_slots),
            nodes=nodes,
        )
        self._reset_bucket()
        return sample
