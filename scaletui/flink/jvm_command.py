"""The command line of a local JobManager or TaskManager JVM, as Flink's `bin/<role>.sh start-foreground` builds it.

Flink's scripts start four short JVMs before each JobManager or TaskManager: two read the configuration (each script
sources config.sh, and the role script execs flink-console.sh, which sources it again), one asks Java its version,
one sizes the process's memory. Measured on this 2-core machine under load: 2.3-3.9 CPU-s and about 5 s per process
before its own JVM starts. We write the configuration ourselves (cluster_config.py), so the java options are read
from our own file and Java's version from the JDK's `release` file; only the memory sizes need Flink's code
(BashJavaUtils), run once per role and memory settings and kept for the cluster's later processes.

`tests/local/test_jvm_command.py` checks these command lines against the ones the scripts build, argument for
argument.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shlex
import socket
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from scaletui.errors import PlatformError
from scaletui.flink.cluster_config import read_conf
from scaletui.flink.install import java_major_version

EXEC_RESULT = "BASH_JAVA_UTILS_EXEC_RESULT:"
SIZING_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Entrypoint:
    service: str
    main_class: str
    sizing: str
    """BashJavaUtils' command that sizes this role's memory."""


ENTRYPOINTS = {
    "jobmanager": Entrypoint(
        "standalonesession",
        "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
        "GET_JM_RESOURCE_PARAMS",
    ),
    "taskmanager": Entrypoint(
        "taskexecutor", "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", "GET_TM_RESOURCE_PARAMS"
    ),
}


@dataclass(frozen=True)
class MemorySizing:
    """What BashJavaUtils answers: the JVM's memory flags and the sizes passed on to the process as -D options."""

    jvm: tuple[str, ...]
    dynamic: tuple[str, ...]


@dataclass(frozen=True)
class JvmLaunch:
    """One process's command, the environment Flink's scripts export to it, and its log4j log file."""

    argv: list[str]
    env: dict[str, str]
    log_file: Path


