"""What the first frame needs, read without the engine: the settings file and the session's `ui` table via tomllib.

The engine (pydantic models, the session store, fault recovery) opens right after the first frame, in a worker; it
validates everything this read skipped and refuses a bad file with one sentence.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaletui.config.loader import FirstFrameSettings, peek_app_config

if TYPE_CHECKING:
    from scaletui.engine import Engine

LAYOUTS = ("auto", "tabs", "dashboard")


@dataclass(frozen=True)
class Boot:
    """The session's name and remembered UI state, the settings file to validate, the themes to offer."""

    session: str
    config_file: Path | None = None
    preferred_theme: str = "dark"
    """From the settings (or SCALETUI_THEME); the session's own choice wins over it."""
    session_theme: str = ""
    pane: str = "reservations"
    layout: str = "auto"
    keymap: dict[str, str] = field(default_factory=dict)
    themes_dir: str = "themes"
    leftover: tuple[str, ...] = ()
    """The Flink processes the session file records: a crash left them, so until the session opens and checks them
    the Pods pane must not call the cluster stopped."""

    @classmethod
    def read(cls, config_file: str | None = None, session: str | None = None) -> Boot:
        settings = peek_app_config(config_file)
        name = session or settings.session
        doc = _session_doc(Path(settings.sessions).expanduser() / name / "session.toml")
        ui = doc.get("ui")
        return cls._of(settings, name, ui if isinstance(ui, dict) else {}, _process_names(doc))

    @classmethod
    def _of(cls, settings: FirstFrameSettings, name: str, ui: dict[str, Any], leftover: tuple[str, ...]) -> Boot:
        layout = ui.get("layout", "auto")
        return cls(
            session=name,
            config_file=settings.path,
            preferred_theme=settings.theme,
            session_theme=str(ui.get("theme", "")),
            pane=str(ui.get("pane", "reservations")),
            layout=layout if layout in LAYOUTS else "auto",
            keymap=settings.keymap,
            themes_dir=settings.themes,
            leftover=leftover,
        )

    @classmethod
    def of_engine(cls, engine: Engine) -> Boot:
        """For an engine opened already (tests, embedding): the same facts, from its validated config and session."""
        config, ui = engine.config, engine.store.session.ui
        return cls(
            session=engine.name,
            preferred_theme=config.theme,
            session_theme=ui.theme,
            pane=ui.pane,
            layout=ui.layout,
            keymap=dict(config.keymap),
            themes_dir=config.paths.themes,
        )


def _session_doc(path: Path) -> dict[str, Any]:
    """A session file's document; nothing when the file is missing or damaged (the store reports that)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def _process_names(doc: dict[str, Any]) -> tuple[str, ...]:
    """The names of the Flink processes a session document records under [cluster]."""
    cluster = doc.get("cluster")
    records = cluster.get("processes") if isinstance(cluster, dict) else None
    if not isinstance(records, list):
        return ()
    return tuple(str(r["name"]) for r in records if isinstance(r, dict) and "name" in r)
