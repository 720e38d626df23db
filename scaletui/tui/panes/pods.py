"""Pods: the JobManager and TaskManagers (processes locally, pods on Kubernetes) and the job's operators."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from scaletui.config.units import format_duration
from scaletui.events import ClusterChanged, Event
from scaletui.tui.panes.base import Pane
from scaletui.tui.screens.form import FormField, FormScreen
from scaletui.tui.widgets.filter_table import FilterTable, Row

if TYPE_CHECKING:
    from scaletui.capacity.node import NodeCapacityRow
    from scaletui.cluster.base import Instance
    from scaletui.engine.view import RunView
    from scaletui.session.model import JobRecord, Session
    from scaletui.tui.theming import Palette

STATE = {"running": "ok", "starting": "warn", "paused": "warn", "failed": "fail", "stopped": "pending"}
"""An instance's state -> its semantic colour."""
EMPTY = "Cluster stopped. Press s to start it on the newest reserved platform, or local Flink when none is."


def stopped_text(session: Session) -> str:
    """What `s` starts, said before it is pressed (`Session.reserved_platform`, as the engine picks it), else local
    Flink: it read as if `s` offered a choice of the simulator."""
    platform = session.reserved_platform()
    if platform is not None:
        return f"Cluster stopped. Press s to start it on {platform}, the newest reservation (1 lists them)."
    return (
        "Cluster stopped. Press s to start local Flink on 127.0.0.1. For the simulator or a testbed, reserve it "
        "first in Reservations (1, then n)."
    )


REPLAY_EMPTY = "No pods recorded at this time of the run."


STOP_KEYS = "y stops it, n or Esc keeps it."
LOST = "Its TaskManagers and their state are lost."


def stop_question(job: JobRecord) -> str:
    running = f" and its job ({job.state.lower()})" if job.job_id else ""
    return f"Stop the cluster{running}? {LOST}"


def size(n_bytes: float | None) -> str:
    """Memory in a table cell: MiB below 10 GiB (TaskManager sizes are read in MiB), GiB above."""
    if n_bytes is None:
        return "-"
    mib = n_bytes / 2**20
    return f"{mib:.0f}M" if mib < 10240 else f"{mib / 1024:.1f}G"


def instance_row(i: Instance, now: float, palette: Palette) -> Row:
    uptime = format_duration(now - i.started_at) if i.started_at and i.state == "running" else "-"
    cpu = f"{i.cpu_cores * 100:.0f}%" if i.cpu_cores is not None else "-"
    slots = f"{i.slots_used}/{i.slots_total}" if i.slots_total is not None else "-"
    state = (
        Text(i.state, style=palette.style(STATE[i.state], "bold" if i.state == "failed" else ""))
        if i.state in STATE
        else i.state
    )
    return i.name, [i.name, i.role, state, i.node, uptime, str(i.restarts), cpu, size(i.memory_bytes), slots]