class FlinkJvmCommands:
    """Builds the JVM command lines of one cluster (one configuration directory); thread-safe."""

    def __init__(self, home: Path, java_home: Path, conf_dir: Path, log_dir: Path) -> None:
        self.home = home
        self.java_home = java_home
        self.conf_dir = conf_dir
        self.log_dir = log_dir
        self._sizes: dict[tuple[str, str, tuple[tuple[str, str], ...]], MemorySizing] = {}
        self._lock = threading.Lock()

    @property
    def java(self) -> Path:
        return self.java_home / "bin" / "java"

    def launch(self, role: str, name: str, dynamic: dict[str, str]) -> JvmLaunch:
        """The command of process `name` (its FLINK_IDENT_STRING) with the user's -D options `dynamic`."""
        entry = ENTRYPOINTS[role]
        user = [arg for key, value in dynamic.items() for arg in ("-D", f"{key}={value}")]
        sizing = self.sizing(role, dynamic)
        prefix = self.log_dir / f"flink-{name}-{entry.service}-0-{os.environ.get('HOSTNAME') or socket.gethostname()}"
        log_file = prefix.with_name(prefix.name + ".log")
        logging = [
            "-Dconsole.log.level=OFF",
            f"-Dlog.file={log_file}",
            f"-Dlog4j.configuration=file:{self.conf_dir}/log4j-console.properties",
            f"-Dlog4j.configurationFile=file:{self.conf_dir}/log4j-console.properties",
            f"-Dlogback.configurationFile=file:{self.conf_dir}/logback-console.xml",
        ]
        at = str(prefix)
        options = [
            o.replace("${FLINK_LOG_PREFIX}", at).replace("$FLINK_LOG_PREFIX", at) for o in self._java_options(role)
        ]
        configured = ["--configDir", str(self.conf_dir)]
        if role == "taskmanager":
            args = configured + list(sizing.dynamic) + user
        else:
            args = list(sizing.dynamic) + configured + user
        argv = [
            str(self.java),
            *sizing.jvm,
            *options,
            *logging,
            "-classpath",
            classpath(self.home / "lib"),
            entry.main_class,
            *args,
        ]
        return JvmLaunch(argv, self._env(), log_file)

    def _env(self) -> dict[str, str]:
        """What config.sh exports: Flink finds its plugins (the Prometheus reporter) by FLINK_PLUGINS_DIR."""
        return {
            "JAVA_HOME": str(self.java_home),
            "FLINK_HOME": str(self.home),
            "FLINK_CONF_DIR": str(self.conf_dir),
            "FLINK_BIN_DIR": str(self.home / "bin"),
            "FLINK_LIB_DIR": str(self.home / "lib"),
            "FLINK_PLUGINS_DIR": str(self.home / "plugins"),
            "FLINK_OPT_DIR": str(self.home / "opt"),
            "FLINK_LOG_DIR": str(self.log_dir),
        }

    def _java_options(self, role: str) -> list[str]:
        """env.java.(default-)opts.all then the role's, as config.sh joins them (quotes around a value dropped)."""
        conf = read_conf(self.conf_dir / "config.yaml")
        every = _joined(conf.get("env.java.default-opts.all", ""), conf.get("env.java.opts.all", ""))
        if not conf.get("env.java.opts.all"):
            every = _joined(conf.get("env.java.default-opts.all", ""), conf.get("env.java.opts", ""))
        options = ["-XX:+IgnoreUnrecognizedVMOptions", *shlex.split(every)]
        if (java_major(self.java_home) or 0) > 17:
            options.append("-Djava.security.manager=allow")
        own = _joined(conf.get(f"env.java.default-opts.{role}", ""), conf.get(f"env.java.opts.{role}", ""))
        return options + shlex.split(own)

    def sizing(self, role: str, dynamic: dict[str, str]) -> MemorySizing:
        """BashJavaUtils' answer for this role, configuration and -D options (but the process's own name), asked
        once: the TaskManagers of one size share it."""
        config = (self.conf_dir / "config.yaml").read_bytes()
        same = tuple((k, v) for k, v in dynamic.items() if k != "taskmanager.resource-id")
        key = (role, hashlib.sha256(config).hexdigest(), same)
        with self._lock:
            if key not in self._sizes:
                self._sizes[key] = self._ask_sizing(role, dict(same))
            return self._sizes[key]

    def _ask_sizing(self, role: str, dynamic: dict[str, str]) -> MemorySizing:
        dist = flink_dist(self.home / "lib")
        command = [
            str(self.java),
            "-classpath",
            f"{self.home / 'bin' / 'bash-java-utils.jar'}:{dist}",
            "org.apache.flink.runtime.util.bash.BashJavaUtils",
            ENTRYPOINTS[role].sizing,
            "--configDir",
            str(self.conf_dir),
            *[arg for key, value in dynamic.items() for arg in ("-D", f"{key}={value}")],
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=SIZING_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as e:
            raise PlatformError(
                f"Flink did not size the {role}'s memory within {SIZING_TIMEOUT_S:.0f}s.",
                "The machine may be overloaded; try again.",
            ) from e
        output = done.stdout + done.stderr
        results = [line[len(EXEC_RESULT) :] for line in output.splitlines() if line.startswith(EXEC_RESULT)]
        if done.returncode != 0 or len(results) != 2:
            said = "\n".join(line for line in output.splitlines() if not line.startswith(EXEC_RESULT))[-1500:]
            raise PlatformError(
                f"Flink could not size the {role}'s memory with {self.conf_dir / 'config.yaml'}"
                f"{' and ' + ', '.join(f'{k}={v}' for k, v in dynamic.items()) if dynamic else ''}:\n{said}",
                "Check the memory settings (taskmanager_memory, jobmanager_memory, [settings.flink.extra]).",
            )
        return MemorySizing(tuple(results[0].split()), tuple(results[1].split()))


def _joined(*values: str) -> str:
    text = " ".join(values).strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def classpath(lib: Path) -> str:
    """lib's jars in sorted order with flink-dist last, then the empty Hadoop entries config.sh appends."""
    dist = flink_dist(lib)
    rest = sorted(str(p) for p in lib.rglob("*.jar") if not p.is_dir() and str(p) != dist)
    return ":".join(rest) + ":" + dist + "::::"


def flink_dist(lib: Path) -> str:
    found = sorted(str(p) for p in lib.rglob("flink-dist*.jar"))
    if len(found) != 1:
        raise PlatformError(
            f"{'No' if not found else 'More than one'} flink-dist jar in {lib}.",
            "Install Flink again (`scaletui doctor` says how).",
        )
    return found[0]


@functools.cache
def java_major(java_home: Path) -> int | None:
    """Java's major version from the JDK's `release` file, else from `java -version` (kept per JDK)."""
    release = java_home / "release"
    match = (
        re.search(r'^JAVA_VERSION="(\d+)', release.read_text(errors="replace"), re.MULTILINE)
        if release.is_file()
        else None
    )
    return int(match.group(1)) if match else java_major_version(java_home / "bin" / "java")
