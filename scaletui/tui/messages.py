"""Messages that carry engine events and session snapshots into the Textual loop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from scaletui.events import Event
    from scaletui.session.model import Session


class EngineEvent(Message):
    """An engine event, posted from whatever thread published it (post_message is thread-safe)."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class SessionChanged(Message):
    """A session snapshot and the top-level parts that changed (panes redraw only for theirs)."""

    def __init__(self, session: Session, parts: frozenset[str]) -> None:
        super().__init__()
        self.session = session
        self.parts = parts
