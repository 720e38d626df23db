"""The one writer of the session: engine events in, session changes out.

Lower packages (cluster, flink, chaos, stages, platforms) never touch the session; they publish events, and this
reducer, subscribed to the bus, turns each into a change of the session store. The store coalesces the file
writes off the publishers' threads; the few changes that must survive a crash at once (a reservation's job id, a
fault's undo steps) are durable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from functools import partial
from pathlib import Path
from typing import Any

from scaletui.events import (
    AppChanged,
    ClusterChanged,
    Event,
    EventBus,
    InventoryChanged,
    JobChanged,
    KubeconfigChanged,
    LoadChanged,
    LocalClusterChanged,
    MetricsEvent,
    ReservationChanged,
    ReservationDropped,
    RunChanged,
    StageStateChanged,
    StrategyChanged,
    UiChanged,
)
from scaletui.metrics.model import JobSample
from scaletui.session.model import (
    AppRecord,
    FaultRecord,
    OperatorRecord,
    ProcessRecord,
    Reservation,
    RunRecord,
    Session,
    StageRecord,
)
from scaletui.session.store import SessionStore

TERMINAL_JOB_STATES = frozenset({"CANCELED", "CANCELLED", "FINISHED", "FAILED", "none"})


def _job(event: JobChanged) -> Callable[[Session], None]:
    def change(s: Session) -> None:
        if not event.job_id or event.state in TERMINAL_JOB_STATES:
            s.job.job_id, s.job.name, s.job.state, s.job.operators = "", "", "none", []
            return
        s.job.job_id, s.job.state = event.job_id, event.state
        info = event.info
        if info is not None:
            s.job.name = info.name
            s.job.operators = [
                OperatorRecord(
                    name=o.name, vertex_id=o.vertex_id, parallelism=o.parallelism, max_parallelism=o.max_parallelism
                )
                for o in info.operators
            ]
        else:
            for op in s.job.operators:
                op.parallelism = event.parallelism.get(op.name, op.parallelism)
        if event.taskmanagers is not None:
            s.job.taskmanagers = event.taskmanagers

    return change


def _instances(event: ClusterChanged) -> Callable[[Session], None]:
    count = len([i for i in event.instances if getattr(i, "role", "") == "taskmanager"])

    def change(s: Session) -> None:
        s.job.taskmanagers = count

    return change


def _stage(event: StageStateChanged) -> Callable[[Session], None]:
    fields: dict[str, Any] = {"state": event.state, "message": event.message}
    if event.run_id:
        fields["last_run"] = event.run_id
    for name in ("started_at", "ended_at", "log_file", "failed_task"):
        value = getattr(event, name)
        if value is not None:
            fields[name] = value

    def change(s: Session) -> None:
        record = s.stages.get(event.stage) or StageRecord()
        for name, value in fields.items():
            setattr(record, name, value)
        s.stages[event.stage] = record

    return change


def _app(event: AppChanged) -> Callable[[Session], None]:
    def change(s: Session) -> None:
        s.apps[event.app] = AppRecord(state=event.state, version=event.version, updated_at=event.ts)

    return change


def _reservation(event: ReservationChanged) -> Callable[[Session], None]:
    def change(s: Session) -> None:
        found = next((r for r in s.reservations if r.platform == event.platform), None)
        if found is None:
            found = Reservation(platform=event.platform, type=event.type)
            s.reservations.append(found)
        for key, value in event.fields.items():
            setattr(found, key, value)

    return change


def _reservation_dropped(event: ReservationDropped) -> Callable[[Session], None]:
    def change(s: Session) -> None:
        s.reservations = [r for r in s.reservations if r.platform != event.platform]

    return change


def _local_cluster(event: LocalClusterChanged) -> Callable[[Session], None]:
    records = [ProcessRecord.model_validate(p) for p in event.processes]

    def change(s: Session) -> None:
        s.cluster.processes = records
        if records:
            s.cluster.backend = "local"
            s.cluster.rest_url, s.cluster.flink_home = event.rest_url, event.flink_home
            s.cluster.flink_version = event.flink_version

    return change


def _strategy(event: StrategyChanged) -> Callable[[Session], None]:
    def change(s: Session) -> None:
        s.strategy.name, s.strategy.paused, s.strategy.dry_run = event.name, event.paused, event.dry_run
        s.strategy.pause_reason = event.message if event.paused else ""
        s.strategy.params = dict(event.params)
        s.strategy.loop.update(event.loop)  # what was changed live, then or before; the file keeps the rest

    return change


def _load(event: LoadChanged) -> Callable[[Session], None]:
    def change(s: Session) -> None:
        s.job.load_profile = dict(event.spec)

    return change


def _run(event: RunChanged, headless: bool = False) -> Callable[[Session], None]:
    def change(s: Session) -> None:
        s.cluster.backend = event.backend
        if event.status != "running":
            s.job.job_id, s.job.name, s.job.state, s.job.operators, s.job.taskmanagers = "", "", "none", [], 0
        if event.backend == "none" and not s.cluster.processes:
            s.cluster.rest_url = ""
        record = next((r for r in s.runs if r.id == event.run_id), None)
        if record is None:
            record = RunRecord(
                id=event.run_id,
                experiment=event.experiment,
                started_at=event.started_at or event.ts,
                results_dir=event.results_dir,
                live=event.live,
                headless=headless,
            )
            s.runs.append(record)
        record.status = event.status
        if event.backend != "none":
            record.backend = event.backend
        if event.ended_at is not None:
            record.ended_at = event.ended_at
        if event.summary:
            record.summary = {k: v for k, v in event.summary.items() if v is not None}

    return change


def _inventory(event: InventoryChanged) -> Callable[[Session], None]:
    def change(s: Session) -> None:
        s.inventory_file = event.path

    return change


def _kubeconfig(event: KubeconfigChanged) -> Callable[[Session], None]:
    def change(s: Session) -> None:
        s.cluster.kubeconfig = event.path

    return change


def _ui(event: UiChanged) -> Callable[[Session], None]:
    def change(s: Session) -> None:
        if event.pane is not None:
            s.ui.pane = event.pane
        if event.theme is not None:
            s.ui.theme = event.theme
        if event.layout is not None:
            s.ui.layout = event.layout  # type: ignore[assignment]

    return change


REDUCERS: dict[type[Event], Callable[[Any], Callable[[Session], None]]] = {
    JobChanged: _job,
    ClusterChanged: _instances,
    StageStateChanged: _stage,
    AppChanged: _app,
    ReservationChanged: _reservation,
    ReservationDropped: _reservation_dropped,
    InventoryChanged: _inventory,
    KubeconfigChanged: _kubeconfig,
    LocalClusterChanged: _local_cluster,
    StrategyChanged: _strategy,
    LoadChanged: _load,
    RunChanged: _run,
    UiChanged: _ui,
}
LIVE_CONTROLS = (StrategyChanged, LoadChanged)
"""The app's live controls: what its status line shows and its next cluster starts with (`LiveSession._prepare`).
Only the live session's own events (`live`) change them: an experiment's strategy and load, run from the app's run
history or by `--script`, are its file's, not the user's, and the app's next cluster must not inherit them."""
DURABLE: frozenset[type[Event]] = frozenset({ReservationChanged, ReservationDropped, InventoryChanged, RunChanged})
"""A reservation's job id and a run's start and end survive a crash at once; the rest may lag a quarter second."""


