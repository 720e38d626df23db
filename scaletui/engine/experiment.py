"""One experiment, start to end: platform, stages, job, load, strategy, faults, duration, teardown.

The TUI (in a worker) and `--script` run exactly this. Each step publishes a Progress event; the results directory
is written as events arrive; on cancel (Ctrl-C, SIGTERM, a key) faults are reverted and partial results kept.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from scaletui.engine.platform_session import PlatformSession, open_platform
from scaletui.engine.prepare import PreparedExperiment
from scaletui.errors import JobError, UserError
from scaletui.events import ErrorEvent, MetricsEvent, Progress
from scaletui.session.model import RunRecord

RunStatus = Literal["done", "failed", "interrupted"]

if TYPE_CHECKING:
    from scaletui.engine.core import Engine

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    status: str
    exit_code: int
    results_dir: Path | None
    message: str = ""
    summary: dict[str, Any] = field(default_factory=dict)


class ExperimentRun:
    def __init__(self, engine: Engine, prepared: PreparedExperiment, results_root: Path | None = None) -> None:
        self.engine = engine
        self.prepared = prepared
        self.results_root = results_root or engine.results_dir
        self.platform: PlatformSession | None = None
        self.started_at = 0.0

    def _step(self, name: str, message: str, done: bool = False) -> None:
        """A step begins (no fraction: the run step's own progress lines carry the percentage)."""
        self.engine.bus.publish(Progress(source="experiment", step=name, message=message, done=done))

    def execute(self, cancel: threading.Event) -> RunResult:
        from scaletui.results.recorder import RunRecorder

        exp = self.prepared.experiment
        recorder = RunRecorder(
            self.results_root,
            self.engine.name,
            experiment_file=self.prepared.path,
            bus=self.engine.bus,
            flink_version=self.engine.store.session.cluster.flink_version or None,
        )
        run_id = recorder.run_id
        self.engine.store.update(
            lambda s: s.runs.append(
                RunRecord(
                    id=run_id, experiment=self.prepared.name, started_at=time.time(), results_dir=str(recorder.run_dir)
                )
            )
        )
        status: RunStatus = "done"
        exit_code, message = 0, ""
        self.engine.current_run = self
        try:
            self._step("platform", f"opening platform {exp.experiment.platform}")
            self.platform = open_platform(self.engine, self.prepared, cancel)
            self._step("stages", self.platform.run_stages(exp.experiment.stages, cancel))
            self._step("job", "submitting the job")
            self.platform.submit_job(exp.job)
            self._step("load", f"load profile {self.prepared.profile.name}")
            self._step("strategy", self.platform.start_strategy(self.prepared.strategy, exp.strategy))
            self._step("faults", f"{len(exp.faults)} fault(s) scheduled")
            self._step("run", f"running for {exp.experiment.duration:.0f}s")
            self._loop(cancel)
            if cancel.is_set():
                status, exit_code, message = "interrupted", 130, "interrupted; partial results kept"
        except UserError as e:
            status, exit_code, message = "failed", e.exit_code, str(e)
            self.engine.bus.publish(ErrorEvent(source="experiment", message=e.message, hint=e.hint))
        except Exception as e:
            log.exception("experiment %s failed", self.prepared.name)
            status, exit_code, message = "failed", 1, f"internal error: {e} (see {self.engine.log_file})"
            self.engine.bus.publish(ErrorEvent(source="experiment", message=message))
        finally:
            if exp.faults:
                self.engine.faults.revert_all()
            self._teardown(exp.experiment.teardown)
            self.engine.current_run = None
        results = recorder.close(status)
        summary: dict[str, Any] = {}
        if exp.slo is not None:
            from scaletui.results.slo import check_run_slo

            verdict = check_run_slo(results, exp.slo)
            if verdict is not None:
                summary = verdict.as_dict()
                slo_error = verdict.error()
                if status == "done" and slo_error is not None:
                    status, exit_code, message = "failed", slo_error.exit_code, str(slo_error)
        self.engine.store.update(lambda s: _end_run(s, run_id, status, summary))
        self._step("teardown", f"results in {results}", done=True)
        return RunResult(status, exit_code, results, message, summary)

    def _loop(self, cancel: threading.Event) -> None:
        assert self.platform is not None
        platform = self.platform
        clock = platform.clock
        duration = self.prepared.experiment.experiment.duration
        start = clock.now()
        self.started_at = start
        faults = sorted(self.prepared.experiment.faults, key=lambda f: f.at)
        last_progress = start
        while not cancel.is_set():
            now = clock.now()
            elapsed = now - start
            if elapsed >= duration:
                break
            platform.set_rate(self.prepared.profile.rate_at(elapsed))
            while faults and faults[0].at <= elapsed:
                fault = faults.pop(0)
                platform.fire_fault(fault)
            sample = platform.sample()
            if sample is not None:
                self.engine.bus.publish(MetricsEvent(ts=sample.ts, source="metrics", sample=sample))
            try:
                platform.tick()
            except UserError as e:  # a failed actuation is reported; the run and its measurements go on
                self.engine.bus.publish(ErrorEvent(source="scaling", message=e.message, hint=e.hint))
            if platform.job_failed():
                raise JobError(f"The job failed during the run: {platform.job_failed()}.")
            if now - last_progress >= max(10.0, duration / 20):
                last_progress = now
                self.engine.bus.publish(
                    Progress(
                        source="experiment",
                        step="run",
                        message=f"{elapsed:.0f}/{duration:.0f}s",
                        fraction=elapsed / duration,
                    )
                )
            if clock.sleep(1.0, cancel):
                break

    def _teardown(self, mode: str) -> None:
        if self.platform is None:
            return
        try:
            self.platform.close(stop_cluster=mode == "stop")
        except Exception as e:
            log.exception("teardown failed")
            self.engine.bus.publish(ErrorEvent(source="experiment", message=f"Teardown failed: {e}."))


def _end_run(session: Any, run_id: str, status: str, summary: dict[str, Any]) -> None:
    for run in session.runs:
        if run.id == run_id:
            run.status = status
            run.ended_at = time.time()
            run.summary = {k: v for k, v in summary.items() if v is not None}
