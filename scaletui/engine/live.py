"""The interactive loop behind the TUI: one platform opened by keys, ticked every second on its own clock.

It does what a headless run's loop does (apply the load, sample metrics, tick the autoscaler and the fault ledger)
but with no end time, and it takes intents one at a time: start/stop the cluster, submit the job, change the load,
rescale by hand (which pauses the autoscaler), switch strategy, pause, dry-run.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Literal

from scaletui.cluster.base import Instance
from scaletui.config.loader import load_experiment, load_platform
from scaletui.config.models import Experiment, ExperimentInfo, LoadSpec, StrategySpec
from scaletui.engine.platform_session import PlatformSession, open_platform
from scaletui.engine.prepare import PreparedExperiment
from scaletui.errors import ConfigError, UserError
from scaletui.events import ClusterChanged, ErrorEvent, JobChanged, MetricsEvent

if TYPE_CHECKING:
    from scaletui.capacity.online import LiveCapacity
    from scaletui.engine.core import Engine
    from scaletui.latency.monitor import LatencyMonitor
    from scaletui.scaling.controller import ControllerStatus

log = logging.getLogger(__name__)
DEFAULT_EXPERIMENT = "local-constant"
INSTANCES_EVERY_S = 2.0


class LiveSession:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.platform: PlatformSession | None = None
        self.prepared: PreparedExperiment | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._load_origin = 0.0
        self.capacity: LiveCapacity | None = None
        self.latency: LatencyMonitor | None = None

    # --- what the UI reads ---------------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.platform is not None

    def strategy_status(self) -> ControllerStatus | None:
        controller = getattr(self.platform, "controller", None)
        return controller.status() if controller is not None else None

    def _require(self) -> PlatformSession:
        if self.platform is None:
            raise UserError("No cluster is running.", "Press s in the Pods pane to start one.")
        return self.platform

    # --- intents -------------------------------------------------------------------------------------------------

    def start(
        self, platform_name: str | None = None, cancel: threading.Event | None = None, recovery: str = "stop"
    ) -> str:
        """Open the platform (the reserved one, else local Flink) and start ticking."""
        with self._lock:
            if self.platform is not None:
                return "The cluster is already running."
            name = platform_name or self._reserved_platform() or "local"
            self.prepared = self._prepare(name)
            choice: Literal["adopt", "stop"] = "adopt" if recovery == "adopt" else "stop"
            self.platform = open_platform(
                self.engine, self.prepared, cancel or threading.Event(), realtime=True, recovery=choice
            )
            self._stop.clear()
            self._load_origin = self.platform.clock.now()
            self.capacity = self._capacity()
            self.latency = self._latency()
            self._thread = threading.Thread(target=self._loop, name="live-loop", daemon=True)
            self._thread.start()
            return f"Cluster on {name} started."

    def stop(self) -> str:
        with self._lock:
            platform = self.platform
            if platform is None:
                return "No cluster is running."
            self._stop.set()
            if self._thread is not None:
                self._thread.join(timeout=10)
            self.platform = None
            if self.capacity is not None:
                self.capacity.close()
                self.capacity = None
            if self.latency is not None:
                self.latency.stop()
                self.latency = None
            platform.close(stop_cluster=True)
            self.engine.bus.publish(ClusterChanged(source="live", instances=(), message="cluster stopped"))
            return "Cluster stopped."

    def submit_job(self) -> str:
        platform = self._require()
        assert self.prepared is not None
        platform.submit_job(self.prepared.experiment.job)
        job = self.engine.store.session.job
        self.engine.bus.publish(
            JobChanged(
                source="live",
                job_id=job.job_id,
                state=job.state,
                parallelism={o.name: o.parallelism for o in job.operators},
            )
        )
        return f"Job submitted ({job.job_id[:8] or 'simulated'})."

    def cancel_job(self) -> str:
        return self._require().cancel_job()

    def set_load(self, spec: LoadSpec) -> str:
        from scaletui.workload.profiles import build_profile

        profile = build_profile(spec)
        with self._lock:
            if self.prepared is None:
                raise UserError("No cluster is running.", "Press s in the Pods pane to start one.")
            self.prepared = PreparedExperiment(
                self.prepared.path, self.prepared.experiment, self.prepared.platform, profile, self.prepared.strategy
            )
            if self.platform is not None:
                self._load_origin = self.platform.clock.now()
                getattr(self.platform, "set_profile", lambda p: None)(profile)
        self.engine.store.update(lambda s: setattr(s.job, "load_profile", spec.model_dump()))
        return f"Load: {profile.name} (now {profile.rate_at(0):.0f} records/s)."

    def rescale(self, operator: str, parallelism: int) -> str:
        platform = self._require()
        controller = getattr(platform, "controller", None)
        if controller is not None:
            controller.note_manual_change(f"{operator} set to {parallelism} by hand")
            self.engine.store.update(lambda s: setattr(s.strategy, "paused", True))
        event = platform.cluster.set_parallelism({operator: parallelism})
        before = event.before.get(operator) if isinstance(event.before, dict) else event.before
        info = platform.cluster.job()  # the scheduler caps an upper bound above the cluster's slots
        running = next((o.parallelism for o in info.operators if o.name == operator), None) if info else None
        if running is not None and running < parallelism:
            return (
                f"{operator}: {before} -> {parallelism} asked, running at {running}: the cluster has too few slots. "
                "Press + in the Pods pane to add a TaskManager; Flink scales up when its slots register."
            )
        return f"{operator}: {before} -> {parallelism}."

    def change_taskmanagers(self, delta: int) -> str:
        platform = self._require()
        current = len([i for i in platform.cluster.instances() if i.role == "taskmanager"])
        target = max(1, current + delta)
        platform.cluster.set_taskmanagers(target)
        return f"TaskManagers: {current} -> {target}."

    def set_strategy(self, name: str) -> str:
        from scaletui.scaling.registry import load_strategy

        platform = self._require()
        assert self.prepared is not None
        spec = self.prepared.experiment.strategy.model_copy(update={"name": name})
        if name == "none":
            if hasattr(platform, "controller"):
                platform.controller = None  # type: ignore[attr-defined]
            self.engine.store.update(lambda s: setattr(s.strategy, "name", "none"))
            return "Autoscaling off."
        strategy = load_strategy(spec, self.engine.conf_dir)
        controller = getattr(platform, "controller", None)
        if controller is None:
            return platform.start_strategy(strategy, spec)
        controller.set_strategy(strategy)
        self.engine.store.update(lambda s: setattr(s.strategy, "name", name))
        return f"Strategy {name}."

    def toggle_pause(self) -> str:
        controller = getattr(self._require(), "controller", None)
        if controller is None:
            raise UserError("No autoscaler is running.", "Press a in the Plots pane to choose a strategy.")
        if controller.status().paused:
            controller.resume()
            paused = False
        else:
            controller.pause()
            paused = True
        self.engine.store.update(lambda s: setattr(s.strategy, "paused", paused))
        return "Autoscaler paused." if paused else "Autoscaler resumed."

    def toggle_dry_run(self) -> str:
        controller = getattr(self._require(), "controller", None)
        if controller is None:
            raise UserError("No autoscaler is running.", "Press a in the Plots pane to choose a strategy.")
        dry = not controller.status().dry_run
        controller.set_dry_run(dry)
        self.engine.store.update(lambda s: setattr(s.strategy, "dry_run", dry))
        return "Dry-run on: decisions are shown, not applied." if dry else "Dry-run off: decisions are applied."

    # --- the loop ------------------------------------------------------------------------------------------------

    def _loop(self) -> None:
        last_instances = -INSTANCES_EVERY_S
        while not self._stop.is_set():
            platform, prepared = self.platform, self.prepared
            if platform is None or prepared is None:
                return
            now = platform.clock.now()
            try:
                platform.set_rate(prepared.profile.rate_at(now - self._load_origin))
                sample = platform.sample()
                if sample is not None:
                    self.engine.bus.publish(MetricsEvent(ts=sample.ts, source="metrics", sample=sample))
                platform.tick()
                if now - last_instances >= INSTANCES_EVERY_S:
                    last_instances = now
                    self.engine.bus.publish(
                        ClusterChanged(source="live", instances=tuple(platform.cluster.instances()))
                    )
            except UserError as e:
                self.engine.bus.publish(ErrorEvent(source="live", message=e.message, hint=e.hint))
            except Exception as e:
                log.exception("live loop step failed")
                self.engine.bus.publish(ErrorEvent(source="live", message=f"Live update failed: {e}."))
            if platform.clock.sleep(1.0, self._stop):
                return

    # --- helpers -------------------------------------------------------------------------------------------------

    def _capacity(self) -> LiveCapacity:
        """The capacity estimator over this cluster's node telemetry, with the settings of conf/scaletui.toml."""
        from pydantic import ValidationError

        from scaletui.capacity.config import CapacityConfig
        from scaletui.capacity.online import LiveCapacity
        from scaletui.config.errors import from_validation

        try:
            config = CapacityConfig.model_validate(self.engine.config.capacity)
        except ValidationError as e:
            raise from_validation("conf/scaletui.toml", e, prefix="capacity") from None
        return LiveCapacity(config).attach(self.engine.bus)

    def _latency(self) -> LatencyMonitor:
        """Node-to-node latency every 5 s (probes locally, the model on the simulator) for the Chaos pane."""
        from scaletui.engine.latency_source import ClusterLatency
        from scaletui.latency.monitor import LatencyMonitor

        monitor = LatencyMonitor(ClusterLatency(self.engine), self.engine.bus, interval_s=5.0)
        monitor.start()
        return monitor

    def _book(self, instances: tuple[Instance, ...]) -> None:
        """Tell the capacity view how many TaskManagers each node hosts, so it counts what is booked."""
        if self.capacity is None:
            return
        per_node: dict[str, int] = {}
        for i in instances:
            if i.role == "taskmanager":
                per_node[i.node] = per_node.get(i.node, 0) + 1
        for node, count in per_node.items():
            self.capacity.set_taskmanagers(node, count)

    def _reserved_platform(self) -> str | None:
        """The most recent running reservation: local Flink, the simulator, or a testbed whose Kubernetes cluster
        the orchestration stage set up (then `s` attaches to its pods, k9s-style)."""
        running = [r for r in self.engine.store.session.reservations if r.state == "running"]
        return running[-1].platform if running else None

    def _prepare(self, platform_name: str) -> PreparedExperiment:
        """The job and load of conf/experiments/local-constant.toml, on the chosen platform, with no end time."""
        from scaletui.workload.profiles import build_profile

        conf = self.engine.conf_dir
        platform_path = conf / "platforms" / f"{platform_name}.toml"
        if not platform_path.is_file():
            raise ConfigError(f"{platform_path}: no such platform file.")
        platform = load_platform(platform_path)
        template_path = conf / "experiments" / f"{DEFAULT_EXPERIMENT}.toml"
        if template_path.is_file():
            template = load_experiment(template_path)
        else:
            template = Experiment(experiment=ExperimentInfo(name="live", duration=3600))
        experiment = template.model_copy(
            update={
                "experiment": template.experiment.model_copy(update={"platform": platform_name, "stages": []}),
                "faults": [],
                "strategy": StrategySpec(),
            }
        )
        saved = self.engine.store.session.job.load_profile
        load = LoadSpec.model_validate(saved) if saved else experiment.load
        return PreparedExperiment(template_path, experiment, platform, build_profile(load), None)