class SessionReducer:
    """Subscribed to the bus for the events in REDUCERS; the only code that calls `SessionStore.update`.

    `headless`: the engine has no app behind it (`--script`). Its runs change what is real (reservations, stages,
    processes, the job) and go in the run history, marked headless; being experiments, they leave the live controls
    as the app left them (LIVE_CONTROLS).
    """

    def __init__(self, store: SessionStore, bus: EventBus, *, headless: bool = False) -> None:
        self.store = store
        self.reducers = dict(REDUCERS)
        if headless:
            self.reducers[RunChanged] = partial(_run, headless=True)
        self._unsubscribe = [bus.subscribe(self.apply, kind) for kind in self.reducers]
        self._unsubscribe.append(bus.subscribe(self._running_parallelism, MetricsEvent))

    def apply(self, event: Event) -> None:
        reducer = self.reducers.get(type(event))
        if reducer is None or (isinstance(event, LIVE_CONTROLS) and not event.live):
            return
        self.store.update(reducer(event), durable=type(event) in DURABLE)

    def _running_parallelism(self, event: Event) -> None:
        """The job's parallelism as its samples show it: Flink changes it on its own too (a failover onto fewer
        slots), and the Pods header shows what runs. Read every sample, written only when it changed."""
        sample = event.sample if isinstance(event, MetricsEvent) else None
        if not isinstance(sample, JobSample) or sample.stale or not sample.operators:
            return
        seen, tms = sample.parallelism, sample.taskmanagers

        def same(s: Session) -> bool:
            running = all(seen.get(o.name, o.parallelism) == o.parallelism for o in s.job.operators)
            return running and (tms is None or tms == s.job.taskmanagers)

        if self.store.read(same):
            return

        def change(s: Session) -> None:
            for op in s.job.operators:
                op.parallelism = seen.get(op.name, op.parallelism)
            if tms is not None:
                s.job.taskmanagers = tms

        self.store.update(change)

    def mark_interrupted_stages(self) -> list[str]:
        """After a restart, stages still marked running were cut short: mark them cancelled, return their names."""
        stale = [key for key, record in self.store.session.stages.items() if record.state == "running"]
        if stale:

            def change(s: Session) -> None:
                for key in stale:
                    s.stages[key].state = "cancelled"
                    s.stages[key].message = "interrupted: scaletui stopped during the run"

            self.store.update(change)
        return stale

    def mark_interrupted_runs(self) -> list[str]:
        """Runs still marked running belong to a scaletui that died: mark them interrupted, and close their results
        (run.json, Parquet, report.md) as the dead process would have, ending at their last recorded sample (a live
        run's experiment.toml then lasts that long, as its teardown would have written it). An interrupted run
        without report.md (the recovery that closed it was cut short too) gets its report."""
        from scaletui.results.layout import REPORT, RUN_META

        runs = self.store.session.runs
        stale = [r.id for r in runs if r.status == "running"]
        unreported = [
            r.results_dir
            for r in runs
            if r.status == "interrupted"
            and r.results_dir
            and (Path(r.results_dir) / RUN_META).is_file()
            and not (Path(r.results_dir) / REPORT).is_file()
        ]
        if not stale and not unreported:
            return []
        from scaletui.results.recorder import close_interrupted

        for run_dir in unreported:
            close_interrupted(run_dir)
        if stale:
            from scaletui.engine.timeline import cover_recorded_length

            for r in runs:
                if r.id in stale and r.live and r.results_dir:
                    cover_recorded_length(Path(r.results_dir))
            ends = {r.id: close_interrupted(r.results_dir) for r in runs if r.id in stale and r.results_dir}

            def change(s: Session) -> None:
                for run in s.runs:
                    if run.id in stale:
                        run.status, run.ended_at = "interrupted", run.ended_at or ends.get(run.id) or time.time()

            self.store.update(change, durable=True)
        return stale

    def forget_cluster(self) -> None:
        """The cluster a crashed scaletui left is gone, stopped by hand or ended with it (the simulator ran in its
        process); no run ever owned it here, so no RunChanged ends it: the session says no cluster and no job, as
        after a stop."""

        def change(s: Session) -> None:
            s.cluster.processes, s.cluster.backend, s.cluster.rest_url = [], "none", ""
            s.job.job_id, s.job.name, s.job.state, s.job.operators, s.job.taskmanagers = "", "", "none", [], 0

        self.store.update(change, durable=True)

    def forget_loop(self, keys: Collection[str]) -> None:
        """Drop `keys` from the loop settings the session keeps: those that no longer fit the live defaults file,
        which the next cluster would otherwise refuse again at every start."""

        def change(s: Session) -> None:
            s.strategy.loop = {k: v for k, v in s.strategy.loop.items() if k not in keys}

        self.store.update(change)

    def journal(self) -> SessionFaultJournal:
        return SessionFaultJournal(self.store)

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()


class SessionFaultJournal:
    """The fault ledger's entries in the session file, each change on disk before it returns."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    def entries(self) -> list[FaultRecord]:
        return self.store.read(lambda s: [f.model_copy(deep=True) for f in s.faults])

    def put(self, record: FaultRecord) -> None:
        def change(s: Session) -> None:
            s.faults = [f for f in s.faults if f.id != record.id] + [record]

        self.store.update(change, durable=True)

    def drop(self, fault_id: str) -> None:
        self.store.update(lambda s: setattr(s, "faults", [f for f in s.faults if f.id != fault_id]), durable=True)
