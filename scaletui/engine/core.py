"""Engine: the one object both faces (the TUI and --script) drive.

It builds the shared parts once (bus, session store and its one writer, the series, the fault ledger, the testbed
control) and hands them to the parts that need them through an `EngineContext`: no part holds the Engine.
Intents (start the cluster, run a stage, fire a fault...) are methods on the parts it exposes, so both faces call
exactly the same code.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from scaletui import __version__
from scaletui.config.models import AppConfig
from scaletui.engine.context import EngineContext
from scaletui.engine.faults import FaultControl
from scaletui.engine.reducer import SessionReducer
from scaletui.engine.series import SeriesStore
from scaletui.engine.testbed import TestbedControl
from scaletui.errors import ConfigError
from scaletui.events import (
    ActuationEvent,
    DecisionEvent,
    ErrorEvent,
    Event,
    EventBus,
    FaultEvent,
    Notice,
    RunChanged,
    StageStateChanged,
    StrategyChanged,
    UiChanged,
)
from scaletui.session.lock import SessionLock
from scaletui.session.store import SessionStore, refuse_unknown_session

if TYPE_CHECKING:
    from scaletui.capacity.online import LiveCapacity
    from scaletui.engine.capabilities import ClusterView
    from scaletui.engine.live import LiveSession
    from scaletui.engine.run import Run
    from scaletui.engine.runs import ExperimentLauncher
    from scaletui.session.model import StrategyRecord

IN_PROCESS_BACKENDS = frozenset({"simulator"})
"""Clusters that run inside the scaletui that started them: one the session still records at open ended with the
process that ran it (local Flink's JVMs and a testbed's pods outlive it, and are adopted or stopped instead)."""
SESSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
log = logging.getLogger("scaletui")


class Engine:
    def __init__(
        self,
        config: AppConfig,
        session: str | None = None,
        *,
        headless: bool = False,
        owner: str = "the app",
        existing: bool = False,
    ) -> None:
        """`headless`: no app behind this engine (`--script`); its runs leave the session's live controls and the
        plots the app reopens on as the app left them (see `SessionReducer`). `owner`: what this scaletui is, as a
        second one opening the session is told (it is refused with SessionBusy while this engine is open).
        `existing`: only a session that exists, for a verb that acts on its state (destroy, extend, tokens): a
        mistyped name is refused with the sessions there are, rather than made into an empty one."""
        name = session or config.session
        if not SESSION_NAME.match(name):
            raise ConfigError(
                f"session name {name!r} is not usable: expected letters, digits, '.', '_' or '-' (at most 64)."
            )
        self.config = config
        self.bus = EventBus()
        self.session_dir = Path(config.paths.sessions).expanduser() / name
        if existing:
            refuse_unknown_session(self.session_dir)
        self.session_dir.mkdir(parents=True, exist_ok=True)
        self._lock = SessionLock.acquire(self.session_dir, name, owner)
        try:
            self._open(config, name, headless)
        except BaseException:
            self._lock.release()
            raise

    def _open(self, config: AppConfig, name: str, headless: bool) -> None:
        self._log_handler = self._attach_log()
        log.info("session %s opened by scaletui %s (pid %d)", name, __version__, os.getpid())
        self.store = SessionStore.open(self.session_dir, name)
        self.reducer = SessionReducer(self.store, self.bus, headless=headless)
        self._unlog = self.bus.subscribe(_log_event)
        self.series = SeriesStore().attach(self.bus)
        conf_dir = Path(config.paths.conf)
        self.ctx = EngineContext(
            name=name,
            config=config,
            bus=self.bus,
            store=self.store,
            session_dir=self.session_dir,
            conf_dir=conf_dir,
            cache_dir=Path(config.paths.cache).expanduser(),
            results_dir=Path(config.paths.results),
            faults=FaultControl(self.reducer.journal(), self.bus),
            testbed=TestbedControl(self.store, self.bus, conf_dir, self.session_dir),
            series=self.series,
        )
        self.faults = self.ctx.faults
        self.testbed = self.ctx.testbed
        self._live: LiveSession | None = None
        self._launcher: ExperimentLauncher | None = None
        self.startup_messages: list[str] = []
        """What the engine did before either face subscribed (e.g. orphaned faults it reverted); faces show it."""
        cleaned = self.faults.recover_at_start()
        if cleaned:
            what = "; ".join(f"{f.kind} on {', '.join(f.targets)}" for f in cleaned)
            self.startup_messages.append(f"Reverted {len(cleaned)} fault(s) left by an earlier run: {what}.")
        stale = self.reducer.mark_interrupted_stages()
        if stale:
            self.startup_messages.append(f"Marked stage(s) {', '.join(stale)} cancelled: scaletui stopped mid-run.")
        if self.reducer.mark_interrupted_runs():
            self.startup_messages.append("The last run was cut short when scaletui stopped; its results are kept.")
        if self.store.session.cluster.backend in IN_PROCESS_BACKENDS:
            self.reducer.forget_cluster()

    @property
    def live(self) -> LiveSession:
        """The interactive session, created on first use so that opening the app imports none of its parts."""
        if self._live is None:
            from scaletui.engine.live import LiveSession

            self._live = LiveSession(self.ctx, self.reducer.forget_loop)
        return self._live

    @property
    def experiments(self) -> ExperimentLauncher:
        """Experiments started from the TUI, one at a time."""
        if self._launcher is None:
            from scaletui.engine.runs import ExperimentLauncher

            self._launcher = ExperimentLauncher(self.ctx)
        return self._launcher

    @property
    def name(self) -> str:
        return self.ctx.name

    @property
    def conf_dir(self) -> Path:
        return self.ctx.conf_dir

    @property
    def results_dir(self) -> Path:
        return self.ctx.results_dir

    @property
    def log_file(self) -> Path:
        return self.ctx.log_file

    def restore_history(self) -> int:
        """Reopening a session shows its last hour: the series are filled from the last run recorded in the app
        (events are read back from its results directory; a headless run's were never on its screen). Returns how
        many events were restored; meant for a worker, after the first frame."""
        from scaletui.results.layout import is_run_dir
        from scaletui.results.playback import recorded_timeline

        if self.ctx.runs.active is not None or self.series.last_sample is not None:
            return 0
        runs = sorted(self.store.session.runs, key=lambda r: r.started_at)
        last = next((Path(r.results_dir) for r in reversed(runs) if r.results_dir and not r.headless), None)
        if last is None or not is_run_dir(last):
            return 0
        events = recorded_timeline(last)
        if not events:
            return 0
        since = events[-1].ts - self.series.history_s
        kept = [e for e in events if e.ts >= since]
        for event in kept:
            self.series.record(event)
        return len(kept)

    def run_active(self) -> bool:
        """A run holds the cluster (the live session's or an experiment's, until its teardown ends): closing the
        session stops it."""
        return self.ctx.runs.active is not None

    def active_run(self) -> Run | None:
        """The run the panes show: the live session's, or an experiment's started from the Runs screen."""
        from scaletui.engine.experiment import ExperimentRun

        active = self.ctx.runs.active
        return active.run if isinstance(active, ExperimentRun) else None

    def experiment_strategy(self) -> StrategyRecord | None:
        """While an experiment started from the run history runs, its autoscaler as the status line shows it: the
        session keeps the live session's, for its next cluster. None when no experiment runs."""
        from scaletui.engine.experiment import ExperimentRun
        from scaletui.session.model import StrategyRecord

        active = self.ctx.runs.active
        if not isinstance(active, ExperimentRun) or active.live:
            return None
        status = active.run.strategy_status() if active.run is not None else None
        if status is None:
            return StrategyRecord()
        return StrategyRecord(
            name=status.strategy, paused=status.paused, pause_reason=status.pause_reason, dry_run=status.dry_run
        )

    def active_capacity(self) -> LiveCapacity | None:
        """The capacity estimate of the active run's nodes (the Pods pane's `c`), or None."""
        from scaletui.engine.experiment import ExperimentRun

        active = self.ctx.runs.active
        return active.capacity if isinstance(active, ExperimentRun) else None

    def active_cluster(self) -> ClusterView | None:
        """The cluster of the active run (what `l`, `d` and faults act on), or None."""
        run = self.active_run()
        return run.caps.cluster if run is not None else None

    def leftover_cluster(self) -> bool:
        """True when the session records Flink processes that no run of this scaletui owns (a crash left them)."""
        return bool(self.store.read(lambda s: s.cluster.processes)) and self.ctx.runs.active is None

    def stop_leftover_cluster(self) -> str:
        """`S` after a crash: stop the Flink processes the dead scaletui left, without adopting them (which would
        begin a live recording) or starting a fresh cluster (what the `s` dialog's stop does)."""
        from scaletui.flink.cluster_config import ClusterLayout
        from scaletui.flink.leftovers import stop_leftovers
        from scaletui.flink.processes import FlinkProcess

        if not self.leftover_cluster():
            return "No cluster is running."
        records = self.store.read(lambda s: list(s.cluster.processes))
        remembered = tuple(FlinkProcess(p.name, p.role, p.pid, list(p.ports), p.started_at) for p in records)
        found = stop_leftovers(ClusterLayout(self.session_dir / "flink"), remembered)
        self.reducer.forget_cluster()
        if found.stopped:
            return f"Stopped the Flink cluster a crashed scaletui left running: {', '.join(found.stopped)}."
        return f"The Flink processes a crashed scaletui left had exited already ({', '.join(found.gone)})."

    def kubeconfig(self) -> Path:
        return self.ctx.kubeconfig()

    def conf_files(self, kind: str) -> list[Path]:
        """The TOML files of one kind under conf/: platforms, experiments or strategies."""
        return sorted((self.conf_dir / kind).glob("*.toml"))

    def remember_ui(self, pane: str | None = None, theme: str | None = None, layout: str | None = None) -> None:
        """What the TUI wants back next time; recorded off the UI thread's disk path (the store writes later)."""
        self.bus.publish(UiChanged(source="tui", pane=pane, theme=theme, layout=layout))

    def notice(self, message: str, level: str = "info") -> None:
        self.ctx.notice(message, level)

    def error(self, message: str, hint: str = "", source: str = "engine") -> None:
        self.ctx.error(message, hint, source)

    def _attach_log(self) -> logging.Handler:
        handler = logging.FileHandler(self.session_dir / "scaletui.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per REST poll would drown the log
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
        return handler

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop live work (the run, stages, faults), write the session, then detach the log."""
        from scaletui.engine.live import STILL_STOPPING

        try:
            if self._launcher is not None:
                self._launcher.cancel()
                if self._launcher.running:
                    self._still_running("The experiment")
            self.testbed.cancel()
            if self._live is not None and self._live.stop() == STILL_STOPPING:
                self._still_running("The cluster")
            self.faults.close()
        except Exception:
            log.exception("stopping the live work failed")
        self._unlog()
        self.reducer.close()
        self.series.detach()
        self.store.close()
        log.info("session %s closed", self.name)
        logging.getLogger().removeHandler(self._log_handler)
        self._log_handler.close()
        self._lock.release()

    def _still_running(self, what: str) -> None:
        self.error(
            f"{what} had not stopped when the session closed; its cluster may still be running.",
            f"`scaletui destroy --session {self.name}` stops it.",
        )


LOGGED = (ErrorEvent, Notice, StageStateChanged, RunChanged, FaultEvent, ActuationEvent, DecisionEvent, StrategyChanged)


def _log_event(event: Event) -> None:
    """What a user saw happen, one line each in the session's log: errors, notices, stages, runs, faults,
    actuations and decisions (metrics and progress ticks are in the run's results, not here). A decision is logged
    once, with its outcome, as decisions.jsonl holds it: not when it is shown in progress."""
    if isinstance(event, LOGGED) and not (isinstance(event, DecisionEvent) and event.in_progress):
        from scaletui.results.records import event_log_line

        level = logging.ERROR if isinstance(event, ErrorEvent) else logging.INFO
        log.log(level, "%s", event_log_line(event))
