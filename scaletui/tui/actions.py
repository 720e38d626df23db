"""Every intent of the app, declared once: bindings, the footer, the `?` help screen, the palette and the `:` line
read this table. An intent's `needs` says when it is possible (tui/availability.py): the palette offers only those,
and a key or verb pressed when it is not says why. Adding an intent is one entry here (and its action method).

Users remap by id in conf/scaletui.toml (`[keymap] "chaos.fire" = "F"`), which Textual applies through Binding ids.
The footer label (`description`) is short so that a pane's main keys fit in 80 columns; help and palette show the
long form (`palette`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Action:
    id: str
    key: str
    action: str
    description: str
    scope: str
    """"app" for global keys, "table" for every table, "runs" for the run history, else the pane id."""
    palette: str = ""
    """Long text in `noun: verb` form for help and palette; empty keeps it out of the palette."""
    show: bool = True
    """Shown in the footer."""
    verb: str = ""
    """The `:` line's verb with its parameters, e.g. "rescale OPERATOR N"; run intents among them are parsed into
    the engine's timeline steps (tui/intent_parser.py), so `:` and an experiment file's timeline say the same."""
    needs: str = ""
    """When it is possible: "" always; "table" (the pane shows one); "run" (a cluster is running); "strategy" (an
    autoscaler runs); "fault" (one is active); or a capability of the running platform: "actuation", "job",
    "load", "faults"."""
    replay: bool = False
    """Also in a replay, which changes nothing live: the key only reads or changes the look (REPLAY_SCOPES are)."""
    priority: bool = False
    """Taken before the focused widget, as ctrl keys are: a replay's arrows move in time, not a table's cursor."""

    @property
    def verb_word(self) -> str:
        return self.verb.split(" ", 1)[0]

    @property
    def verb_args(self) -> str:
        """What the verb takes after its word ("OPERATOR N"), or ""."""
        return self.verb.partition(" ")[2]


PANES = ("reservations", "stages", "pods", "plots", "chaos")
PANE_TITLES = {"reservations": "Reservations", "stages": "Stages", "pods": "Pods", "plots": "Plots", "chaos": "Chaos"}
SCOPE_TITLES = {
    "app": "Everywhere", "table": "In any table", **PANE_TITLES, "runs": "Run history (R)",
    "decisions": "Decision history (h in Plots)", "replay": "Replay (v in the run history)",
}  # fmt: skip
PALETTE_SCOPES = ("app", "table", *PANES)
"""Scopes the palette offers from the main screen (the run history's keys act on its own screen)."""
REPLAY_SCOPES = ("replay", "table", "decisions")
"""Scopes whose keys only read, so they work in a replay as they do live."""


VERB_OF_PANE = {"reservations": "res", "stages": "stages", "pods": "pods", "plots": "plots", "chaos": "chaos"}
ALIASES = {"reservations": "res", "po": "pods", "faults": "chaos", "quit": "q", "h": "help", "?": "help",
           "dash": "layout", "tms": "taskmanagers", "dry": "dry-run"}  # fmt: skip


def _pane(name: str) -> Action:
    index = PANES.index(name) + 1
    title = PANE_TITLES[name]
    return Action(
        f"app.pane.{name}", str(index), f"app.pane('{name}')", title, "app", f"pane: {title.lower()}", False,
        verb=VERB_OF_PANE[name],
    )  # fmt: skip


# fmt: off
ACTIONS: tuple[Action, ...] = (
    *(_pane(name) for name in PANES),
    Action("app.help", "question_mark", "app.help", "Help", "app", "app: help (every key)", verb="help [PANE|commands]",
           replay=True),
    Action("app.command", "colon", "app.command_line", "Cmd", "app", "app: command line (:pods, :rescale OP N)",
           show=False),
    Action("app.palette", "ctrl+p", "app.command_palette", "Palette", "app", "", show=False),
    Action("app.runs", "R", "app.runs", "Runs", "app", "runs: history, summaries, start an experiment", show=False,
           verb="runs"),
    Action("app.messages", "M", "app.messages", "Messages", "app",
           "app: messages (every notice, warning and error of this run, with its time)", show=False, verb="messages",
           replay=True),
    Action("app.layout", "L", "app.toggle_layout", "Layout", "app", "app: dashboard or tabs", show=False,
           verb="layout auto|tabs|dashboard"),
    Action("app.theme", "ctrl+t", "app.next_theme", "Theme", "app", "app: next theme", show=False,
           verb="theme NAME", replay=True),
    Action("app.cancel", "ctrl+g", "app.cancel_work", "Cancel work", "app",
           "app: cancel the focused pane's running work (a cluster starting, a stage)", show=False),
    Action("app.quit", "ctrl+q", "app.quit", "Quit", "app", "app: quit (asks while a cluster or run is live)", False,
           verb="q", replay=True),
    Action("table.filter", "slash", "filter", "Filter", "table", "table: filter rows (/ then text, ! inverts)", False,
           needs="table"),
    Action(
        "table.sort", "o", "sort", "Sort", "table", "table: sort by the cursor's column (again: reverse, off)", False,
        needs="table",
    ),
    Action("table.clear", "escape", "clear_filter", "Clear filter", "table", "table: clear the filter", False,
           needs="table"),
    Action("table.first", "home", "first_row", "First", "table", "table: first row", False, needs="table"),
    Action("table.last", "end", "last_row", "Last", "table", "table: last row", False, needs="table"),
    Action("res.reserve", "n", "reserve", "Reserve", "reservations", "reservations: reserve a platform"),
    Action("res.release", "x", "release", "Release", "reservations", "reservations: release the selected"),
    Action("res.refresh", "r", "refresh", "Refresh", "reservations", "reservations: refresh status"),
    Action("res.extend", "e", "extend", "Extend", "reservations", "reservations: extend the selected's walltime"),
    Action("stages.run", "r", "run_stage", "Run", "stages", "stages: run the selected stage or deploy the app"),
    Action("stages.delete", "d", "delete_app", "Delete", "stages", "stages: delete the selected application"),
    Action("stages.reload", "l", "reload_app", "Reload", "stages", "stages: reload the selected application"),
    Action("stages.cancel", "c", "cancel_stage", "Cancel", "stages", "stages: cancel the running stage"),
    Action("pods.start", "s", "start_cluster", "Start", "pods", "cluster: start"),
    Action("pods.stop", "S", "stop_cluster", "Stop", "pods", "cluster: stop (asks first)"),
    Action("pods.add_tm", "plus", "add_taskmanager", "+TM", "pods", "cluster: add a TaskManager", needs="actuation"),
    Action("pods.remove_tm", "minus", "remove_taskmanager", "-TM", "pods", "cluster: remove a TaskManager",
           needs="actuation"),
    Action("pods.taskmanagers", "", "", "TMs", "pods", "cluster: set the TaskManager count", verb="taskmanagers N",
           needs="actuation"),
    Action("pods.submit", "j", "submit_job", "Submit", "pods", "job: submit", verb="submit", needs="job"),
    Action("pods.cancel_job", "J", "cancel_job", "Cancel", "pods", "job: cancel", verb="cancel-job", needs="job"),
    Action("pods.logs", "l", "logs", "Logs", "pods", "pods: log of the selected instance"),
    Action("pods.describe", "d", "describe", "Describe", "pods", "pods: describe the selected instance"),
    Action("pods.capacity", "c", "toggle_capacity", "Capacity", "pods", "capacity: what each node can still take"),
    Action("plots.load", "l", "load_profile", "Load", "plots", "load: change profile or rate", needs="load",
           verb="load PROFILE RATE [RATE@TIME ...] [key=value ...]"),
    Action("plots.rescale", "p", "rescale", "Parallelism", "plots", "job: rescale an operator", needs="actuation",
           verb="rescale OPERATOR N"),
    Action("plots.strategy", "a", "strategy", "Autoscaler", "plots", "scaling: choose strategy",
           verb="strategy NAME [key=value ...]"),
    Action("plots.decisions", "h", "decisions", "Decisions", "plots",
           "scaling: decision history (every decision, its numbers and reason)", verb="decisions", replay=True),
    Action("plots.pause", "space", "toggle_loop", "Pause", "plots", "scaling: pause or resume", needs="strategy"),
    Action("scaling.pause", "", "", "Pause", "plots", "scaling: pause the autoscaler", verb="pause",
           needs="strategy"),
    Action("scaling.resume", "", "", "Resume", "plots", "scaling: resume the autoscaler", verb="resume",
           needs="strategy"),
    Action("plots.dry", "d", "toggle_dry_run", "Dry-run", "plots", "scaling: toggle dry-run", needs="strategy",
           verb="dry-run on|off"),
    Action("chaos.fire", "f", "fire", "Fire", "chaos", "chaos: fire a fault", needs="faults",
           verb="fault KIND TARGETS [VALUE] DURATION [key=value ...]"),
    Action("chaos.revert", "x", "revert", "Revert", "chaos", "chaos: revert the selected fault", needs="fault",
           verb="revert [FAULT_ID|all]"),
    Action("chaos.revert_all", "X", "revert_all", "Revert all", "chaos", "chaos: revert every fault", needs="fault"),
    Action("decisions.back", "escape", "back", "Back", "decisions", "decisions: back to the panes"),
    Action("runs.back", "escape", "back", "Back", "runs", "runs: back to the panes (or 1-5, :, ctrl+p)"),
    Action("runs.open", "enter", "open_run", "Open", "runs", "runs: open the selected run's summary and plots"),
    Action("runs.replay", "v", "replay_run", "Replay", "runs", "runs: replay the selected run through the panes"),
    Action("runs.rerun", "e", "rerun", "Rerun", "runs", "runs: run the selected run's experiment again"),
    Action("runs.new", "n", "new_run", "New", "runs", "runs: start an experiment from conf/experiments/"),
    Action("runs.cancel", "x", "cancel_run", "Cancel", "runs", "runs: cancel the experiment in progress"),
    Action("runs.mark", "space", "mark_run", "Mark", "runs", "runs: mark or unmark the selected run for c"),
    Action("runs.compare", "c", "compare_runs", "Compare", "runs", "runs: compare the marked runs (compare.md, plots)"),
    Action("replay.back", "escape", "back", "Back", "replay", "replay: leave (back to the run history, or quit)"),
    Action("replay.pause", "space", "toggle_pause", "Pause", "replay", "replay: pause or play", priority=True),
    Action("replay.faster", "plus", "faster", "Faster", "replay", "replay: faster (1x, 2x, 5x ... 60x)"),
    Action("replay.slower", "minus", "slower", "Slower", "replay", "replay: slower"),
    Action("replay.next_decision", "right_square_bracket", "next_decision", "Decision", "replay",
           "replay: jump to the next decision"),
    Action("replay.previous_decision", "left_square_bracket", "previous_decision", "Prev decision", "replay",
           "replay: jump to the previous decision", False),
    Action("replay.next_fault", "right_curly_bracket", "next_fault", "Fault", "replay",
           "replay: jump to the next fault"),
    Action("replay.previous_fault", "left_curly_bracket", "previous_fault", "Prev fault", "replay",
           "replay: jump to the previous fault", False),
    Action("replay.forward", "right", "step(10)", "+10s", "replay", "replay: 10 s forward", False, priority=True),
    Action("replay.rewind", "left", "step(-10)", "-10s", "replay", "replay: 10 s back", False, priority=True),
    Action("replay.go_to", "g", "go_to", "Go to", "replay", "replay: go to a time of the run (90, 1m30s)"),
    Action("replay.plots", "1", "tab('plots')", "Plots", "replay", "replay: Plots tab", False),
    Action("replay.pods", "2", "tab('pods')", "Pods", "replay", "replay: Pods tab (the instances as recorded)", False),
    Action("replay.chaos", "3", "tab('chaos')", "Chaos", "replay", "replay: Chaos tab (the faults as recorded)", False),
    Action("replay.live_only", "", "live_only", "Live only", "replay",
           "replay: the live session's panes, run history, commands, layout, cancel, palette: not here", False),
)
# fmt: on


def bindings(scope: str) -> list[Binding]:
    """Ctrl keys are priority bindings, so they work from inside a text field; printable keys are not, so that a
    text field (the `/` filter, a dialog) receives the letters and digits typed into it."""
    return [
        Binding(a.key, a.action, a.description, show=a.show, id=a.id, priority=a.priority or a.key.startswith("ctrl+"))
        for a in ACTIONS
        if a.scope == scope and a.key
    ]


def works_in_replay(a: Action) -> bool:
    return a.scope in REPLAY_SCOPES or a.replay


def method_name(a: Action) -> str:
    """The action's method without `app.` and parameters: what `check_action` receives."""
    return a.action.removeprefix("app.").split("(", 1)[0]


LIVE_ONLY: dict[str, frozenset[str]] = {
    scope: frozenset(method_name(a) for a in ACTIONS if a.scope == scope and a.action and not works_in_replay(a))
    for scope in ("app", *PANES)
}
"""Per scope, the methods a replay refuses: they act on the live session (or leave the replay for it)."""


def replay_refused_keys(keymap: Mapping[str, str]) -> str:
    """The keys of the app's live-only intents as the user's keymap has them, less those the replay binds itself
    (its 1-3 tabs): the replay answers these in one sentence instead of ignoring them."""

    def keys(a: Action) -> list[str]:
        return [k for k in keymap.get(a.id, a.key).split(",") if k]

    own = {k for a in ACTIONS if a.scope == "replay" for k in keys(a)}
    refused = {k for a in ACTIONS if a.scope == "app" and not works_in_replay(a) for k in keys(a)}
    return ",".join(sorted(refused - own))


def by_id(action_id: str) -> Action:
    for a in ACTIONS:
        if a.id == action_id:
            return a
    raise KeyError(action_id)


def by_verb(word: str) -> Action | None:
    word = ALIASES.get(word.lower(), word.lower())
    return next((a for a in ACTIONS if a.verb and a.verb_word == word), None)


def key_label(key: str) -> str:
    if "," in key:
        return " ".join(key_label(k) for k in key.split(","))
    return {
        "question_mark": "?",
        "colon": ":",
        "slash": "/",
        "plus": "+",
        "minus": "-",
        "space": "space",
        "enter": "enter",
        "escape": "Esc",
        "right_square_bracket": "]",
        "left_square_bracket": "[",
        "right_curly_bracket": "}",
        "left_curly_bracket": "{",
        "": "-",
    }.get(key, key)
