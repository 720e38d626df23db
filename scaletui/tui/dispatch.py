"""Intents from the palette and the `:` line to where they run, and the one place worker outcomes are reported.

A palette entry or a verb is checked for availability first (tui/availability.py); run intents typed on the `:` line
go to the engine as timeline steps (`engine.live.do`), in a thread worker of the app.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from textual.worker import Worker, WorkerState

from scaletui.errors import Cancelled, UserError
from scaletui.tui.actions import PANES, Action, by_verb
from scaletui.tui.availability import why_not
from scaletui.tui.screens.help import SECTIONS

if TYPE_CHECKING:
    from textual.widget import Widget

    from scaletui.engine import Engine
    from scaletui.tui.intent_parser import Parsed

log = logging.getLogger(__name__)


class Host(Protocol):
    """The app as dispatch sees it."""

    active_pane: str

    @property
    def engine_ready(self) -> bool: ...

    @property
    def engine(self) -> Engine: ...

    def pane(self, name: str) -> Widget: ...
    def say(self, message: str, level: str = "info", command: str = "") -> None: ...
    def back_to_main(self) -> None: ...
    def show_pane(self, name: str, focus: bool = True) -> None: ...
    def call_later(self, callback: Any, *args: Any) -> bool: ...
    def run_action(self, action: str) -> Any: ...
    def action_set_theme(self, name: str = "") -> None: ...
    def set_layout(self, mode: str) -> None: ...
    def action_command_line(self, text: str = "") -> None: ...
    def run_worker(self, work: Any, **kwargs: Any) -> Worker[Any]: ...


def run_palette_action(app: Host, action: Action) -> None:
    reason = why_not(action, app)
    if reason:
        app.say(reason, "error")
        return
    app.back_to_main()
    if not action.action:  # an intent with only a verb: with parameters it opens the `:` line ready for them
        if " " in action.verb:
            app.action_command_line(f"{action.verb_word} ")
        else:
            run_command_line(app, action.verb_word)
        return
    if action.scope == "app":
        app.call_later(app.run_action, action.action)
    elif action.scope == "table":
        app.call_later(app.pane(app.active_pane).query("FilterTable").first().run_action, action.action)
    else:
        app.show_pane(action.scope)
        app.call_later(app.pane(action.scope).run_action, action.action)


def run_command_line(app: Host, line: str | None) -> None:
    from scaletui.tui.intent_parser import parse  # the step models load after the first frame

    if not line or not line.strip(":").strip():
        return
    command = command_of(":" + line.strip().lstrip(":"))  # the line as typed has no colon: the verb it answers
    try:
        parsed = parse(line)
    except UserError as e:
        app.say(str(e), "error", command)
        return
    reason = why_not(parsed.action, app)
    if reason:
        app.say(reason, "error", command)
        return
    if parsed.step is not None:
        _run_step(app, parsed, line.strip().lstrip(":"))
        return
    _navigate(app, parsed)


def _run_step(app: Host, parsed: Parsed, text: str) -> None:
    step = parsed.step
    assert step is not None
    app.say(f":{text}...")
    app.run_worker(
        lambda: app.engine.live.do(step),
        name=f":{text}",
        group="intent",
        description=f":{text}",
        thread=True,
        exit_on_error=False,
    )


def _navigate(app: Host, parsed: Parsed) -> None:
    action, args = parsed.action, parsed.args
    if action.id == "app.theme":
        app.action_set_theme(*args[:1])
    elif action.id == "app.help":
        section = help_section(args[0] if args else "commands")
        if section is None:
            app.say(f":help takes one of {', '.join(SECTIONS)}.", "error", ":help")
        else:
            app.call_later(app.run_action, f"help({section!r})")
    elif action.id == "app.layout":
        if not args or args[0] not in ("auto", "tabs", "dashboard"):
            app.say(":layout takes auto, tabs or dashboard.", "error", ":layout")
        else:
            app.set_layout(args[0])
    elif action.scope in PANES:
        app.show_pane(action.scope)
        app.call_later(app.pane(action.scope).run_action, action.action)
    else:
        app.call_later(app.run_action, action.action.removeprefix("app."))


def command_of(name: str) -> str:
    """What a message answers, for the message line to match an error with the later success of the same command:
    the verb of a `:` line (its alias resolved, its words dropped), else the pane intent's name."""
    if not name.startswith(":"):
        return name
    word = (name[1:].split() or [""])[0]
    action = by_verb(word)
    return f":{action.verb_word if action is not None else word}"


def help_section(word: str) -> str | None:
    """The help group `:help WORD` scrolls to: a section's name or a pane's verb (`:help res`, `:help faults`)."""
    if word in SECTIONS:
        return word
    pane = by_verb(word)
    return pane.id.removeprefix("app.pane.") if pane is not None and pane.id.startswith("app.pane.") else None


def report_worker(app: Host, worker: Worker[Any], state: WorkerState) -> None:
    """Every intent worker's end on the message line: its sentence, or its error in one sentence (the traceback goes
    to the session log)."""
    command = command_of(worker.name)
    if state == WorkerState.ERROR:
        err = worker.error
        if isinstance(err, Cancelled):
            app.say(str(err), "warning", command)
        elif isinstance(err, UserError):
            log.warning("%s: %s", worker.name, err)
            app.say(str(err), "error", command)
        else:
            log.error("%s failed", worker.name, exc_info=err)
            where = f" Details in {app.engine.log_file}." if app.engine_ready else ""
            app.say(f"{worker.name} failed: {err}.{where}", "error", command)
    elif state == WorkerState.SUCCESS:
        result = worker.result
        app.say(result if isinstance(result, str) else f"{worker.name}: done.", command=command)
    elif state == WorkerState.CANCELLED:
        app.say(f"{worker.name}: cancelled.")
