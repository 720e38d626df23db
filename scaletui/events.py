"""Typed events and the one bus every worker posts to.

The TUI and the headless runner are both subscribers: the engine never knows which face is listening.
Handlers run in the publisher's thread; a subscriber that owns a loop (Textual) hops threads itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event: when it happened (epoch seconds) and which worker sent it."""

    ts: float = field(default_factory=time.time)
    source: str = "engine"


@dataclass(frozen=True, kw_only=True)
class Progress(Event):
    """A step of long work: `fraction` in [0, 1] when known, None for indeterminate."""

    step: str
    message: str = ""
    fraction: float | None = None
    done: bool = False


@dataclass(frozen=True, kw_only=True)
class StageTask(Event):
    """One Ansible task result inside a stage run (ansible-runner's per-task event)."""

    stage: str
    run_id: str
    play: str
    task: str
    host: str
    status: Literal["started", "ok", "changed", "failed", "skipped", "unreachable"]
    duration_s: float | None = None
    message: str = ""
    tasks_done: int = 0
    tasks_total: int | None = None


@dataclass(frozen=True, kw_only=True)
class StageStateChanged(Event):
    """A stage or app run began or ended; the fields left at their defaults are not recorded."""

    stage: str
    state: Literal["pending", "running", "done", "failed", "cancelled"]
    message: str = ""
    run_id: str = ""
    started_at: float | None = None
    ended_at: float | None = None
    log_file: str | None = None
    failed_task: str | None = None


@dataclass(frozen=True, kw_only=True)
class AppChanged(Event):
    """An application of the application stage was deployed, deleted, or failed."""

    app: str
    state: Literal["deployed", "deleted", "failed"]
    version: str = ""


@dataclass(frozen=True, kw_only=True)
class KubeconfigChanged(Event):
    """The orchestration stage fetched the cluster's kubeconfig."""

    path: str


@dataclass(frozen=True, kw_only=True)
class ReservationChanged(Event):
    """A reservation's recorded fields (state, job id, nodes as `session.model.Node` dicts...) changed.

    Durable: once published, a job id survives a crash of scaletui, so the machines are never left booked."""

    platform: str
    type: str
    fields: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class ReservationDropped(Event):
    """A reservation that holds nothing on the testbed (it failed before anything was made there) leaves the session."""

    platform: str


@dataclass(frozen=True, kw_only=True)
class InventoryChanged(Event):
    path: str


@dataclass(frozen=True, kw_only=True)
class LocalClusterChanged(Event):
    """The local Flink cluster's processes and where it answers, so a restarted scaletui adopts or stops them.

    `processes` holds dicts with the fields of `session.model.ProcessRecord`."""

    processes: tuple[dict[str, Any], ...]
    rest_url: str
    flink_home: str
    flink_version: str


@dataclass(frozen=True, kw_only=True)
class MetricsEvent(Event):
    """A new metrics sample; `sample` is a `scaletui.metrics.model.JobSample`."""

    sample: Any


@dataclass(frozen=True, kw_only=True)
class ClusterChanged(Event):
    """The set or state of instances changed; `instances` is a list of `cluster.base.Instance`."""

    instances: tuple[Any, ...] = ()
    message: str = ""


@dataclass(frozen=True, kw_only=True)
class JobChanged(Event):
    """The job started, changed parallelism or state, or ended; `info` is a `cluster.base.JobInfo` when the
    backend described the job (name, operators with vertex ids and max parallelism)."""

    job_id: str | None
    state: str
    parallelism: dict[str, int] = field(default_factory=dict)
    message: str = ""
    info: Any = None
    taskmanagers: int | None = None


USER_PAUSE = "paused by the user"
"""The reason of a pause the user asked for (space, :pause, a timeline step): the one a restarted cluster keeps, and
the one the status bar shows bare."""


@dataclass(frozen=True, kw_only=True)
class StrategyChanged(Event):
    """The autoscaler of the active run: its strategy (or "none"), paused or not, dry-run or not."""

    name: str
    paused: bool = False
    dry_run: bool = False
    message: str = ""
    settings: str = ""
    """Its parameters in one line (`ControllerStatus.settings`), so a replay shows them too."""
    params: dict[str, Any] = field(default_factory=dict)
    """The overrides of its strategy file's parameters it runs with: the session keeps them, so a reopened app or a
    restarted cluster runs the strategy as it was tuned."""
    loop: dict[str, float] = field(default_factory=dict)
    """The loop's settings changed in this run (interval, window, cooldown in seconds; the guard rails min_parallelism,
    max_parallelism, max_taskmanagers, max_slots), with `:strategy NAME interval=5s max_parallelism=6`, the strategy
    form or a timeline step. Those changed live (`live`) the session keeps over the live defaults file's, whose other
    values still reach a restarted cluster (an edit of the file too)."""
    live: bool = False
    """Published by the run of the app's live session, not an experiment's: the session keeps the strategy, its
    parameters and loop settings of these only, for its next cluster (an experiment's are its file's)."""


@dataclass(frozen=True, kw_only=True)
class LoadChanged(Event):
    """The load profile now applied; `spec` is the `config.models.LoadSpec` as a dict."""

    spec: dict[str, Any]
    message: str = ""
    live: bool = False
    """Published by the app's live session: only then does the session keep the load for its next cluster."""


