"""What every pane shares: its keys from the actions table, session and event hooks, and intent workers.

Panes are composed for the first frame before the engine opens; `engine_ready` starts their timers once it has,
and until then their keys are shown disabled, and one pressed says that the session is still opening.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from textual.containers import Vertical
from textual.events import DescendantFocus, Focus
from textual.worker import Worker, WorkerState, get_current_worker

from scaletui.tui import clock, dispatch
from scaletui.tui.actions import LIVE_ONLY, PANE_TITLES, PANES, bindings
from scaletui.tui.availability import STILL_OPENING
from scaletui.tui.widgets.status import Work

if TYPE_CHECKING:
    from textual.screen import Screen

    from scaletui.engine import Engine
    from scaletui.engine.view import RunView
    from scaletui.events import Event
    from scaletui.session.model import Session
    from scaletui.tui.theming import Palette


class PaneHost(dispatch.Host, Protocol):
    """What a pane asks of the app (a Protocol: panes do not import the app, which composes them)."""

    @property
    def palette(self) -> Palette: ...

    def pane_focused(self, name: str) -> None: ...


@dataclass(frozen=True)
class Intent:
    """A pane's blocking engine call, by the words that name it on the message line."""

    description: str
    call: Callable[[], Any] | Callable[[threading.Event], Any]
    cancellable: bool = False


def queued_text(description: str, ahead: str, running: bool, waiting: int) -> str:
    """The answer to a press while work of its group is under way (`running`) or about to start (the one before it
    just ended, the next not yet started: `ahead` is that next one): it waits, rather than cancel that work."""
    same = "the one under way" if running else "the one about to start"
    behind = same if description == ahead else Work.label(ahead)
    return f"{Work.label(description)}: queued behind {behind} ({waiting} waiting)."


def still_opening(screen: Screen[Any], key: str) -> str:
    """What a pane's key pressed before the session is open says (it is dimmed in the footer and would do nothing),
    or "" for any other key: the app asks once the key's bindings ran, so `3 s` typed together answers Pods' `s`."""
    active = screen.active_bindings.get(key)
    if active is None or active.enabled or not isinstance(active.node, Pane):
        return ""
    return f"{STILL_OPENING}: press {screen.app.get_key_display(active.binding)} again in a moment."