def _cores(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def judged_by(row: NodeCapacityRow, scope_s: float = 60.0, history: int = 4) -> str:
    """How a row's free figure was reached, in words: measured now, the TaskManagers booked (before the first scope
    closes), or the strategy over the usage it has seen (at most `history` scopes of `scope_s`)."""
    if row.strategy == "measured":
        return "measured now"
    if row.scopes == 0:
        return "TMs booked"
    seen = min(row.scopes, history) * scope_s
    return f"{row.strategy}, last {seen / 60:g} min" if seen % 60 == 0 else f"{row.strategy}, last {seen:g}s"


def capacity_legend(rows: list[NodeCapacityRow]) -> str:
    """One line under the table saying what free and +TMs mean for these rows."""
    if any(r.strategy == "measured" for r in rows):
        return "free = size − in use now · +TMs: TaskManagers that fit in free memory"
    return "free = size − expected peak use · +TMs: more TaskManagers + can place there"


def capacity_row(row: NodeCapacityRow, scope_s: float = 60.0, history: int = 4) -> Row:
    """Used now out of the size, free by the estimate, and how many more TaskManagers of the configured size fit."""
    cpu, mem = row.cpu, row.memory
    return row.node, [
        row.node,
        f"{_cores(cpu.used)}/{_cores(cpu.size)}" if cpu else "-",
        _cores(cpu.free) if cpu else "-",
        f"{size(mem.used)}/{size(mem.size)}" if mem and mem.used is not None else "-",
        size(mem.free) if mem else "-",
        "-" if row.taskmanagers_fit is None else str(row.taskmanagers_fit),
        judged_by(row, scope_s, history),
    ]


class PodsPane(Pane):
    pane_id = "pods"
    session_parts = frozenset({"job", "cluster", "reservations"})
    """The reservations too: what `s` starts, said while the cluster is stopped, follows them."""
    DEFAULT_CSS = """
    PodsPane #job-line { height: auto; padding: 0 1; color: $text-muted; }
    PodsPane #job-line.-empty { display: none; }
    PodsPane #capacity { display: none; height: 40%; border-top: solid $panel; }
    PodsPane #capacity.-shown { display: block; }
    PodsPane #capacity-legend { display: none; height: 1; padding: 0 1; color: $text-muted; }
    PodsPane #capacity-legend.-shown { display: block; }
    """

    def __init__(self, view: RunView | None = None) -> None:
        super().__init__(view)
        self.instances: list[Instance] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="job-line", classes="-empty")
        yield FilterTable(
            ["Name", "Role", "State", "Node", "Up", "Rst", "CPU", "Mem", "Slots"], self._first_empty(), id="instances"
        )
        yield FilterTable(
            ["Node", "CPU used", "CPU free", "Mem used", "Mem free", "+TMs", "Free judged by"],
            "No capacity figures yet: they need the cluster running and its first telemetry.",
            id="capacity",
        )
        yield Static("", id="capacity-legend")

    def _first_empty(self) -> str:
        """Before the session opens: not "Cluster stopped" when its file records Flink processes a crash left."""
        if not self.live:
            return REPLAY_EMPTY
        boot = getattr(self.app, "boot", None)
        left = getattr(boot, "leftover", ())
        if left and not getattr(self.app, "engine_ready", True):
            return f"The session records Flink processes left running ({', '.join(left)}); opening it to check them..."
        return EMPTY

    def engine_ready(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if not self.is_active:
            return
        if self.instances:
            self._draw()
        capacity = self.query_one("#capacity", FilterTable)
        if capacity.has_class("-shown"):
            estimator = self.view.capacity()
            rows = self.capacity_rows()
            scope_s, history = (estimator.config.scope, estimator.config.history_scopes) if estimator else (60, 4)
            capacity.set_rows(capacity_row(r, scope_s, history) for r in rows)
            self.query_one("#capacity-legend", Static).update(capacity_legend(rows) if rows else "")

    def capacity_rows(self) -> list[NodeCapacityRow]:
        """Locally, this machine measured now (what `+` meets); elsewhere, the estimator's rows per node, with what
        the platform would still place on each where it decides that itself (the simulator)."""
        estimator = self.view.capacity()
        if estimator is None:
            return []
        if self.view.session().cluster.backend == "local":
            from scaletui.capacity.host import host_row, read_host

            tms = sum(i.role == "taskmanager" for i in self.instances)
            return [host_row(read_host(), tms, estimator.config.taskmanager)]
        placement = getattr(self.engine.active_cluster(), "taskmanager_placement", None)
        return estimator.rows(placement=placement() if callable(placement) else None)

    def _draw(self) -> None:
        now = self.view.now()
        self.query_one("#instances", FilterTable).set_rows(instance_row(i, now, self.palette) for i in self.instances)

    def action_toggle_capacity(self) -> None:
        self.query_one("#capacity", FilterTable).toggle_class("-shown")
        self.query_one("#capacity-legend", Static).toggle_class("-shown")
        self._tick()

    def show_session(self, session: Session) -> None:
        job = session.job
        left = (
            ", ".join(p.name for p in session.cluster.processes) if self.live and self.engine.leftover_cluster() else ""
        )
        if left:
            text = f"A crashed scaletui left Flink running ({left}). Press s to adopt it or start afresh, S to stop it."
        elif job.job_id:
            ops = "  ".join(f"{op.name}×{op.parallelism}" for op in job.operators)
            text = f"job {job.name} {job.state} ({job.job_id[:8]})  {ops}  TaskManagers {job.taskmanagers}"
        elif session.cluster.backend != "none":
            text = (
                "No job running. Press j to submit the workload job." if self.live else "No job recorded at this time."
            )
        else:
            text = ""
        line = self.query_one("#job-line", Static)
        line.update(text)
        line.set_class(not text, "-empty")
        table = self.query_one("#instances", FilterTable)
        if not self.live:
            table.set_empty(REPLAY_EMPTY)
        elif session.cluster.backend == "none":
            self.instances = []
            table.set_empty(stopped_text(session))
        elif left and not self.instances:
            table.set_empty("No instances shown until the cluster left running is adopted (s) or stopped (S).")
        elif not self.instances:
            table.set_empty(f"Waiting for the {session.cluster.backend} cluster's instances...")
        self._draw()

    # --- intents ---------------------------------------------------------------------------------------------------

    def action_start_cluster(self) -> None:
        if not self.engine.leftover_cluster():
            self.run_intent(
                "starting the cluster (ctrl+g cancels)",
                lambda cancel: self.engine.live.start(cancel=cancel),
                group="cluster",
                cancellable=True,
            )
            return
        names = ", ".join(p.name for p in self.engine.store.session.cluster.processes)
        fields = [
            FormField("choice", f"A crashed scaletui left Flink processes ({names}).", "adopt", ("adopt", "stop"))
        ]

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                choice = values["choice"]
                self.run_intent(
                    "starting the cluster (ctrl+g cancels)",
                    lambda cancel: self.engine.live.start(cancel=cancel, recovery=choice),
                    group="cluster",
                    cancellable=True,
                )

        hint = "adopt: keep them and their job; stop: stop them and start a fresh cluster (S only stops them)."
        self.app.push_screen(FormScreen("Cluster left running", fields, hint), done)

    def _selected(self) -> str | None:
        name = self.query_one("#instances", FilterTable).selected_key()
        if name is None:
            self.scaletui.say("No instance selected.")
        return name

    def action_logs(self) -> None:
        from scaletui.engine.inspect import instance_logs
        from scaletui.tui.screens.text import TextScreen

        if (name := self._selected()) is not None:
            self.app.push_screen(TextScreen(f"log of {name}", lambda: instance_logs(self.engine, name), end=True))

    def action_describe(self) -> None:
        from scaletui.engine.inspect import describe_instance
        from scaletui.tui.screens.text import TextScreen

        if (name := self._selected()) is not None:
            self.app.push_screen(TextScreen(f"describe {name}", lambda: describe_instance(self.engine, name)))

    def action_stop_cluster(self) -> None:
        """Stopping ends the job and whatever runs on the cluster: ask first when one is live. A cluster a crash
        left is stopped as it is, neither adopted nor replaced."""
        if self.engine.live.is_open:
            stop, question = self.engine.live.stop, stop_question(self.engine.store.session.job)
        elif self.engine.leftover_cluster():
            names = ", ".join(p.name for p in self.engine.store.session.cluster.processes)
            stop, question = (
                self.engine.stop_leftover_cluster,
                f"Stop the Flink cluster a crashed scaletui left ({names})? {LOST}",
            )
        else:
            self.scaletui.say("No cluster is running.")
            return
        from scaletui.tui.screens.confirm import ConfirmScreen

        def done(yes: bool | None) -> None:
            if yes:
                self.run_intent("stopping the cluster", stop, group="cluster")
            else:
                self.scaletui.say("Cluster kept.")

        self.app.push_screen(ConfirmScreen(question, STOP_KEYS), done)

    def action_add_taskmanager(self) -> None:
        self.run_intent("adding a TaskManager", lambda: self.engine.live.change_taskmanagers(+1), group="cluster")

    def action_remove_taskmanager(self) -> None:
        self.run_intent("removing a TaskManager", lambda: self.engine.live.change_taskmanagers(-1), group="cluster")

    def action_submit_job(self) -> None:
        self.run_intent("submitting the job", self.engine.live.submit_job, group="job")

    def action_cancel_job(self) -> None:
        self.run_intent("cancelling the job", self.engine.live.cancel_job, group="job")

    def on_engine_event(self, event: Event) -> None:
        """Instances as they change; the job's changes show in the job line (the session), not on the message line,
        where they would bury the answer to the key that made them."""
        if isinstance(event, ClusterChanged):
            self.instances = list(event.instances)
            if self.is_active:
                self._draw()

    def on_show(self) -> None:
        """A hidden pane keeps the instances it was sent and draws them when it is shown."""
        if self._view is not None or self.scaletui.engine_ready:
            self._draw()
