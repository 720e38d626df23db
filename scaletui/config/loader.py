"""Load and validate conf/ files; every error names the file, the key and what was expected."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from scaletui.config.errors import from_validation, read_toml
from scaletui.config.models import AppConfig, Experiment, PlatformFile, StrategyFile

M = TypeVar("M", bound=BaseModel)


def load_model(path: Path | str, model: type[M]) -> M:
    path = Path(path)
    doc = read_toml(path)
    try:
        return model.model_validate(doc)
    except ValidationError as e:
        raise from_validation(path, e) from None


def app_config_path(explicit: str | None = None) -> Path | None:
    """--config, then $SCALETUI_CONFIG, then ./conf/scaletui.toml, then ~/.config/scaletui/scaletui.toml."""
    for candidate in (
        explicit,
        os.environ.get("SCALETUI_CONFIG"),
        "conf/scaletui.toml",
        "~/.config/scaletui/scaletui.toml",
    ):
        if candidate and Path(candidate).expanduser().is_file():
            return Path(candidate).expanduser()
    return None


def load_app_config(explicit: str | None = None) -> AppConfig:
    """App settings; SCALETUI_THEME, SCALETUI_SESSION and SCALETUI_HOME (root of sessions and cache) override."""
    path = app_config_path(explicit)
    config = load_model(path, AppConfig) if path else AppConfig()
    if theme := os.environ.get("SCALETUI_THEME"):
        config.theme = theme
    if session := os.environ.get("SCALETUI_SESSION"):
        config.session = session
    if home := os.environ.get("SCALETUI_HOME"):
        config.paths.sessions = str(Path(home) / "sessions")
        config.paths.cache = str(Path(home) / "cache")
    return config


def load_experiment(path: Path | str) -> Experiment:
    return load_model(path, Experiment)


def load_platform(path: Path | str) -> PlatformFile:
    return load_model(path, PlatformFile)


def load_strategy(path: Path | str) -> StrategyFile:
    return load_model(path, StrategyFile)