class Pane(Vertical):
    pane_id: ClassVar[str] = ""
    session_parts: ClassVar[frozenset[str]] = frozenset()
    """The session's top-level parts this pane shows: a change to any other part does not redraw it."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if cls.pane_id:  # before Textual merges the class's bindings
            cls.BINDINGS = bindings(cls.pane_id)
        super().__init_subclass__(**kwargs)

    def __init__(self, view: RunView | None = None) -> None:
        """`view` is what the pane shows: the live engine by default, a replay in the replay screen."""
        super().__init__(id=f"pane-{self.pane_id}")
        self.border_title = f"{PANES.index(self.pane_id) + 1} {PANE_TITLES[self.pane_id]}"
        self._view = view
        self._cancels: dict[Worker[Any], threading.Event] = {}
        self._work_started: dict[Worker[Any], float] = {}
        self._queued: dict[str, list[Intent]] = {}
        """Per group, the intents pressed while one of it was under way, started in turn as each ends."""

    @property
    def view(self) -> RunView:
        if self._view is None:
            from scaletui.engine.view import LiveView

            self._view = LiveView(self.engine, lambda: clock.now())
        return self._view

    @property
    def live(self) -> bool:
        """False in a replay: its live intents are hidden and its empty texts say what the recording holds."""
        return self._view is None or self._view.interactive

    @property
    def scaletui(self) -> PaneHost:
        return self.app  # type: ignore[return-value]

    @property
    def engine(self) -> Engine:
        return self.scaletui.engine

    @property
    def palette(self) -> Palette:
        return self.scaletui.palette

    @property
    def is_active(self) -> bool:
        """True when this pane is on screen (its tab, or the dashboard): hidden panes skip redraws. False once the
        app is exiting: a timer can still fire while the widgets are being removed."""
        if not self.is_attached:
            return False
        host = self.screen if hasattr(self.screen, "shown_panes") else self.app
        return self.pane_id in getattr(host, "shown_panes", ())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys are shown but disabled until the session is open; a replay has only the keys that read."""
        if not self.live and action in LIVE_ONLY[self.pane_id]:
            return False
        return True if getattr(self.app, "engine_ready", True) else None

    def take_focus(self) -> None:
        """Focus this pane's first focusable widget at once, before the next key typed: Widget.focus waits a turn of
        the queue, so `3 s` typed together sent `s` to the pane being left (a new session opens on Reservations)."""
        focusable = [w for w in self.query("*") if w.focusable]
        target = focusable[0] if focusable else self if self.can_focus else None
        if target is not None:
            self.screen.set_focus(target)

    def engine_ready(self) -> None:
        """The engine is open: start timers that read it."""

    def show_session(self, session: Session) -> None:
        """Redraw from a session snapshot."""

    def on_engine_event(self, event: Event) -> None:
        """React to an engine event (events arrive for every pane, visible or not)."""

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        self.scaletui.pane_focused(self.pane_id)

    def on_focus(self, event: Focus) -> None:
        self.scaletui.pane_focused(self.pane_id)

    def run_intent(
        self,
        description: str,
        call: Callable[[], Any] | Callable[[threading.Event], Any],
        group: str | None = None,
        cancellable: bool = False,
    ) -> Worker[Any] | None:
        """Run a blocking engine call in a named thread worker; its outcome reaches the message line (dispatch). A
        `cancellable` call receives a real cancel event, which ctrl+g sets (`cancel_work`). Work of a `group` runs one
        at a time: a press while one is under way waits behind it, and says so. (Textual's `exclusive` cancelled the
        worker under way, but not its thread: a second `+` said "cancelled." of a TaskManager still being added, and
        its "TaskManagers: 2 -> 3." was never said.)"""
        if not self.view.interactive:
            self.scaletui.say("This is a replay: it shows what happened and changes nothing.")
            return None
        intent = Intent(description, call, cancellable)
        if group is None:
            return self._start(intent, group)
        under_way = next((w.description for w in self._work_started if w.group == group and not w.is_finished), "")
        waiting = self._queued.setdefault(group, [])
        if under_way or waiting:  # with none under way, the last one ended and starts the next when it is reported
            ahead = under_way or waiting[0].description
            self.scaletui.say(queued_text(description, ahead, bool(under_way), len(waiting) + 1))
            waiting.append(intent)
            return None
        return self._start(intent, group)

    def _start(self, intent: Intent, group: str | None) -> Worker[Any]:
        cancel = threading.Event()
        call, cancellable = intent.call, intent.cancellable

        def work() -> Any:
            if get_current_worker().is_cancelled:
                return None
            return call(cancel) if cancellable else call()  # type: ignore[call-arg]

        self.scaletui.say(f"{intent.description}...")
        worker = self.run_worker(
            work,
            name=intent.description,
            group=group or self.pane_id,
            description=intent.description,
            thread=True,
            exit_on_error=False,
        )
        self._work_started[worker] = clock.now()
        if cancellable:
            self._cancels[worker] = cancel
        return worker

    def running_work(self, now: float) -> list[Work]:
        """This pane's intents still at work, for how many seconds, and how many wait behind each: the status bar
        shows them, since a notice one causes ("Scaling loop paused: ...") replaces its own sentence on the message
        line."""
        return [
            Work(w.description, now - t, len(self._queued.get(w.group, ())))
            for w, t in self._work_started.items()
            if not w.is_finished
        ]

    def cancel_work(self) -> list[str]:
        """Set the cancel event of this pane's running cancellable work and drop the work queued behind any of its
        work (a second `s` would start again what ctrl+g just cancelled); what was cancelled, by name."""
        names = []
        for worker, cancel in list(self._cancels.items()):
            if worker.is_finished:
                del self._cancels[worker]
            elif not cancel.is_set():
                cancel.set()
                names.append(worker.name)
        for waiting in self._queued.values():
            names += [f"{intent.description} (queued)" for intent in waiting]
        self._queued.clear()
        return names

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The outcome goes on the message line through the app's queue, behind the engine's notices posted before
        it: this pane's queue runs apart from the app's, and a notice the call caused ("Scaling loop paused: ...")
        overwrote the call's own sentence when the app reached it later."""
        event.stop()
        worker = event.worker
        if worker.is_finished:
            self._cancels.pop(worker, None)
            self._work_started.pop(worker, None)
            waiting = self._queued.get(worker.group, [])
            if event.state == WorkerState.CANCELLED:  # the app is closing: what waited is not started
                waiting.clear()
            elif waiting:
                self._start(waiting.pop(0), worker.group)
        self.scaletui.call_later(dispatch.report_worker, self.scaletui, worker, event.state)
