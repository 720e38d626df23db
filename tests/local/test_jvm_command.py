"""The JVM command lines we build are the ones Flink's own `bin/<role>.sh start-foreground` would exec.

Flink's scripts run here for real against the installed Flink, with JAVA_HOME pointing at a wrapper around the real
java: the wrapper runs the scripts' helper JVMs (configuration, Java version, memory sizing) as they are and, for
the JobManager or TaskManager itself, writes the arguments and environment it was given instead of starting it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from scaletui.errors import PlatformError
from scaletui.flink.cluster_config import ClusterLayout, ClusterSettings, flink_conf, write_conf_dir
from scaletui.flink.install import FlinkHome
from scaletui.flink.jvm_command import ENTRYPOINTS, FlinkJvmCommands

pytestmark = [pytest.mark.flink, pytest.mark.timeout(300)]

SCRIPTS = {"jobmanager": "jobmanager.sh", "taskmanager": "taskmanager.sh"}


def fake_jdk(root: Path, real_java: Path) -> Path:
    """A JAVA_HOME whose java runs the real one, except for Flink's two entrypoints, whose call it writes down."""
    (root / "bin").mkdir(parents=True)
    java = root / "bin" / "java"
    entry = "|".join(e.main_class for e in ENTRYPOINTS.values())
    java.write_text(
        "#!/bin/bash\n"
        f'for a in "$@"; do case "$a" in {entry}) printf "%s\\0" "$@" > "$CALL_OUT.argv"; '
        'env -0 > "$CALL_OUT.env"; exit 0;; esac; done\n'
        f'exec {real_java} "$@"\n'
    )
    java.chmod(0o755)
    return root


def scripts_call(home: FlinkHome, jdk: Path, layout: ClusterLayout, role: str, name: str, dynamic: dict[str, str]):  # type: ignore[no-untyped-def]
    """The argv (without java itself) and environment the role's script execs java with."""
    out = layout.root / f"call-{name}"
    args = [str(home.bin / SCRIPTS[role]), "start-foreground"]
    for key, value in dynamic.items():
        args += ["-D", f"{key}={value}"]
    env = {k: v for k, v in os.environ.items() if k not in ("FLINK_ENV_JAVA_OPTS", "JAVA_TOOL_OPTIONS")}
    env.update(
        JAVA_HOME=str(jdk),
        CALL_OUT=str(out),
        FLINK_HOME=str(home.path),
        FLINK_CONF_DIR=str(layout.conf),
        FLINK_LOG_DIR=str(layout.logs),
        FLINK_PID_DIR=str(layout.pids),
        FLINK_IDENT_STRING=name,
        STD_REDIRECT_TO_FILE="true",
    )
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    argv = out.with_name(out.name + ".argv").read_bytes().decode().split("\0")[:-1]
    environ = dict(
        item.split("=", 1) for item in out.with_name(out.name + ".env").read_bytes().decode().split("\0") if "=" in item
    )
    return argv, environ


def test_the_commands_are_the_scripts_argument_for_argument(flink_home: FlinkHome, tmp_path: Path) -> None:
    layout = ClusterLayout(tmp_path / "cluster")
    settings = ClusterSettings(
        extra={
            "env.java.opts.taskmanager": "-XX:+UseSerialGC -Xlog:gc:file=${FLINK_LOG_PREFIX}.gc",
            "env.java.opts.jobmanager": "-Dscaletui.test=jobmanager",
        }
    )
    write_conf_dir(flink_home.path, layout, flink_conf(layout, 18081, 16123, settings))
    jdk = fake_jdk(tmp_path / "jdk", flink_home.java.resolve())
    commands = FlinkJvmCommands(flink_home.path, flink_home.java.resolve().parent.parent, layout.conf, layout.logs)
    calls = {
        "jobmanager": ("jobmanager", {}),
        "taskmanager-1": ("taskmanager", {"taskmanager.resource-id": "taskmanager-1"}),
        "taskmanager-2": (
            "taskmanager",
            {
                "taskmanager.resource-id": "taskmanager-2",
                "taskmanager.numberOfTaskSlots": "3",
                "taskmanager.memory.process.size": "1200m",
            },
        ),
    }
    for name, (role, dynamic) in calls.items():
        theirs, their_env = scripts_call(flink_home, jdk, layout, role, name, dynamic)
        ours = commands.launch(role, name, dynamic)
        assert ours.argv[1:] == theirs, f"{name}:\nours   {ours.argv[1:]}\ntheirs {theirs}"
        assert ours.argv[0] == str(flink_home.java.resolve().parent.parent / "bin" / "java")
        for key, value in ours.env.items():
            if key != "JAVA_HOME":
                assert their_env.get(key) == value, (key, their_env.get(key), value)
        assert f"-Dlog.file={ours.log_file}" in theirs
    assert f"-Xlog:gc:file={str(ours.log_file).removesuffix('.log')}.gc" in ours.argv


def test_a_memory_flink_cannot_size_is_said_with_flinks_reason(flink_home: FlinkHome, tmp_path: Path) -> None:
    layout = ClusterLayout(tmp_path / "cluster")
    write_conf_dir(flink_home.path, layout, flink_conf(layout, 18082, 16124, ClusterSettings()))
    commands = FlinkJvmCommands(flink_home.path, flink_home.java.resolve().parent.parent, layout.conf, layout.logs)
    with pytest.raises(PlatformError) as err:
        commands.launch("taskmanager", "taskmanager-1", {"taskmanager.memory.process.size": "64m"})
    said = err.value.message
    assert "could not size the taskmanager's memory" in said and "taskmanager.memory.process.size=64m" in said
    assert "memory" in said.split(":", 2)[-1].lower(), said
