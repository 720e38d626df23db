"""A local Flink cluster's start, launched by Flink's own scripts against scaletui's direct JVM commands, side by side.

Each round starts one JobManager and two TaskManagers (scaletui's settings and configuration) both ways, in turn,
until the JobManager lists both TaskManagers with their slots, then stops them. Printed per way: the wall time to
that point and the CPU seconds spent on it (the JVMs' own and, for the scripts, the helper JVMs they ran before
exec'ing each one; for the direct commands, the memory sizing scaletui asks Flink for). Each round uses a fresh
cluster directory, so the direct way pays its sizing every round, as a first start does.

    .venv/bin/python benchmarks/flink_start.py [--rounds 3] [--cache ~/.cache/scaletui]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from scaletui.errors import UserError
from scaletui.flink.cluster_config import ClusterLayout, ClusterSettings, flink_conf, free_port, write_conf_dir
from scaletui.flink.install import FlinkHome, FlinkInstall
from scaletui.flink.jvm_command import FlinkJvmCommands
from scaletui.flink.rest import FlinkRestClient

TICKS = os.sysconf("SC_CLK_TCK")
ROLES = (("jobmanager", "jobmanager", {}), *(("taskmanager", f"taskmanager-{i}", {}) for i in (1, 2)))

Launcher = Callable[[FlinkHome, ClusterLayout, str, str, dict[str, str]], subprocess.Popen[bytes]]


def by_scripts(home: FlinkHome, layout: ClusterLayout, role: str, name: str, dynamic: dict[str, str]):  # type: ignore[no-untyped-def]
    """`bin/<role>.sh start-foreground`, as scaletui launched each process until the direct commands."""
    args = [str(home.bin / f"{role}.sh"), "start-foreground"]
    for key, value in dynamic.items():
        args += ["-D", f"{key}={value}"]
    env = {k: v for k, v in os.environ.items() if k != "FLINK_ENV_JAVA_OPTS"}
    env.update(
        FLINK_HOME=str(home.path),
        FLINK_CONF_DIR=str(layout.conf),
        FLINK_LOG_DIR=str(layout.logs),
        FLINK_PID_DIR=str(layout.pids),
        FLINK_IDENT_STRING=name,
        STD_REDIRECT_TO_FILE="true",
        JAVA_HOME=str(home.java.resolve().parent.parent),
    )
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def direct(commands: FlinkJvmCommands) -> Launcher:
    def launch(home: FlinkHome, layout: ClusterLayout, role: str, name: str, dynamic: dict[str, str]):  # type: ignore[no-untyped-def]
        command = commands.launch(role, name, dynamic)
        return subprocess.Popen(
            command.argv, env={**os.environ, **command.env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    return launch


def process_cpu(pid: int) -> float:
    """utime + stime of the process and of the children it waited for (the scripts' helper JVMs)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICKS


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def start_once(home: FlinkHome, root: Path, way: str) -> tuple[float, float]:
    """(wall s, CPU s) from the first launch until both TaskManagers' slots are registered."""
    layout = ClusterLayout(root / way)
    rest_port, rpc_port = free_port(), free_port()
    settings = ClusterSettings()
    write_conf_dir(home.path, layout, flink_conf(layout, rest_port, rpc_port, settings))
    dynamic = {
        "taskmanager.numberOfTaskSlots": str(settings.slots_per_taskmanager),
        "taskmanager.memory.process.size": settings.taskmanager_memory,
    }
    commands = FlinkJvmCommands(home.path, home.java.resolve().parent.parent, layout.conf, layout.logs)
    launch = by_scripts if way == "scripts" else direct(commands)
    rest = FlinkRestClient(f"http://127.0.0.1:{rest_port}")
    started, before = time.monotonic(), children_cpu()
    popens = []
    try:
        for role, name, _ in ROLES:
            extra = {"taskmanager.resource-id": name, **dynamic} if role == "taskmanager" else {}
            popens.append(launch(home, layout, role, name, extra))
        deadline = started + 300
        while time.monotonic() < deadline:
            if rest.answers():
                slots = [int(str(tm.get("slotsNumber", 0))) for tm in rest.taskmanagers()]
                if len(slots) == 2 and min(slots) >= settings.slots_per_taskmanager:
                    break
            time.sleep(0.1)
        else:
            raise SystemExit(f"{way}: the cluster did not register its TaskManagers within 300 s")
        wall = time.monotonic() - started
        cpu = sum(process_cpu(p.pid) for p in popens) + children_cpu() - before
        return wall, cpu
    finally:
        rest.close()
        for popen in popens:
            popen.terminate()
        for popen in popens:
            try:
                popen.wait(30)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache", default="~/.cache/scaletui")
    args = parser.parse_args()
    try:
        home = FlinkInstall(Path(args.cache).expanduser()).ensure()
    except UserError as e:
        print(e, file=sys.stderr)
        return 1
    figures: dict[str, list[tuple[float, float]]] = {"scripts": [], "direct": []}
    with tempfile.TemporaryDirectory(prefix="flink-start-") as tmp:
        for round_ in range(args.rounds):
            for way in figures:
                figures[way].append(start_once(home, Path(tmp) / str(round_), way))
                print(
                    f"round {round_ + 1} {way:8s} wall {figures[way][-1][0]:5.1f} s  CPU {figures[way][-1][1]:5.1f} s"
                )
    print(f"\nJobManager + 2 TaskManagers until their slots register (Flink {home.version}), median of {args.rounds}:")
    print(f"{'launch':10s} {'wall s':>8s} {'CPU s':>8s}")
    medians = {way: tuple(statistics.median(f[i] for f in runs) for i in (0, 1)) for way, runs in figures.items()}
    for way, (wall, cpu) in medians.items():
        print(f"{way:10s} {wall:8.1f} {cpu:8.1f}")
    (sw, sc), (dw, dc) = medians["scripts"], medians["direct"]
    print(f"direct / scripts: wall {dw / sw:.2f}x, CPU {dc / sc:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