@dataclass(frozen=True, kw_only=True)
class RunChanged(Event):
    """A run (an experiment, or a live session: an open-ended run) started, ended, or opened its backend."""

    run_id: str
    experiment: str
    status: Literal["running", "done", "failed", "interrupted"]
    backend: Literal["none", "local", "kubernetes", "simulator"] = "none"
    started_at: float | None = None
    ended_at: float | None = None
    results_dir: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    live: bool = False


@dataclass(frozen=True, kw_only=True)
class UiChanged(Event):
    """The TUI's remembered state (pane, theme, layout); fields left None are unchanged."""

    pane: str | None = None
    theme: str | None = None
    layout: str | None = None


@dataclass(frozen=True, kw_only=True)
class ActuationEvent(Event):
    """A rescale or TaskManager change, with its start, end and measured downtime (None until known)."""

    kind: Literal["parallelism", "taskmanagers", "savepoint-restart"]
    target: str
    before: Any
    after: Any
    started: float
    ended: float | None = None
    downtime_s: float | None = None
    ok: bool = True
    message: str = ""


@dataclass(frozen=True, kw_only=True)
class DecisionEvent(Event):
    """A strategy decision with its inputs and the reason; `applied` is False in dry-run or when unchanged. `ts` is
    when it was made. A decision that changes the job is published twice: at once `in_progress` (while its actuation
    runs, seconds to minutes), then with its outcome when the actuation ends, `rescale_s` later."""

    strategy: str
    parallelism: dict[str, int]
    taskmanagers: int | None
    reason: str
    applied: bool
    dry_run: bool = False
    inputs: dict[str, Any] = field(default_factory=dict)
    rescale_s: float | None = None
    """How long applying it took (None when nothing was applied): it ended at `ts + rescale_s`."""
    before: dict[str, int] = field(default_factory=dict)
    """The parallelism the decision started from (its "from"; `parallelism` is its "to")."""
    taskmanagers_before: int | None = None
    in_progress: bool = field(default=False, metadata={"transient": True})
    """Its actuation is under way: the history and the strategy line show it now, and the same decision (same `ts`)
    comes again with its outcome. Transient: a run's records hold the outcome only, one line per decision."""


@dataclass(frozen=True, kw_only=True)
class StepTaken(Event):
    """A step a person took rather than the autoscaler: a key or the `:` line in a live session (`by="hand"`), or a
    step of the experiment file's timeline (`by="file"`). `ts` is when it started (when it was asked for);
    it is published once it has ended, `ok` or not, with what it did in `message`. The plots mark its rescales and
    TaskManager changes apart from the autoscaler's decisions, and report.md lists every one in its Timeline."""

    step: dict[str, Any]
    """The timeline step's fields without its time (`do`, then `operator` and `parallelism`, `count`, `load`...)."""
    by: Literal["hand", "file"]
    ok: bool = True
    message: str = ""

    @property
    def changes_job(self) -> bool:
        """A rescale or TaskManager change that went through: what the plots mark apart from the decisions."""
        return self.ok and self.step.get("do") in ("rescale", "taskmanagers")


@dataclass(frozen=True, kw_only=True)
class FaultEvent(Event):
    """A fault's life: injected (with its parameters and backend, so a replay and the report show how strong it
    was), then reverted, expired, cleaned after a crash, or failed."""

    fault_id: str
    kind: str
    action: Literal["injected", "reverted", "expired", "failed", "cleaned"]
    targets: tuple[str, ...] = ()
    expires: float | None = None
    message: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    backend: str = ""


@dataclass(frozen=True, kw_only=True)
class LatencyEvent(Event):
    """A new node-to-node latency matrix; `matrix` is a `scaletui.latency.matrix.LatencyMatrix`."""

    matrix: Any


@dataclass(frozen=True, kw_only=True)
class ErrorEvent(Event):
    """A failure a user should see: one sentence, plus what to do. Details go to the log file."""

    message: str
    hint: str = ""
    fatal: bool = False


@dataclass(frozen=True, kw_only=True)
class Notice(Event):
    """A plain informational line (e.g. "session saved", "cleaned 2 orphaned faults")."""

    message: str
    level: Literal["info", "warning"] = "info"
    restates: bool = field(default=False, metadata={"transient": True})
    """It says again what an event published just before it told (a timeline step's fault and its FaultEvent): a
    reader of every event, the `--script` printer, leaves it out; the message line, one notice at a time, shows it.
    Transient: for live subscribers, not written to a run's records."""


Handler = Callable[[Event], None]


class EventBus:
    """Fan-out of events to subscribers; thread-safe, never lets one handler break the others."""

    def __init__(self) -> None:
        self._handlers: list[tuple[type[Event], Handler]] = []
        self._lock = threading.Lock()

    def subscribe(self, handler: Handler, kind: type[Event] = Event) -> Callable[[], None]:
        """Call `handler` for every event of type `kind`; returns a function that unsubscribes."""
        entry = (kind, handler)
        with self._lock:
            self._handlers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._handlers:
                    self._handlers.remove(entry)

        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            handlers = list(self._handlers)
        for kind, handler in handlers:
            if isinstance(event, kind):
                try:
                    handler(event)
                except Exception:  # a broken subscriber must not stop the engine
                    log.exception("event handler %r failed on %r", handler, event)
