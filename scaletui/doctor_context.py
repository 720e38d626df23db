"""What a doctor check is given and gives back: the machine as the checks see it (`DoctorContext`) and one
`Finding` per need, shared by machine_checks and fault_leftovers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SBIN_DIRS = ("/usr/sbin", "/sbin")


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True
    """False: only the feature named in `needed_for` is affected."""
    needed_for: str = "local platform"
    leftover: bool = False
    """True: not something missing but a fault's change still on the host (a rule, a qdisc, a process)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DoctorContext:
    """Where the checks look: an environment (PATH, HOME, KUBECONFIG, ...) and the cache directory."""

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cache_dir: Path = Path("~/.cache/scaletui")
    venv_bin: Path = Path(sys.executable).parent
    timeout: float = 2.0

    @property
    def home(self) -> Path:
        return Path(self.env.get("HOME") or Path.home())

    def which(self, name: str) -> Path | None:
        found = shutil.which(name, path=self.env.get("PATH", ""))
        return Path(found) if found else None

    def sbin(self, tool: str) -> Path | None:
        """`tool` on PATH, or in /usr/sbin or /sbin (not on a normal user's PATH)."""
        return self.which(tool) or next((Path(d) / tool for d in SBIN_DIRS if (Path(d) / tool).is_file()), None)

    def run(self, argv: list[str]) -> subprocess.CompletedProcess[str] | None:
        """The command's result, or None if it could not start or outlived the timeout."""
        try:
            return subprocess.run(
                argv, capture_output=True, text=True, timeout=self.timeout, env=dict(self.env), stdin=subprocess.DEVNULL
            )
        except (OSError, subprocess.TimeoutExpired):
            return None

    @classmethod
    def from_app_config(cls, config_file: str | None = None) -> DoctorContext:
        """The cache directory of conf/scaletui.toml (or SCALETUI_HOME), the current environment."""
        from scaletui.config.loader import load_app_config

        return cls(cache_dir=Path(load_app_config(config_file).paths.cache).expanduser())


Check = Callable[[DoctorContext], list[Finding]]
