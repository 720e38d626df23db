"""The engine: one object both faces (TUI and --script) drive. It owns the session, the bus and the workers."""

from scaletui.engine.core import Engine

__all__ = ["Engine"]
