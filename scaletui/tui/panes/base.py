"""What every pane shares: its keys from the actions table, session and event hooks, and intent workers.

Panes are composed for the first frame before the engine opens; `engine_ready` starts their timers once it has,
and until then their keys are shown disabled, and one pressed says that the session is still opening.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from textual.containers import Vertical
from textual.events import DescendantFocus, Focus, Key
from textual.worker import Worker, get_current_worker

from scaletui.tui import clock, dispatch
from scaletui.tui.actions import LIVE_ONLY, PANE_TITLES, PANES, bindings
from scaletui.tui.availability import STILL_OPENING

if TYPE_CHECKING:
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

    def on_key(self, event: Key) -> None:
        """A key of this pane pressed before the session is open is dimmed in the footer and would do nothing: say
        so, rather than drop it unsaid (an `s` pressed then started no cluster and said nothing)."""
        if getattr(self.app, "engine_ready", True):
            return
        active = self.screen.active_bindings.get(event.key)
        if active is not None and active.node is self and not active.enabled:
            self.scaletui.say(f"{STILL_OPENING}: press {self.app.get_key_display(active.binding)} again in a moment.")

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
        `cancellable` call receives a real cancel event, which ctrl+g sets (`cancel_work`)."""
        if not self.view.interactive:
            self.scaletui.say("This is a replay: it shows what happened and changes nothing.")
            return None
        cancel = threading.Event()

        def work() -> Any:
            if get_current_worker().is_cancelled:
                return None
            return call(cancel) if cancellable else call()  # type: ignore[call-arg]

        self.scaletui.say(f"{description}...")
        worker = self.run_worker(
            work,
            name=description,
            group=group or self.pane_id,
            description=description,
            thread=True,
            exclusive=group is not None,
            exit_on_error=False,
        )
        self._work_started[worker] = clock.now()
        if cancellable:
            self._cancels[worker] = cancel
        return worker

    def running_work(self, now: float) -> list[tuple[str, float]]:
        """This pane's intents still at work, and for how many seconds: the status bar shows them, since a notice
        one causes ("Scaling loop paused: ...") replaces its own sentence on the message line."""
        return [(w.description, now - t) for w, t in self._work_started.items() if not w.is_finished]

    def cancel_work(self) -> list[str]:
        """Set the cancel event of this pane's running cancellable work; what was cancelled, by name."""
        names = []
        for worker, cancel in list(self._cancels.items()):
            if worker.is_finished:
                del self._cancels[worker]
            elif not cancel.is_set():
                cancel.set()
                names.append(worker.name)
        return names

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The outcome goes on the message line through the app's queue, behind the engine's notices posted before
        it: this pane's queue runs apart from the app's, and a notice the call caused ("Scaling loop paused: ...")
        overwrote the call's own sentence when the app reached it later."""
        event.stop()
        if event.worker.is_finished:
            self._cancels.pop(event.worker, None)
            self._work_started.pop(event.worker, None)
        self.scaletui.call_later(dispatch.report_worker, self.scaletui, event.worker, event.state)
