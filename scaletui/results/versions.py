"""What produced a run: scaletui, Python, Flink, and the playbooks' git commit, for anyone re-running it later."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import scaletui


def git_commit(path: Path | str | None) -> dict[str, Any] | None:
    """`{"commit": sha, "dirty": bool}` of the git work tree holding `path`, or None when it is not one."""
    if path is None or not Path(path).exists() or shutil.which("git") is None:
        return None
    where = Path(path) if Path(path).is_dir() else Path(path).parent
    try:
        sha = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": sha, "dirty": bool(status.strip())} if sha else None


_CHECKOUT = Path(scaletui.__file__).resolve().parent.parent


def collect_versions(flink_version: str | None = None, playbooks_dir: Path | str | None = None) -> dict[str, Any]:
    """`playbooks_dir` defaults to the playbooks/ shipped beside the package, when running from a checkout."""
    if playbooks_dir is None and (_CHECKOUT / "playbooks").is_dir():
        playbooks_dir = _CHECKOUT / "playbooks"
    return {
        "scaletui": scaletui.__version__,
        "scaletui_checkout": git_commit(_CHECKOUT) if (_CHECKOUT / "scaletui").is_dir() else None,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "flink": flink_version or None,
        "playbooks": git_commit(playbooks_dir),
    }
