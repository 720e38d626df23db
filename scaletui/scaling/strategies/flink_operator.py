"""Flink operator: the Apache Flink Kubernetes operator autoscaler's decision loop around its per-vertex rule.

Source: apache/flink-kubernetes-operator, flink-autoscaler (JobAutoScalerImpl, ScalingMetricEvaluator,
ScalingExecutor, JobVertexScaler; defaults from AutoScalerOptions and the "Autoscaler" page of the operator's
documentation). No metrics are collected during the stabilisation interval after a rescale; a decision needs a full
metrics window; per vertex, the true processing rate is records in / busy fraction and the target rate is the
source's ingestion rate propagated through each edge's output ratio, plus backlog catch-up; the per-vertex rule is
`flink_rules.compute_scale_target_parallelism`; the job rescales only when some changed vertex is outside its
utilisation bound. The defaults are the operator's own: they are made for hours-long jobs, so on a short run this
strategy reacts late by design.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scaletui.scaling.observation import Decision, Observation
from scaletui.scaling.strategies.flink_rules import (
    ALIGNMENTS,
    DelayedScaleDown,
    ScalerOptions,
    ScalingSummary,
    VertexMetrics,
    compute_scale_target_parallelism,
)
from scaletui.scaling.strategy import Strategy


@dataclass(frozen=True)
class FlinkOperatorParams:
    utilization_target: float = field(default=0.7, metadata={"min": 0.0, "max": 1.0})
    """job.autoscaler.utilization.target: busy share each vertex is sized for."""
    utilization_boundary: float = field(default=0.3, metadata={"min": 0.0, "max": 1.0})
    """job.autoscaler.target.utilization.boundary: no rescale while every vertex is within target +- boundary."""
    utilization_max: float | None = field(default=None, metadata={"min": 0.0, "max": 1.0})
    """job.autoscaler.utilization.max: the upper bound instead of target + boundary (unset: target + boundary)."""
    utilization_min: float | None = field(default=None, metadata={"min": 0.0, "max": 1.0})
    """job.autoscaler.utilization.min: the lower bound instead of target - boundary (unset: target - boundary)."""
    metrics_window: float = field(default=900.0, metadata={"duration": True})
    """job.autoscaler.metrics.window: metrics are averaged over this window, which must be full to decide."""
    stabilization_interval: float = field(default=300.0, metadata={"duration": True})
    """job.autoscaler.stabilization.interval: after a rescale no metrics are collected for this long."""
    scale_down_interval: float = field(default=3600.0, metadata={"duration": True})
    """job.autoscaler.scale-down.interval: a scale-down waits this long, then takes the highest recommendation."""
    max_scale_down_factor: float = field(default=0.6, metadata={"min": 0.0, "max": 1.0})
    """job.autoscaler.scale-down.max-factor: at most this share of the parallelism is removed at once."""
    max_scale_up_factor: float = field(default=100000.0, metadata={"min": 0.0})
    """job.autoscaler.scale-up.max-factor: at most current * (1 + this) after a scale-up."""
    catch_up_duration: float = field(default=1800.0, metadata={"duration": True})
    """job.autoscaler.catch-up.duration: the backlog is to be drained within this long (0: ignore backlog)."""
    restart_time: float = field(default=300.0, metadata={"duration": True})
    """job.autoscaler.restart.time: expected rescale downtime, whose missed records are also to be caught up."""
    vertex_min_parallelism: int = field(default=1, metadata={"min": 1})
    """job.autoscaler.vertex.min-parallelism."""
    vertex_max_parallelism: int = field(default=200, metadata={"min": 1})
    """job.autoscaler.vertex.max-parallelism."""
    effectiveness_detection: bool = False
    """job.autoscaler.scaling.effectiveness.detection.enabled: block scale-ups after an ineffective one."""
    effectiveness_threshold: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})
    """job.autoscaler.scaling.effectiveness.threshold: share of the promised gain a scale-up must deliver."""
    alignment: str = field(default="BALANCED", metadata={"choices": ALIGNMENTS})
    """job.autoscaler.scaling.parallelism-alignment.mode for keyed vertices (key groups = max parallelism) and
    sources (their partition count, where the job reports one)."""
    observed_scalability: bool = False
    """job.autoscaler.observed-scalability.enabled: divide the scale factor by the scaling coefficient fitted to
    past rescales (true rate against parallelism) instead of assuming linear scaling."""
    observed_scalability_min_observations: int = field(default=3, metadata={"min": 1})
    """job.autoscaler.observed-scalability.min-observations: past rescales needed before the coefficient is used."""
    observed_scalability_coefficient_min: float = field(default=0.5, metadata={"min": 0.0, "max": 1.0})
    """job.autoscaler.observed-scalability.coefficient-min: the fitted coefficient is kept at or above this."""
    history_max_count: int = field(default=3, metadata={"min": 1})
    """job.autoscaler.history.max.count: past rescales kept per vertex (for effectiveness and scalability)."""
    backlog_lag_threshold: float = field(default=300.0, metadata={"duration": True})
    """job.autoscaler.backlog-processing.lag-threshold: while the source backlog holds more than this many seconds
    of input, the job is processing backlog: vertices may run at full utilisation and none is scaled down."""

    def options(self) -> ScalerOptions:
        return ScalerOptions(
            utilization_target=self.utilization_target,
            utilization_boundary=self.utilization_boundary,
            max_scale_down_factor=self.max_scale_down_factor,
            max_scale_up_factor=self.max_scale_up_factor,
            scale_down_interval_s=self.scale_down_interval,
            catch_up_duration_s=self.catch_up_duration,
            restart_time_s=self.restart_time,
            vertex_min_parallelism=self.vertex_min_parallelism,
            vertex_max_parallelism=self.vertex_max_parallelism,
            effectiveness_detection=self.effectiveness_detection,
            effectiveness_threshold=self.effectiveness_threshold,
            alignment=self.alignment,
            utilization_max=self.utilization_max,
            utilization_min=self.utilization_min,
            observed_scalability=self.observed_scalability,
            observed_scalability_min_observations=self.observed_scalability_min_observations,
            observed_scalability_coefficient_min=self.observed_scalability_coefficient_min,
        )


class FlinkOperatorStrategy(Strategy):
    name = "flink-operator"
    Params = FlinkOperatorParams
    params: FlinkOperatorParams

    def __init__(self, params: FlinkOperatorParams | None = None) -> None:
        super().__init__(params)
        self.options = self.params.options()
        self.window: list[Observation] = []
        self.last_rescale: float | None = None
        self.history: dict[str, list[ScalingSummary]] = {}
        self.delayed = DelayedScaleDown()
        self._pending: dict[str, ScalingSummary] = {}

    def decide(self, obs: Observation) -> Decision:
        p = self.params
        if self.last_rescale is None:
            self.last_rescale = obs.t - obs.window_s - p.stabilization_interval
        since = obs.t - self.last_rescale
        if since < p.stabilization_interval:
            return self.keep(
                obs, f"Flink operator: stabilising, {since:.0f}/{p.stabilization_interval:.0f} s since the rescale"
            )
        self.window = [o for o in self.window if obs.t - o.t < p.metrics_window] + [obs]
        collected = obs.t - self.window[0].t + self.window[0].window_s
        if collected < p.metrics_window - 1e-6:
            return self.keep(
                obs, f"Flink operator: collecting metrics, {collected:.0f}/{p.metrics_window:.0f} s of the window"
            )
        metrics = self._evaluate(obs)
        new = dict(obs.parallelism)
        notes: list[str] = []
        outside = False
        self._pending = {}
        for name, m in metrics.items():
            change = compute_scale_target_parallelism(
                name, m, self.options, self.history.get(name), self.delayed, now=obs.t
            )
            if change.ineffective:
                notes.append(change.ineffective)
            if change.no_change:
                continue
            outside = outside or change.outside_bound
            new[name] = change.new
            self._pending[name] = ScalingSummary(
                change.current, change.new, m.true_processing_rate, change.expected_processing_rate or 0.0
            )
            notes.append(
                f"{name} {change.current}->{change.new} "
                f"(true {m.true_processing_rate:.0f} r/s, target {m.target_data_rate:.0f} r/s)"
            )
        if not self._pending or not outside:
            self._pending = {}
            tail = "; " + "; ".join(notes) if notes else ""
            return self.keep(
                obs,
                f"Flink operator: all vertices within {p.utilization_target:.0%} +- {p.utilization_boundary:.0%}{tail}",
            )
        return self.decision(obs, new, "Flink operator: " + ", ".join(notes))

    def applied(self, decision: Decision, obs: Observation, at: float) -> None:
        for name, summary in self._pending.items():
            kept = self.history.setdefault(name, [])
            kept.append(summary)
            del kept[: -self.params.history_max_count]
        self._pending = {}
        self.delayed.clear_all()
        self.window = []
        self.last_rescale = at

    def _evaluate(self, obs: Observation) -> dict[str, VertexMetrics]:
        """Window averages per vertex, the way ScalingMetricEvaluator derives them: the source's partition count
        (ScalingMetricCollector reads it from the Kafka/Pulsar metric names; the job's samples carry it where the
        collector knows it) and the backlog state (lag over the input rate beyond the lag threshold)."""
        n = len(self.window)
        target = [o.target_rate for o in self.window if o.target_rate is not None]
        source_rate = sum(target) / len(target) if target else None
        backlog = obs.backlog or 0.0
        catch_up = backlog / self.options.catch_up_duration_s if self.options.catch_up_duration_s > 0 else 0.0
        required = obs.required_rates(source_rate)
        catch_up_rates = obs.required_rates(catch_up)
        inputs = [
            rate
            for o in self.window
            for op in o.operators.values()
            if op.is_source and (rate := op.processed_rate) is not None
        ]
        input_rate = sum(inputs) / len(inputs) if inputs else None
        processing_backlog = (
            input_rate is not None and input_rate > 0 and backlog / input_rate > self.params.backlog_lag_threshold
        )
        out = {}
        for name, op in obs.operators.items():
            rates = [o.operators[name].true_rate() for o in self.window if name in o.operators]
            present = [r * op.parallelism for r in rates if r is not None]
            tpr = sum(present) / len(present) if present and len(present) * 2 >= n else float("nan")
            target_rate = required.get(name)
            out[name] = VertexMetrics(
                parallelism=op.parallelism,
                true_processing_rate=tpr,
                target_data_rate=float("nan") if target_rate is None else target_rate,
                max_parallelism=op.max_parallelism,
                catch_up_data_rate=catch_up_rates.get(name) or 0.0,
                num_source_partitions=(op.source_partitions or 0) if op.is_source else 0,
                hash_input=op.keyed_input,
                processing_backlog=processing_backlog,
            )
        return out
