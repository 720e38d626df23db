"""The k9s-style `:` command line: verbs with aliases, each mapped to an app action."""

from __future__ import annotations

COMMANDS: dict[str, tuple[str, str]] = {
    "res": ("pane('reservations')", "Reservations pane (:reservations)"),
    "stages": ("pane('stages')", "Stages pane"),
    "pods": ("pane('pods')", "Pods pane (:po)"),
    "plots": ("pane('plots')", "Plots pane"),
    "chaos": ("pane('chaos')", "Chaos pane (:faults)"),
    "runs": ("runs", "run history: open a run, run it again, start an experiment (R)"),
    "layout": ("set_layout", "layout: :layout dashboard|tabs|auto (L switches)"),
    "help": ("help", "this help (?)"),
    "theme": ("set_theme", "switch theme: :theme NAME, a file in themes/ (dark, light, ansi16)"),
    "q": ("quit", "quit (:quit); asks first while a cluster or an experiment is live"),
}
ALIASES = {"reservations": "res", "po": "pods", "faults": "chaos", "quit": "q", "h": "help", "dash": "layout"}


def resolve(line: str) -> tuple[str, list[str]]:
    """The app action for a command line, with its arguments; raises ValueError naming the known verbs."""
    words = line.strip().lstrip(":").split()
    if not words:
        raise ValueError("empty command")
    verb = ALIASES.get(words[0].lower(), words[0].lower())
    if verb not in COMMANDS:
        known = ", ".join(":" + v for v in COMMANDS)
        raise ValueError(f"unknown command :{words[0]}; known: {known}")
    args = words[1:]
    if words[0].lower() == "dash" and not args:
        args = ["dashboard"]
    return COMMANDS[verb][0], args
