"""Chaos: active faults with time left, and the node-to-node latency matrix as a heat table.

The fault table puts its short columns first (time left, backend) and the long ones last (targets, parameters),
so several targets never push what matters off an 80-column screen. The matrix numbers its columns and names each
row in full, so long instance names are never cut.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from scaletui.chaos.kinds import EXAMPLES, KINDS, NETWORK_KINDS, split_targets
from scaletui.config.units import parse_duration
from scaletui.errors import ConfigError
from scaletui.events import ClusterChanged, Event, FaultEvent, LatencyEvent
from scaletui.tui.intents import inline_table
from scaletui.tui.panes.base import Pane
from scaletui.tui.screens.form import FormField, FormScreen, Linked
from scaletui.tui.widgets.filter_table import FilterTable, Row

if TYPE_CHECKING:
    from scaletui.engine.view import RunView
    from scaletui.session.model import FaultRecord, Session
    from scaletui.tui.theming import Palette

ONE_TASKMANAGER = (
    "With one TaskManager its operators exchange records in memory, not over the network, so a {kind} changes "
    "little but its heartbeats and metrics: add a TaskManager (+ in Pods) and spread an operator over both "
    "(p in Plots) to see it."
)

EMPTY = f"No active fault. Press f to fire one: {', '.join(KINDS[:-1])} or {KINDS[-1]}."
REPLAY_EMPTY = "No fault recorded as active at this time of the run."
NO_FAULTS = "No active fault: the {platform} platform has no fault injection (local and testbeds have it)."
NO_PROBES_YET = "no probes yet (they start with the cluster)"


def check_fault_form(values: dict[str, str]) -> None:
    """The fault form's values, refused before firing. An empty Targets field is refused rather than read as every
    TaskManager (an experiment file's default): emptied by hand, it meant a kill of the whole cluster unasked."""
    if not split_targets(values["targets"]):
        raise ConfigError(
            "Targets: name at least one target.",
            "role:taskmanager for every TaskManager, or taskmanager-1, pid:123, operator:expensive.",
        )
    try:
        parse_duration(values["duration"])
    except ValueError as e:
        raise ConfigError(f"duration: expected {e}.") from None
    inline_table(values["params"], "fault parameters")


def param_text(value: object) -> str:
    """A fault parameter as typed: 50 rather than 50.0."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def fault_row(f: FaultRecord, now: float, palette: Palette) -> Row:
    left = max(0.0, f.expires_at - now)
    params = " ".join(f"{k}={param_text(v)}" for k, v in f.params.items() if v is not None and v != "")
    kind = Text(f.kind, style=palette.style("fault-active", "bold"))
    return f.id, [f.id, kind, f"{left:.0f}s", f.backend, ", ".join(f.targets) or "-", params or "-"]


def latency_view(
    names: list[str], matrix: dict[tuple[str, str], float | None], hosts: frozenset[str], palette: Palette
) -> RenderableType:
    """The matrix between the nodes that run an instance (a host, or on local Flink an instance itself), all of them
    before instances are known: the simulator measures its four nodes while one TaskManager runs on node-1."""
    shown = [n for n in names if n in hosts] if hosts else names
    idle = len(names) - len(shown)
    more = f"{idle} more node{'s' if idle > 1 else ''} measured, running no instance." if idle else ""
    if len(shown) < 2:
        where = shown[0] if shown else "a node outside the matrix"
        return Text(f"Latency matrix: every instance runs on {where}, nothing between nodes to show. {more}".strip())
    if not more:
        return heat_table(shown, matrix, palette)
    return Group(heat_table(shown, matrix, palette), Text(more, style="dim"))


def heat_table(names: list[str], matrix: dict[tuple[str, str], float | None], palette: Palette) -> Table:
    """Latency in ms from the row's node to the column's, coloured ok / warn / fail by thirds of the highest; a pair
    not measured is '?'. Columns are numbered; each row gives its number and its full name."""
    table = Table(box=None, padding=(0, 1), header_style="bold")
    table.add_column("ms from \\ to")
    for index in range(1, len(names) + 1):
        table.add_column(str(index), justify="right")
    values = [v for (a, b), v in matrix.items() if v is not None and a in names and b in names]
    hi = max(values) if values else 1.0
    for row, a in enumerate(names, start=1):
        cells: list[Text] = []
        for b in names:
            v = matrix.get((a, b))
            if a == b:
                cells.append(Text("-", style="dim"))
            elif v is None:
                cells.append(Text("?", style="dim"))
            else:
                ratio = v / hi if hi else 0.0
                semantic = "fail" if ratio > 0.66 else "warn" if ratio > 0.33 else "ok"
                cells.append(Text(f"{v:.1f}", style=palette.style(semantic)))
        table.add_row(f"{row} {a}", *cells)
    return table


class ChaosPane(Pane):
    pane_id = "chaos"
    session_parts = frozenset({"faults"})
    DEFAULT_CSS = """
    ChaosPane FilterTable { height: 1fr; min-height: 4; }
    ChaosPane #latency { height: auto; max-height: 50%; padding: 0 1; border-top: solid $panel; }
    """

    def __init__(self, view: RunView | None = None) -> None:
        super().__init__(view)
        self.faults: list[FaultRecord] = []
        self.latency: dict[tuple[str, str], float | None] = {}
        self.latency_names: list[str] = []
        self.hosts: frozenset[str] = frozenset()
        """The instances and the nodes they run on, as the cluster last reported them."""

    def compose(self) -> ComposeResult:
        yield FilterTable(["Id", "Kind", "Left", "Backend", "Targets", "Params"], EMPTY if self.live else REPLAY_EMPTY)
        no_probes = NO_PROBES_YET if self.live else "none recorded at this time"
        yield Static(f"Latency matrix: {no_probes}.", id="latency")

    def engine_ready(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if not self.is_active:
            return
        self._say_empty()
        if self.faults:
            self._draw()

    def _say_empty(self) -> None:
        """A platform without fault injection (the simulator) says so where `f` would otherwise be offered. A replay
        keeps its own text (the second timer tick wrote "Press f" over it)."""
        if not self.live:
            return
        run = self.engine.active_run()
        text = EMPTY if run is None or run.caps.faults else NO_FAULTS.format(platform=run.caps.platform)
        table = self.query_one(FilterTable)
        if table.empty_text != text:
            table.set_empty(text)

    def _draw(self) -> None:
        now = self.view.now()
        self.query_one(FilterTable).set_rows(fault_row(f, now, self.palette) for f in self.faults)

    def show_session(self, session: Session) -> None:
        """A stopped cluster's matrix goes with it: its instances no longer run, so none of its figures holds."""
        self.faults = list(session.faults)
        self._draw()
        if self.live and session.cluster.backend == "none" and self.latency_names:
            self.latency, self.latency_names = {}, []
            self.query_one("#latency", Static).update(f"Latency matrix: {NO_PROBES_YET}.")
        if self.latency_names:
            self.show_latency(self.latency_names, self.latency)

    def show_latency(self, names: list[str], matrix: dict[tuple[str, str], float | None]) -> None:
        self.latency, self.latency_names = matrix, names
        if self.is_active:
            view = latency_view(names, matrix, self.hosts, self.palette)
            self.query_one("#latency", Static).update(view)

    def on_show(self) -> None:
        """A hidden pane keeps the probes it was sent and draws them when it is shown."""
        if self.live and self.scaletui.engine_ready:
            self._say_empty()
        if self.latency_names:
            self.show_latency(self.latency_names, self.latency)

    def on_engine_event(self, event: Event) -> None:
        if isinstance(event, FaultEvent):
            self._fault_notice(event)
        elif isinstance(event, ClusterChanged):
            self.hosts = frozenset(i.name for i in event.instances) | frozenset(i.node for i in event.instances)
            if self.latency_names:
                self.show_latency(self.latency_names, self.latency)
        elif isinstance(event, LatencyEvent) and event.matrix.nodes:
            m = event.matrix
            names = list(m.nodes)
            self.show_latency(names, {(a, b): m.get(a, b) for a in names for b in names if a != b})

    def _fault_notice(self, event: FaultEvent) -> None:
        """Every end of a fault is said: reverted by hand, expired, cleaned after a crash, or failed to apply."""
        where = f" on {', '.join(event.targets)}" if event.targets else ""
        what = f"Fault {event.fault_id} ({event.kind}{where})"
        if event.kind == "kill" and event.action in ("reverted", "expired"):
            self.scaletui.say(f"{what} ended. A kill has nothing to undo: the cluster starts what it killed again.")
        elif event.action == "reverted":
            self.scaletui.say(f"{what} reverted.")
        elif event.action == "expired":
            self.scaletui.say(f"{what} expired and was reverted.")
        elif event.action == "failed":
            self.scaletui.say(f"{what} failed: {event.message}", "warning")
        elif event.action == "cleaned":
            self.scaletui.say(event.message or f"{what} cleaned.", "warning")

    # --- intents ---------------------------------------------------------------------------------------------------

    def action_fire(self) -> None:
        refused = self.engine.faults.refusal()
        if refused is not None:
            self.scaletui.say(str(refused), "error")
            return

        fields = [
            FormField("kind", "Fault", "delay", KINDS),
            FormField("targets", "Targets", "role:taskmanager", placeholder="taskmanager-1, role:taskmanager, pid:123"),
            FormField("duration", "Duration", "60s"),
            FormField("params", "Parameters", EXAMPLES["delay"], placeholder=EXAMPLES["delay"]),
        ]

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                return

            def call() -> str:
                targets = split_targets(values["targets"])
                params = inline_table(values["params"], "fault parameters")
                duration = parse_duration(values["duration"])
                result = self.engine.live.fire_fault(values["kind"], targets, duration, params)
                return f"{result} {self.one_taskmanager_note(values['kind'])}".strip()

            self.run_intent("firing the fault", call, group="chaos")

        from scaletui.chaos.params import own_fields

        hint = " | ".join(f"{kind}: {', '.join(own_fields(kind))}" for kind in KINDS if own_fields(kind))
        hint += " | any: mode, value (which targets)"
        self.app.push_screen(
            FormScreen(
                "Fire a fault (reverted at expiry, on quit, or after a crash)",
                fields,
                hint,
                check=check_fault_form,
                linked=Linked("kind", "params", EXAMPLES),
            ),
            done,
        )

    def one_taskmanager_note(self, kind: str) -> str:
        """Why a network fault shows no effect on a cluster of one TaskManager (called from the fire worker)."""
        if kind not in NETWORK_KINDS:
            return ""
        cluster = self.engine.active_cluster()
        if cluster is None:
            return ""
        taskmanagers = [i for i in cluster.instances() if i.role == "taskmanager"]
        return ONE_TASKMANAGER.format(kind=kind) if len(taskmanagers) == 1 else ""

    def action_revert(self) -> None:
        fault_id = self.query_one(FilterTable).selected_key()
        if fault_id is None:
            self.scaletui.say("No fault selected.")
            return
        self.run_intent("reverting the fault", lambda: self._revert(fault_id), group="chaos")

    def action_revert_all(self) -> None:
        self.run_intent("reverting every fault", lambda: self._revert("all"), group="chaos")

    def _revert(self, fault_id: str) -> str:
        """Through the run when one is active (so the session's timeline has it), else straight to the ledger (a
        fault left from before, with no run to go through)."""
        if self.engine.live.run is not None:
            return self.engine.live.revert_fault(fault_id)
        return self.engine.faults.revert_all() if fault_id == "all" else self.engine.faults.revert(fault_id)
