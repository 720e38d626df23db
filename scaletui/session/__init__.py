"""The session model and its TOML store."""

from scaletui.session.model import SCHEMA_VERSION, Session
from scaletui.session.store import SessionStore

__all__ = ["SCHEMA_VERSION", "Session", "SessionStore"]
