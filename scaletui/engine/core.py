"""Engine: the session store, the event bus, the session directory and its log file.

Intents (start the cluster, run a stage, fire a fault...) are methods here or on the area objects it holds, so the
TUI and the headless runner call exactly the same code.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from scaletui.config.models import AppConfig
from scaletui.errors import ConfigError
from scaletui.events import ErrorEvent, EventBus, Notice
from scaletui.session.store import SessionStore

if TYPE_CHECKING:
    from scaletui.cluster.base import ClusterBackend
    from scaletui.engine.experiment import ExperimentRun
    from scaletui.engine.live import LiveSession
    from scaletui.engine.runs import ExperimentLauncher

SESSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
log = logging.getLogger("scaletui")


class Engine:
    def __init__(self, config: AppConfig, session: str | None = None) -> None:
        name = session or config.session
        if not SESSION_NAME.match(name):
            raise ConfigError(
                f"session name {name!r} is not usable: expected letters, digits, '.', '_' or '-' (at most 64)."
            )
        self.config = config
        self.bus = EventBus()
        self.session_dir = Path(config.paths.sessions).expanduser() / name
        self.session_dir.mkdir(parents=True, exist_ok=True)
        self._log_handler = self._attach_log()
        self.store = SessionStore.open(self.session_dir, name)
        self.conf_dir = Path(config.paths.conf)
        self.cache_dir = Path(config.paths.cache).expanduser()
        self.results_dir = Path(config.paths.results)
        self._live: LiveSession | None = None
        self._launcher: ExperimentLauncher | None = None
        self.current_run: ExperimentRun | None = None
        from scaletui.engine.faults import FaultControl
        from scaletui.engine.testbed import TestbedControl

        self.faults = FaultControl(self)
        self.testbed = TestbedControl(self)
        self.startup_messages: list[str] = []
        """What the engine did before either face subscribed (e.g. orphaned faults it reverted); faces show it."""
        cleaned = self.faults.recover_at_start()
        if cleaned:
            what = "; ".join(f"{f.kind} on {', '.join(f.targets)}" for f in cleaned)
            self.startup_messages.append(f"Reverted {len(cleaned)} fault(s) left by an earlier run: {what}.")
        if any(r.state == "running" for r in self.store.session.stages.values()):
            from scaletui.stages.session_records import interrupted_runs

            stale = interrupted_runs(self.store)
            self.startup_messages.append(f"Marked stage(s) {', '.join(stale)} cancelled: scaletui stopped mid-run.")

    @property
    def live(self) -> LiveSession:
        """The interactive loop, created on first use so that opening the app imports none of its parts."""
        if self._live is None:
            from scaletui.engine.live import LiveSession

            self._live = LiveSession(self)
        return self._live

    @property
    def experiments(self) -> ExperimentLauncher:
        """Experiments started from the TUI, one at a time."""
        if self._launcher is None:
            from scaletui.engine.runs import ExperimentLauncher

            self._launcher = ExperimentLauncher(self)
        return self._launcher

    def active_cluster(self) -> ClusterBackend | None:
        """The cluster faults and probes act on: the one started by hand, else the running experiment's."""
        if self._live is not None and self._live.platform is not None:
            return self._live.platform.cluster
        run = self.current_run
        if run is not None and run.platform is not None:
            return run.platform.cluster
        return None

    @property
    def name(self) -> str:
        return self.session_dir.name

    @property
    def log_file(self) -> Path:
        return self.session_dir / "scaletui.log"

    def _attach_log(self) -> logging.Handler:
        handler = logging.FileHandler(self.session_dir / "scaletui.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per REST poll would drown the log
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
        return handler

    def conf_files(self, kind: str) -> list[Path]:
        """The TOML files of one kind under conf/: platforms, experiments or strategies."""
        return sorted((self.conf_dir / kind).glob("*.toml"))

    def notice(self, message: str, level: str = "info") -> None:
        log.info(message)
        self.bus.publish(Notice(message=message, level=level))  # type: ignore[arg-type]

    def error(self, message: str, hint: str = "", source: str = "engine") -> None:
        log.error("%s %s", message, hint)
        self.bus.publish(ErrorEvent(message=message, hint=hint, source=source))

    def close(self) -> None:
        """Stop live work (the cluster started from the TUI), then detach the log."""
        try:
            if self._launcher is not None:
                self._launcher.cancel()
            self.testbed.cancel()
            self.faults.close()
            if self._live is not None:
                self._live.stop()
        except Exception:
            log.exception("stopping the live cluster failed")
        logging.getLogger().removeHandler(self._log_handler)
        self._log_handler.close()
