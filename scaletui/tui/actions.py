"""Every key of the app, declared once: bindings, the footer, the `?` help screen and the palette read this table.

Users remap by id in conf/scaletui.toml (`[keymap] "chaos.fire" = "F"`), which Textual applies through Binding ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Action:
    id: str
    key: str
    action: str
    description: str
    scope: str
    """"app" for global keys, else the pane id whose footer shows it."""
    palette: str = ""
    """Palette text in `noun: verb` form; empty keeps it out of the palette."""
    show: bool = True


PANES = ("reservations", "stages", "pods", "plots", "chaos")
PANE_TITLES = {"reservations": "Reservations", "stages": "Stages", "pods": "Pods", "plots": "Plots", "chaos": "Chaos"}

ACTIONS: tuple[Action, ...] = (
    Action(
        "app.pane.reservations",
        "1",
        "app.pane('reservations')",
        "Reservations",
        "app",
        "pane: reservations",
        show=False,
    ),
    Action("app.pane.stages", "2", "app.pane('stages')", "Stages", "app", "pane: stages", show=False),
    Action("app.pane.pods", "3", "app.pane('pods')", "Pods", "app", "pane: pods", show=False),
    Action("app.pane.plots", "4", "app.pane('plots')", "Plots", "app", "pane: plots", show=False),
    Action("app.pane.chaos", "5", "app.pane('chaos')", "Chaos", "app", "pane: chaos", show=False),
    Action("app.help", "question_mark", "app.help", "Help", "app", "app: help (every key)"),
    Action("app.command", "colon", "app.command_line", "Command", "app", "app: command line (:pods, :q)"),
    Action("app.palette", "ctrl+p", "app.command_palette", "Palette", "app", "", show=False),
    Action("app.runs", "R", "app.runs", "Runs", "app", "runs: history, summaries, start an experiment"),
    Action("app.theme", "ctrl+t", "app.next_theme", "Theme", "app", "app: next theme", show=False),
    Action("app.quit", "ctrl+q", "app.quit", "Quit", "app", "app: quit"),
    Action("table.filter", "slash", "filter", "Filter", "table", "table: filter rows (/ then text, ! inverts)"),
    Action("res.reserve", "n", "reserve", "Reserve", "reservations", "reservations: reserve a platform"),
    Action("res.release", "x", "release", "Release", "reservations", "reservations: release the selected"),
    Action("res.refresh", "r", "refresh", "Refresh", "reservations", "reservations: refresh status"),
    Action("res.extend", "e", "extend", "Extend", "reservations", "reservations: extend the selected's walltime"),
    Action("stages.run", "r", "run_stage", "Run", "stages", "stages: run the selected stage or deploy the app"),
    Action("stages.delete", "d", "delete_app", "Delete app", "stages", "stages: delete the selected application"),
    Action("stages.reload", "l", "reload_app", "Reload app", "stages", "stages: reload the selected application"),
    Action("stages.cancel", "c", "cancel_stage", "Cancel", "stages", "stages: cancel the running stage"),
    Action("pods.start", "s", "start_cluster", "Start cluster", "pods", "cluster: start"),
    Action("pods.stop", "S", "stop_cluster", "Stop cluster", "pods", "cluster: stop"),
    Action("pods.add_tm", "plus", "add_taskmanager", "+TM", "pods", "cluster: add a TaskManager"),
    Action("pods.remove_tm", "minus", "remove_taskmanager", "-TM", "pods", "cluster: remove a TaskManager"),
    Action("pods.submit", "j", "submit_job", "Submit job", "pods", "job: submit"),
    Action("pods.cancel_job", "J", "cancel_job", "Cancel job", "pods", "job: cancel"),
    Action("pods.logs", "l", "logs", "Logs", "pods", "pods: logs of the selected instance"),
    Action("pods.describe", "d", "describe", "Describe", "pods", "pods: describe the selected instance"),
    Action("pods.capacity", "c", "toggle_capacity", "Capacity", "pods", "capacity: show what each node can still take"),
    Action("plots.load", "l", "load_profile", "Load", "plots", "load: change profile or rate"),
    Action("plots.rescale", "p", "rescale", "Parallelism", "plots", "job: rescale an operator"),
    Action("plots.strategy", "a", "strategy", "Strategy", "plots", "scaling: choose strategy"),
    Action("plots.pause", "space", "toggle_loop", "Pause loop", "plots", "scaling: pause or resume"),
    Action("plots.dry", "d", "toggle_dry_run", "Dry-run", "plots", "scaling: toggle dry-run"),
    Action("chaos.fire", "f", "fire", "Fire fault", "chaos", "chaos: fire a fault"),
    Action("chaos.revert", "x", "revert", "Revert", "chaos", "chaos: revert the selected fault"),
    Action("chaos.revert_all", "X", "revert_all", "Revert all", "chaos", "chaos: revert every fault"),
)


def bindings(scope: str) -> list[Binding]:
    return [
        Binding(a.key, a.action, a.description, show=a.show, id=a.id, priority=a.scope == "app" and a.key != "slash")
        for a in ACTIONS
        if a.scope == scope
    ]


def by_id(action_id: str) -> Action:
    for a in ACTIONS:
        if a.id == action_id:
            return a
    raise KeyError(action_id)


def key_label(key: str) -> str:
    return {
        "question_mark": "?",
        "colon": ":",
        "slash": "/",
        "plus": "+",
        "minus": "-",
        "space": "space",
        "enter": "enter",
    }.get(key, key)
