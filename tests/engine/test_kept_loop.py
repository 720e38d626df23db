"""Review 36: what the session keeps of the strategy loop for the next cluster is only what the live session itself
changed and the running loop took: not a line that was refused, not an experiment started from the run history, and
not kept settings that no longer fit the live defaults file (those are dropped, once, with what to do). On the
simulator."""

from __future__ import annotations

import pytest

from scaletui.engine import Engine
from scaletui.errors import ConfigError


def test_a_refused_strategy_line_changes_nothing_the_session_keeps(engine: Engine) -> None:
    """F2: the loop's change was recorded before the strategy was built, so a line refused for a strategy parameter
    reached the session with the next StrategyChanged (a pause), and the next cluster ran the refused interval."""
    engine.live.start("simulator")
    try:
        engine.live.set_strategy("ds2")
        with pytest.raises(ConfigError):
            engine.live.set_strategy("ds2", {"bogus": 1}, {"interval": "5s"})
        assert engine.live.loop_settings()["interval"] == 10.0
        engine.live.toggle_pause()
        assert engine.store.session.strategy.paused
        assert engine.store.session.strategy.loop == {}, "the refused interval is not kept"
    finally:
        engine.live.stop()
