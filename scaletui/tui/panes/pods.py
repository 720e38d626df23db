"""Pods: the JobManager and TaskManagers (processes locally, pods on Kubernetes) and the job's operators."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from scaletui.cluster.base import Instance
from scaletui.config.units import format_duration
from scaletui.events import ClusterChanged, Event
from scaletui.session.model import Session
from scaletui.tui.panes.base import Pane
from scaletui.tui.screens.form import FormField, FormScreen
from scaletui.tui.widgets.filter_table import FilterTable, Row

if TYPE_CHECKING:
    from scaletui.capacity.node import NodeCapacityRow

STATE_STYLE = {"running": "green", "starting": "yellow", "paused": "magenta", "failed": "bold red", "stopped": "dim"}
EMPTY = (
    "Cluster stopped. Press s to start it: local Flink on 127.0.0.1, the simulator, or the pods of a reserved testbed."
)


def instance_row(i: Instance, now: float) -> Row:
    uptime = format_duration(now - i.started_at) if i.started_at and i.state == "running" else "-"
    cpu = f"{i.cpu_cores * 100:.0f}%" if i.cpu_cores is not None else "-"
    mem = f"{i.memory_bytes / 2**20:.0f}M" if i.memory_bytes is not None else "-"
    slots = f"{i.slots_used}/{i.slots_total}" if i.slots_total is not None else "-"
    return i.name, [
        i.name,
        i.role,
        Text(i.state, style=STATE_STYLE.get(i.state, "")),
        i.node,
        uptime,
        str(i.restarts),
        cpu,
        mem,
        slots,
    ]


def _cores(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def capacity_row(row: NodeCapacityRow) -> Row:
    """Booked vs used vs estimated free per node, and how many more TaskManagers of the configured size fit."""
    cpu, mem = row.cpu, row.memory
    return row.node, [
        row.node,
        _cores(cpu.booked) if cpu else "-",
        _cores(cpu.used) if cpu else "-",
        _cores(cpu.free) if cpu else "-",
        f"{mem.free / 2**30:.1f}G" if mem else "-",
        "-" if row.taskmanagers_fit is None else str(row.taskmanagers_fit),
        f"{row.scopes} ({row.strategy})",
    ]


class PodsPane(Pane):
    pane_id = "pods"
    session_parts = frozenset({"job", "cluster"})
    DEFAULT_CSS = """
    PodsPane #job-line { height: auto; padding: 0 1; color: $text-muted; }
    PodsPane #capacity { display: none; height: 40%; border-top: solid $panel; }
    PodsPane #capacity.-shown { display: block; }
    """

    def __init__(self, engine, view=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(engine, view)
        self.instances: list[Instance] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="job-line")
        yield FilterTable(["Name", "Role", "State", "Node", "Up", "Rst", "CPU", "Mem", "Slots"], EMPTY, id="instances")
        yield FilterTable(
            ["Node", "CPU booked", "CPU used", "CPU free", "Mem free", "+TMs", "Scopes"],
            "No capacity estimate yet: it needs the cluster running and one full scope of telemetry.",
            id="capacity",
        )

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if not self.is_active:
            return
        if self.instances:
            self._draw()
        capacity = self.query_one("#capacity", FilterTable)
        if capacity.has_class("-shown"):
            estimator = self.engine.active_capacity()
            capacity.set_rows(capacity_row(r) for r in (estimator.rows() if estimator else []))

    def _draw(self) -> None:
        now = self.view.now()
        self.query_one("#instances", FilterTable).set_rows(instance_row(i, now) for i in self.instances)

    def action_toggle_capacity(self) -> None:
        self.query_one("#capacity", FilterTable).toggle_class("-shown")
        self._tick()

    def show_session(self, session: Session) -> None:
        job = session.job
        if job.job_id:
            ops = "  ".join(f"{op.name}×{op.parallelism}" for op in job.operators)
            text = f"job {job.name} {job.state} ({job.job_id[:8]})  {ops}  TaskManagers {job.taskmanagers}"
        elif session.cluster.backend != "none":
            text = "No job running. Press j to submit the workload job."
        else:
            text = ""
        self.query_one("#job-line", Static).update(text)
        table = self.query_one("#instances", FilterTable)
        if session.cluster.backend == "none":
            self.instances = []
            table.set_empty(EMPTY)
            self._draw()
        elif not self.instances:
            table.set_empty(f"Waiting for the {session.cluster.backend} cluster's instances...")

    # --- intents ---------------------------------------------------------------------------------------------------

    def action_start_cluster(self) -> None:
        if not self.engine.leftover_cluster():
            self.run_intent("starting the cluster", self.engine.live.start, group="cluster")
            return
        names = ", ".join(p.name for p in self.engine.store.session.cluster.processes)
        fields = [
            FormField("choice", f"A crashed scaletui left Flink processes ({names}).", "adopt", ("adopt", "stop"))
        ]

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                choice = values["choice"]
                self.run_intent(
                    "starting the cluster", lambda: self.engine.live.start(recovery=choice), group="cluster"
                )

        hint = "adopt: keep them and their job; stop: stop them and start a fresh cluster."
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
            self.app.push_screen(TextScreen(f"logs of {name} (r reloads)", lambda: instance_logs(self.engine, name)))

    def action_describe(self) -> None:
        from scaletui.engine.inspect import describe_instance
        from scaletui.tui.screens.text import TextScreen

        if (name := self._selected()) is not None:
            self.app.push_screen(TextScreen(f"describe {name}", lambda: describe_instance(self.engine, name)))

    def action_stop_cluster(self) -> None:
        self.run_intent("stopping the cluster", self.engine.live.stop, group="cluster")

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
            self._draw()
