"""A standalone Flink cluster on 127.0.0.1: one JobManager and N TaskManagers, each its own process.

Processes are recorded in pid files under the cluster directory and published (LocalClusterChanged, which the
engine keeps in the session), so after a crash of scaletui the next start finds them and adopts or stops them.
We only ever signal PIDs from our records that still carry our configuration directory (a reused PID is left
alone).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from scaletui.errors import Cancelled, PlatformError
from scaletui.events import EventBus, LocalClusterChanged, Progress
from scaletui.flink import processes as procs
from scaletui.flink.cluster_config import (
    LOOPBACK,
    ClusterLayout,
    ClusterSettings,
    flink_conf,
    free_port,
    read_conf,
    require_free,
    write_conf_dir,
)
from scaletui.flink.install import FlinkHome
from scaletui.flink.jvm_command import FlinkJvmCommands
from scaletui.flink.leftovers import Recovery, RecoveryChoice, forget_dead, leftovers, stop_processes
from scaletui.flink.processes import FlinkProcess
from scaletui.flink.rest import FlinkRestClient

JOBMANAGER = "jobmanager"


class LocalFlinkCluster:
    """Start, grow, shrink and stop a local cluster; every method blocks, so callers run them in workers."""

    def __init__(
        self,
        home: FlinkHome,
        directory: Path | str,
        settings: ClusterSettings | None = None,
        bus: EventBus | None = None,
        remembered: tuple[FlinkProcess, ...] = (),
    ) -> None:
        """`remembered`: the processes the session recorded last time (besides the pid files), for `recover`."""
        self.home = home
        self.layout = ClusterLayout(Path(directory))
        self.settings = settings or ClusterSettings()
        self.bus = bus
        self.remembered = remembered
        self._procs: dict[str, FlinkProcess] = {}
        self._tm_props: dict[str, dict[str, str]] = {}
        self._stopping = False
        """Set by `stop` until the next start: a TaskManager an actuation launches meanwhile would outlive the stop."""
        self._lock = threading.RLock()
        self._commands = FlinkJvmCommands(
            home.path, home.java.resolve().parent.parent, self.layout.conf, self.layout.logs
        )
        self._rest: FlinkRestClient | None = None
        self.rest_port: int | None = None
        self.rpc_port: int | None = None

    # --- state ----------------------------------------------------------------------------------------------------

    @property
    def rest_url(self) -> str:
        if self.rest_port is None:
            raise PlatformError("The local Flink cluster is not started.", "Start the cluster first.")
        return f"http://{LOOPBACK}:{self.rest_port}"

    @property
    def rest(self) -> FlinkRestClient:
        if self._rest is None or self._rest.base_url != self.rest_url:
            self._rest = FlinkRestClient(self.rest_url)
        return self._rest

    @property
    def running(self) -> bool:
        return JOBMANAGER in self._procs

    def processes(self) -> list[FlinkProcess]:
        with self._lock:
            return list(self._procs.values())

    def taskmanager_names(self) -> list[str]:
        with self._lock:
            return sorted((n for n, p in self._procs.items() if p.role == "taskmanager"), key=_tm_index)

    def exited(self) -> list[str]:
        """Names of our processes that are no longer alive (crashed or killed)."""
        with self._lock:
            return [name for name, proc in self._procs.items() if procs.exited(proc)]

    def process(self, name: str) -> FlinkProcess:
        with self._lock:
            if name not in self._procs:
                raise PlatformError(f"There is no Flink process named {name}.", f"Known: {', '.join(self._procs)}.")
            return self._procs[name]

    # --- start / stop ---------------------------------------------------------------------------------------------

    def start(self, taskmanagers: int = 1, cancel: threading.Event | None = None, timeout_s: float = 120.0) -> None:
        """Write the configuration, start the JobManager and `taskmanagers` TaskManagers, wait until registered."""
        if self.running:
            raise PlatformError("The local Flink cluster is already running.", "Stop it first, or add TaskManagers.")
        rest_port = self.settings.rest_port or free_port()
        rpc_port = self.settings.rpc_port or free_port()
        while rpc_port == rest_port:
            rpc_port = free_port()
        require_free(rest_port, "REST port")
        require_free(rpc_port, "RPC port")
        self.rest_port, self.rpc_port = rest_port, rpc_port
        write_conf_dir(self.home.path, self.layout, flink_conf(self.layout, rest_port, rpc_port, self.settings))
        self._stopping = False
        started = time.monotonic()
        self._progress("start Flink", "starting the JobManager", 0.0)
        try:
            self._launch("jobmanager", JOBMANAGER, {}, [rest_port, rpc_port])
            names = [self._launch_taskmanager() for _ in range(taskmanagers)]
            self._wait(lambda: self.rest.answers(), "the JobManager's REST API to answer", started + timeout_s, cancel)
            self._progress("start Flink", "waiting for TaskManagers to register", 0.5)
            self.wait_registered(names, deadline=started + timeout_s, cancel=cancel)
        except BaseException:
            self.stop()
            raise
        self._progress("start Flink", f"running at {self.rest_url}", 1.0, done=True)

    def stop(self, grace_s: float = 10.0) -> None:
        """Stop every process of ours (TaskManagers first), by PID, and clean their pid files."""
        with self._lock:
            self._stopping = True
            order = sorted(self._procs.values(), key=lambda p: p.role == "jobmanager")
        for proc in order:
            procs.terminate(proc, grace_s)
            self._forget(proc.name)
        if self._rest is not None:
            self._rest.close()
            self._rest = None
        self._progress("stop Flink", "stopped", 1.0, done=True)

    # --- TaskManagers ---------------------------------------------------------------------------------------------

    def add_taskmanager(
        self,
        wait: bool = True,
        timeout_s: float = 90.0,
        cancel: threading.Event | None = None,
        slots: int | None = None,
        memory: str | None = None,
    ) -> str:
        """Start one more TaskManager (the cluster's slots and memory unless given); named `taskmanager-<n>`."""
        if not self.running:
            raise PlatformError("The local Flink cluster is not started.", "Start the cluster first.")
        name = self._launch_taskmanager(slots, memory)
        if wait:
            self.wait_registered([name], deadline=time.monotonic() + timeout_s, cancel=cancel)
        return name

    def remove_taskmanager(self, name: str | None = None, grace_s: float = 10.0) -> str:
        """Stop one TaskManager (the newest unless named); its slots leave the cluster."""
        names = self.taskmanager_names()
        if not names:
            raise PlatformError("There is no TaskManager to remove.", "Add one first.")
        victim = name or names[-1]
        procs.terminate(self.process(victim), grace_s)
        self._forget(victim)
        return victim

    def restart_taskmanager(self, name: str, wait: bool = True, timeout_s: float = 90.0) -> None:
        """Start a TaskManager again under the same name (after it died or was stopped)."""
        proc = self.process(name)
        procs.terminate(proc)
        old = self._registration(name)
        self._forget(name)
        self._launch("taskmanager", name, self._tm_props.get(name) or self._tm_dynamic(name), [])
        if wait:
            # The JobManager may still list the dead process under the same id until its heartbeat times out.
            deadline = time.monotonic() + timeout_s
            self._wait(lambda: self._registration(name) not in (None, old), f"{name} to register", deadline, None)

    def restart_jobmanager(self, name: str = JOBMANAGER, timeout_s: float = 90.0) -> None:
        """Start the JobManager again on its ports after it died: the TaskManagers still running register with it
        again (standalone Flink retries the address it was given). The job it ran is gone: no high availability."""
        if self.rest_port is None or self.rpc_port is None:
            raise PlatformError("The local Flink cluster is not started.", "Start the cluster first.")
        procs.terminate(self.process(name))
        self._forget(name)
        self._launch("jobmanager", name, {}, [self.rest_port, self.rpc_port])
        deadline = time.monotonic() + timeout_s
        self._wait(lambda: self.rest.answers(), "the restarted JobManager's REST API to answer", deadline, None)

    def kill(self, name: str) -> int:
        """SIGKILL one of our processes at once (a crash, for chaos and tests); returns its PID. Records stay."""
        proc = self.process(name)
        procs.kill_hard(proc)
        return proc.pid

    def registered(self) -> dict[str, dict[str, object]]:
        """TaskManagers the JobManager knows, by resource id (= our process name)."""
        return {str(tm["id"]): tm for tm in self.rest.taskmanagers()}

    def _registration(self, name: str) -> str | None:
        """The RPC address the JobManager has for this TaskManager (changes when the process is new)."""
        try:
            tm = self.registered().get(name)
        except PlatformError:
            return None
        return str(tm.get("path")) if tm else None

    def wait_registered(self, names: list[str], deadline: float, cancel: threading.Event | None = None) -> None:
        def ready() -> bool:
            for name in names:
                proc = self._procs.get(name)
                if proc is not None and procs.exited(proc):
                    raise PlatformError(
                        f"Flink {name} exited while starting.", f"Its log ends with:\n{self._log_tail(name)}"
                    )
            if not self.rest.answers():
                return False
            known = self.registered()
            if not set(names) <= set(known):
                return False
            # A TaskManager is listed before its slot report arrives (slotsNumber 0 until then), and its slots reach
            # the slot manager later still: wait for each one's own count, then for the cluster's total.
            if any(int(str(known[n].get("slotsNumber", 0))) < self._slots_of(n) for n in names):
                return False
            slots = sum(int(str(tm.get("slotsNumber", 0))) for tm in known.values())
            return int(self.rest.overview()["slots-total"]) >= slots

        self._wait(ready, f"{', '.join(names) or 'TaskManagers'} to register", deadline, cancel)

    # --- crash recovery -------------------------------------------------------------------------------------------

    def leftovers(self) -> list[FlinkProcess]:
        """Processes a previous scaletui left running: from the session and the pid files, still alive and ours."""
        return leftovers(self.layout, self.remembered)

    def recover(self, choice: RecoveryChoice) -> Recovery:
        """Adopt the leftovers (only if the JobManager still answers on its port) or stop them; clear dead records."""
        alive = {p.name: p for p in self.leftovers()}
        gone = forget_dead(self.layout, self.remembered, alive)
        if choice == "adopt" and JOBMANAGER in alive and self._adoptable():
            with self._lock:
                self._stopping = False
                self._procs.update(alive)
            self._save()
            return Recovery(adopted=tuple(sorted(alive)), gone=gone)
        stop_processes(self.layout, alive)
        self._procs.clear()
        self.rest_port = self.rpc_port = None
        self._save()
        return Recovery(stopped=tuple(sorted(alive)), gone=gone)

    def _adoptable(self) -> bool:
        conf_file = self.layout.conf / "config.yaml"
        if not conf_file.is_file():
            return False
        conf = read_conf(conf_file)
        self.rest_port = int(conf["rest.port"])
        self.rpc_port = int(conf["jobmanager.rpc.port"])
        if self.rest.answers():
            return True
        self.rest_port = self.rpc_port = None
        return False

    # --- internals ------------------------------------------------------------------------------------------------

    def _slots_of(self, name: str) -> int:
        """The slots this TaskManager was started with."""
        props = self._tm_props.get(name, {})
        return int(props.get("taskmanager.numberOfTaskSlots", self.settings.slots_per_taskmanager))

    def _tm_dynamic(self, name: str, slots: int | None = None, memory: str | None = None) -> dict[str, str]:
        return {
            "taskmanager.resource-id": name,
            "taskmanager.numberOfTaskSlots": str(slots or self.settings.slots_per_taskmanager),
            "taskmanager.memory.process.size": memory or self.settings.taskmanager_memory,
        }

    def _launch_taskmanager(self, slots: int | None = None, memory: str | None = None) -> str:
        """Flink sizes the memory (once per size) before the lock is taken: readers of the processes do not wait."""
        self._commands.sizing("taskmanager", self._tm_dynamic("", slots, memory))
        with self._lock:
            used = [_tm_index(n) for n in self._procs if n.startswith("taskmanager-")]
            name = f"taskmanager-{max(used, default=0) + 1}"
            self._tm_props[name] = self._tm_dynamic(name, slots, memory)
            self._launch("taskmanager", name, self._tm_props[name], [])
        return name

    def _launch(self, role: str, name: str, dynamic: dict[str, str], ports: list[int]) -> None:
        command = self._commands.launch(role, name, dynamic)
        with self._lock:
            if self._stopping:
                raise PlatformError(f"The local Flink cluster is stopping: {name} was not started.", "Start it again.")
            proc = procs.launch(name, role, command, self.layout.logs)
            proc.ports = ports
            self._procs[name] = proc
            procs.write_pid_file(self.layout.pids, proc)
        self._save()

    def _forget(self, name: str) -> None:
        with self._lock:
            self._procs.pop(name, None)
            procs.remove_pid_files(self.layout.pids, name)
        self._save()

    def _save(self) -> None:
        """Publish the processes and where the cluster answers (the pid files are already written)."""
        if self.bus is None:
            return
        records = tuple(
            {"role": p.role, "name": p.name, "pid": p.pid, "ports": list(p.ports), "started_at": p.started_at}
            for p in self.processes()
        )
        self.bus.publish(
            LocalClusterChanged(
                source="flink.cluster",
                processes=records,
                rest_url=self.rest_url if self.rest_port else "",
                flink_home=str(self.home.path),
                flink_version=self.home.version,
            )
        )

    def _log_tail(self, name: str) -> str:
        logs = sorted(self.layout.logs.glob(f"flink-{name}-*.log"), key=lambda p: p.stat().st_mtime)
        proc = self._procs.get(name)
        parts = [procs.tail(logs[-1], 8)] if logs else []
        if proc is not None and proc.log_file:
            parts.append(procs.tail(proc.log_file, 8))
        return "\n".join(p for p in parts if p)

    def _wait(self, ready: Callable[[], bool], what: str, deadline: float, cancel: threading.Event | None) -> None:
        while time.monotonic() < deadline:
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"Cancelled while waiting for {what}.")
            jm = self._procs.get(JOBMANAGER)
            if jm is not None and procs.exited(jm):
                raise PlatformError(
                    "The Flink JobManager exited while starting.", f"Its log ends with:\n{self._log_tail(JOBMANAGER)}"
                )
            if ready():
                return
            time.sleep(0.25)
        raise PlatformError(f"Timed out waiting for {what}.", f"See the logs in {self.layout.logs}.")

    def _progress(self, step: str, message: str, fraction: float | None, done: bool = False) -> None:
        if self.bus is not None:
            self.bus.publish(Progress(source="flink.cluster", step=step, message=message, fraction=fraction, done=done))


def _tm_index(name: str) -> int:
    tail = name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0
