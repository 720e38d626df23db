"""The session opened behind the app's first frame, in a thread of its own that the app's exit does not wait for.

A stop signal or the quit key while the session is still opening ends the app; the opening then finishes on its
own, and the launcher's teardown waits for it (at most OPENING_WAIT_S) to close the engine it opened, as after any
quit: the session is saved, its log says it closed and its lock is released, instead of an engine nobody closes.
Textual's thread workers run in the event loop's executor, which the app's exit waits for without a bound; here
the app awaits the opening's future, and its exit only cancels that wait.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scaletui.engine import Engine
    from scaletui.errors import UserError
    from scaletui.tui.boot import Boot

OPENING_WAIT_S = 60.0
"""How long a teardown waits for a session still opening: it reverts faults a crash left, closes a crashed run's
results, reads the session; past this the process ends and the OS releases the session's lock."""


class EngineOpening:
    """One opening of the session: started at once in a daemon thread, its engine or error in a future."""

    def __init__(self, open_engine: Callable[[], Engine]) -> None:
        self._future: Future[Engine] = Future()
        self._future.set_running_or_notify_cancel()  # a cancelled wait (the app exiting) does not cancel it
        threading.Thread(target=self._run, args=(open_engine,), name="opening the session", daemon=True).start()

    def _run(self, open_engine: Callable[[], Engine]) -> None:
        try:
            self._future.set_result(open_engine())
        except BaseException as e:
            self._future.set_exception(e)

    async def wait(self) -> Engine:
        """The engine, for the app's worker; its error is raised."""
        return await asyncio.wrap_future(self._future)

    def engine(self, timeout: float = OPENING_WAIT_S) -> Engine | None:
        """The engine once open, waiting at most `timeout`; None when opening failed or takes longer."""
        try:
            return self._future.result(timeout)
        except Exception:  # a timeout, or the opening's error (`error`)
            return None

    @property
    def done(self) -> bool:
        return self._future.done()

    def error(self) -> UserError | None:
        """Why the opening failed, as the app says it; None while it runs or once it opened."""
        if not self._future.done() or self._future.exception() is None:
            return None
        return opening_error(self._future.exception())


def opening_error(err: BaseException | None) -> UserError:
    """An opening's error as the launcher reports it after the app exits: a UserError as it is, anything else in one
    sentence."""
    from scaletui.errors import UserError

    return err if isinstance(err, UserError) else UserError(f"Opening the session failed: {err}.")


def open_engine(boot: Boot) -> Engine:
    from scaletui.config.loader import load_app_config
    from scaletui.engine import Engine

    config_file = str(boot.config_file) if boot.config_file else None
    return Engine(load_app_config(config_file), boot.session)
