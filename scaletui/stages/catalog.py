"""The playbooks tree as the engine sees it: stages, applications, and the actions each application takes.

Layout (under `playbooks/`):
- `<stage>/setup.yaml` for the stages `infrastructure`, `orchestration`, `application`, and `local` (the local
  platform's preparation);
- `application/<app>.yaml` for one application, which takes the extra variable `app_action` (deploy, delete,
  reload; Ansible reserves the name `action`);
- `application/roles/<app>/vars/main.yaml` pins the application's version as `<app>_version`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from scaletui.errors import ConfigError

STAGES = ("infrastructure", "orchestration", "application", "local")
APPS = ("flink", "minio", "kafka", "loadgen", "chaos_mesh", "consul", "metrics", "scaler")
Action = Literal["deploy", "delete", "reload"]
ACTIONS: tuple[Action, ...] = ("deploy", "delete", "reload")


def playbooks_dir(explicit: Path | str | None = None) -> Path:
    """`explicit`, then $SCALETUI_PLAYBOOKS, then the `playbooks/` beside the package (a source checkout)."""
    for candidate in (explicit, os.environ.get("SCALETUI_PLAYBOOKS")):
        if candidate:
            return Path(candidate).expanduser().resolve()
    return (Path(__file__).resolve().parents[2] / "playbooks").resolve()


def stage_playbook(root: Path, stage: str) -> Path:
    if stage not in STAGES:
        raise ConfigError(f"stage {stage!r} is not one of {', '.join(STAGES)}.")
    path = root / stage / "setup.yaml"
    if not path.is_file():
        raise ConfigError(
            f"stage {stage}: playbook {path} is missing.", "Set SCALETUI_PLAYBOOKS to the playbooks tree."
        )
    return path


def app_playbook(root: Path, app: str) -> Path:
    if app not in APPS:
        raise ConfigError(f"application {app!r} is not one of {', '.join(APPS)}.")
    path = root / "application" / f"{app}.yaml"
    if not path.is_file():
        raise ConfigError(f"application {app}: playbook {path} is missing.")
    return path


def app_version(root: Path, app: str) -> str:
    """The version pinned in the app role's vars (`<app>_version`), or "" when the role pins none. (yaml loads here:
    the Stages pane reads this module's names for the app's first frame.)"""
    import yaml

    vars_file = root / "application" / "roles" / app / "vars" / "main.yaml"
    try:
        data = yaml.safe_load(vars_file.read_text()) or {}
    except (OSError, yaml.YAMLError):
        return ""
    return str(data.get(f"{app}_version", ""))
