"""The per-session Flink configuration directory: everything on 127.0.0.1, adaptive scheduler, fast REST refresh.

Values come from shared/notes/flink-local.md: the stabilization and cooldown timeouts are cut from 60 s/30 s to
seconds so a rescale shows within a couple of seconds, and REST caches are refreshed every 0.5-1 s.
"""

from __future__ import annotations

import json
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

from scaletui.errors import PlatformError

LOOPBACK = "127.0.0.1"
COPIED_CONF_FILES = ("log4j-console.properties", "log4j.properties", "logback-console.xml", "logback.xml")


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Nothing listens on the port (connections lingering in TIME_WAIT do not count, as for Flink's own bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def require_free(port: int, what: str) -> None:
    if not port_is_free(port):
        raise PlatformError(
            f"Port {port} on {LOOPBACK}, wanted for the Flink {what}, is already in use.",
            "Stop whatever listens there (see `ss -ltnp`), or leave the port unset so a free one is chosen.",
        )


@dataclass(frozen=True)
class ClusterLayout:
    """Where one local cluster keeps its files, all under the session directory."""

    root: Path

    @property
    def conf(self) -> Path:
        return self.root / "conf"

    @property
    def logs(self) -> Path:
        return self.root / "log"

    @property
    def pids(self) -> Path:
        return self.root / "pids"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def savepoints(self) -> Path:
        return self.root / "savepoints"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    def make(self) -> None:
        for path in (self.conf, self.logs, self.pids, self.tmp, self.savepoints, self.checkpoints):
            path.mkdir(parents=True, exist_ok=True)


@dataclass
class ClusterSettings:
    """What a user may choose for a local cluster; the rest is fixed by the local platform."""

    rest_port: int | None = None
    rpc_port: int | None = None
    slots_per_taskmanager: int = 2
    taskmanager_memory: str = "1024m"
    jobmanager_memory: str = "1024m"
    extra: dict[str, str] = field(default_factory=dict)


def flink_conf(layout: ClusterLayout, rest_port: int, rpc_port: int, settings: ClusterSettings) -> dict[str, str]:
    """Flat dotted config.yaml keys for a cluster on loopback."""
    tmp = str(layout.tmp)
    conf = {
        "jobmanager.rpc.address": LOOPBACK,
        "jobmanager.bind-host": LOOPBACK,
        "jobmanager.rpc.port": str(rpc_port),
        "jobmanager.memory.process.size": settings.jobmanager_memory,
        "jobmanager.execution.failover-strategy": "region",
        "taskmanager.host": LOOPBACK,
        "taskmanager.bind-host": LOOPBACK,
        "taskmanager.numberOfTaskSlots": str(settings.slots_per_taskmanager),
        "taskmanager.memory.process.size": settings.taskmanager_memory,
        "rest.address": LOOPBACK,
        "rest.bind-address": LOOPBACK,
        "rest.port": str(rest_port),
        "blob.server.port": "0",
        "parallelism.default": "1",
        "jobmanager.scheduler": "adaptive",
        "jobmanager.adaptive-scheduler.submission.resource-stabilization-timeout": "1s",
        "jobmanager.adaptive-scheduler.executing.resource-stabilization-timeout": "2s",
        "jobmanager.adaptive-scheduler.executing.cooldown-after-rescaling": "2s",
        "web.refresh-interval": "500",
        "metrics.fetcher.update-interval": "1000",
        # The metric fetcher waits this long on a dead TaskManager's query service before fetching again (default
        # 10 min: metrics froze that long after a kill -9). Job submission under load stays well below it.
        "web.timeout": "15000",
        "restart-strategy.type": "fixed-delay",
        "restart-strategy.fixed-delay.attempts": "1000000",
        "restart-strategy.fixed-delay.delay": "1s",
        "heartbeat.interval": "1000",
        "heartbeat.timeout": "10000",
        "state.savepoints.dir": layout.savepoints.as_uri(),
        "state.checkpoints.dir": layout.checkpoints.as_uri(),
        "env.pid.dir": str(layout.pids),
        "env.log.dir": str(layout.logs),
        "env.stdout-err.redirect-to-file": "true",
        "io.tmp.dirs": tmp,
        "web.tmpdir": tmp,
        "web.upload.dir": tmp,
        "blob.storage.directory": tmp,
    }
    conf.update(settings.extra)
    return conf


def write_conf_dir(home: Path, layout: ClusterLayout, conf: dict[str, str]) -> Path:
    """conf/config.yaml (keeping the shipped JVM options) plus the logging files; returns the config file."""
    layout.make()
    shipped = home / "conf" / "config.yaml"
    java_opts = _shipped_java_opts(shipped.read_text())
    lines = [f"{key}: {json.dumps(value)}" for key, value in sorted(conf.items())]
    if java_opts and "env.java.opts.all" not in conf:
        lines.append(f"env.java.opts.all: {json.dumps(java_opts)}")
    target = layout.conf / "config.yaml"
    target.write_text("\n".join(lines) + "\n")
    for name in COPIED_CONF_FILES:
        if (home / "conf" / name).is_file():
            shutil.copy2(home / "conf" / name, layout.conf / name)
    return target


def _shipped_java_opts(text: str) -> str:
    """The `env.java.opts.all` value of the shipped config.yaml (nested under env: java: opts: all:)."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("all:") and "--add-" in stripped:
            return stripped.split(":", 1)[1].strip()
        if stripped.startswith("env.java.opts.all:"):
            return stripped.split(":", 1)[1].strip()
    return ""


def read_conf(path: Path) -> dict[str, str]:
    """Our own flat config.yaml back (written by `write_conf_dir`)."""
    conf = {}
    for line in path.read_text().splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            raw = value.strip()
            conf[key.strip()] = json.loads(raw) if raw.startswith('"') else raw
    return conf


def settings_from_platform(table: dict[str, object], source: str = "platform file") -> ClusterSettings:
    """ClusterSettings from a local platform file's `[settings.flink]` table; a bad key is one ConfigError naming it.

    Keys: rest_port, rpc_port, slots_per_taskmanager, taskmanager_memory, jobmanager_memory, flink_conf (a table
    of extra Flink keys). The caller passes `platform.settings.get("flink", {})`."""
    from scaletui.errors import ConfigError

    settings = ClusterSettings()
    for key, value in table.items():
        if key in ("rest_port", "rpc_port", "slots_per_taskmanager"):
            low, high = (1, 64) if key == "slots_per_taskmanager" else (1024, 65535)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ConfigError(
                    f"{source}: key settings.flink.{key} expected an integer in {low}..{high}, got {value!r}."
                )
            setattr(settings, key, value)
        elif key in ("taskmanager_memory", "jobmanager_memory"):
            if not isinstance(value, str) or not value[:-1].isdigit() or value[-1].lower() not in "mg":
                raise ConfigError(
                    f'{source}: key settings.flink.{key} expected a size like "1024m" or "2g", got {value!r}.'
                )
            setattr(settings, key, value)
        elif key == "flink_conf":
            if not isinstance(value, dict):
                raise ConfigError(
                    f"{source}: key settings.flink.flink_conf expected a table of Flink keys, got {value!r}."
                )
            settings.extra = {str(k): str(v) for k, v in value.items()}
        else:
            raise ConfigError(
                f"{source}: key settings.flink.{key} is not a local platform setting.",
                "Use rest_port, rpc_port, slots_per_taskmanager, taskmanager_memory, jobmanager_memory or flink_conf.",
            )
    return settings
