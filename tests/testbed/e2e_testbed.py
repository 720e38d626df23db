"""The testbed e2e's (test_e2e.py) experiment and how it is driven and watched: the experiment file changed only where
the stand-in differs from Grid5000, the testbed the module's tests share, scaletui as a subprocess, and Flink and the
TaskManager Deployment watched from the testbed side. Apart from the tests so that these read as the scenarios."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.chaos.realenv import wait_for
from tests.fakes.g5k import FakeGrid5000
from tests.testbed.standin import K3sStandin

ROOT = Path(__file__).parents[2]
EXPERIMENT = ROOT / "conf" / "experiments" / "testbed-step-transscale.toml"
SESSION = "e2e-testbed"
LAUNCH = (
    "import sys\n"
    "from enoslib.infra.enos_g5k.provider import G5kBase\n"
    "G5kBase.grant_root_access = lambda self: None  # sudo-g5k over SSH: there are no nodes to SSH to\n"
    "from scaletui.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)
STEP_AT, FAULT_AT, FAULT_FOR, DURATION = 12.0, 32.0, 16.0, 72.0
"""The load step, the NetworkChaos delay and the run's length, in seconds from the run's start. The scale-up starts a
few seconds after the step and its TaskManager pod took 15-25 s to register on a loaded 2-core machine, so the fault
is due while it may still run, and the run leaves 24 s after the fault's expiry for the scale-up to have ended and
been sampled at its new parallelism."""
FAULT_LATE_S = 5.0
"""How late the fault may fire: a timeline step is applied at the loop's next second, and the fault's Chaos Mesh
resource is created through the API server, a few requests on a loaded machine."""
MATRIX_SETTLE_S = 6.0
"""Consul's coordinates move to a new RTT over a few of its rounds: the latency matrix under the fault is read from this
long after its injection to its expiry (as recorded in faults.jsonl)."""
TESTBED_TIMES = {
    'stages = ["infrastructure", "orchestration", "application"]': "stages = []",
    'duration = "10m"': f'duration = "{DURATION:.0f}s"',
    "rate = 200": "rate = 100",
    "cost_ms = 2.0": "cost_ms = 0.1\nwait_ms = 1.9",
    'steps = [["2m", 800]]': f'steps = [["{STEP_AT:.0f}s", 600]]',
    'interval = "15s"': 'interval = "5s"',
    'window = "15s"': 'window = "5s"',
    'cooldown = "30s"': 'cooldown = "10s"',
    "max_parallelism = 4": "max_parallelism = 2",
    "max_taskmanagers = 4": "max_taskmanagers = 2",
    'at = "6m"': f'at = "{FAULT_AT:.0f}s"',
    'duration = "60s"': f'duration = "{FAULT_FOR:.0f}s"',
}


def overridden(**more: str) -> str:
    """The experiment file with only what the stand-in needs changed, each change checked to apply once."""
    text = EXPERIMENT.read_text()
    for old, new in {**TESTBED_TIMES, **more}.items():
        assert text.count(old) == 1, f"{old!r} is not once in {EXPERIMENT}"
        text = text.replace(old, new)
    return text


# --- the testbed test_e2e.py's tests share: the Grid5000 fake, the stand-in, one session --------------------------


@dataclass
class Testbed:
    __test__ = False  # not a test class (test_e2e.py imports it): the e2e module's testbed

    standin: K3sStandin
    g5k: FakeGrid5000
    root: Path
    env: dict[str, str]

    @property
    def conf(self) -> Path:
        return self.root / "conf"

    @property
    def config(self) -> Path:
        return self.root / "scaletui.toml"

    @property
    def session_dir(self) -> Path:
        return self.root / "sessions" / SESSION

    @property
    def results(self) -> Path:
        return self.root / "results" / SESSION

    def experiment(self, name: str, text: str) -> Path:
        """Put one experiment in conf/experiments (alone: the TUI's chooser then offers it first)."""
        directory = self.conf / "experiments"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        path = directory / f"{name}.toml"
        path.write_text(text)
        return path

    def kubeconfig(self) -> None:
        """Where the orchestration stage fetches the cluster's kubeconfig: the session's directory."""
        self.session_dir.mkdir(parents=True, exist_ok=True)
        self.standin.kubeconfig(self.session_dir / "kubeconfig")

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-c", LAUNCH, "--config", str(self.config), "--session", SESSION, *args]

    def job(self) -> dict[str, Any]:
        (job,) = self.g5k.jobs.values()
        return job

    def chaos(self) -> list[dict[str, Any]]:
        return [o for o in self.standin.api.all_custom() if o.get("kind", "").endswith("Chaos")]


# --- watching what happens on the testbed while scaletui runs -----------------------------------------------------


@dataclass
class FlinkWatch:
    """Flink's REST API and the TaskManager Deployment seen from the testbed side (not through scaletui), every
    half second: when `expensive` first runs at 2 in a RUNNING job, and the TaskManagers over time (the Deployment's
    replicas, its Ready pods, the TaskManagers registered with the JobManager)."""

    standin: K3sStandin
    expensive_at_2: float | None = None
    """time.time() when Flink first said the job's expensive vertex runs at parallelism 2 (all subtasks RUNNING)."""
    replicas: list[tuple[float, int]] = field(default_factory=list)
    taskmanagers: list[tuple[float, int, int, int]] = field(default_factory=list)
    """(time.time(), replicas, Ready TaskManager pods, registered TaskManagers) at each change."""
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> FlinkWatch:
        self._thread = threading.Thread(target=self._run, name="e2e-flink-watch", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=20)

    def first(self, replicas: int = 2, ready: int = 0, registered: int = 0) -> float | None:
        """When the TaskManagers first reached these counts (time.time()), or None."""
        return next((t for t, r, p, g in self.taskmanagers if r >= replicas and p >= ready and g >= registered), None)

    def _run(self) -> None:
        rest = self.standin.flink.cluster.rest_url
        with httpx.Client(timeout=5) as http:
            while not self._stop.wait(0.5):
                replicas = self.standin.api.replicas("flink-taskmanager")
                if not self.replicas or self.replicas[-1][1] != replicas:
                    self.replicas.append((time.time(), replicas))
                ready = sum(1 for doc in list(self.standin.api.pods.values())
                            if doc["metadata"]["name"].startswith("flink-taskmanager-")
                            and any(c["type"] == "Ready" and c["status"] == "True"
                                    for c in doc["status"].get("conditions", [])))  # fmt: skip
                try:
                    registered = int(http.get(f"{rest}/overview").json()["taskmanagers"])
                except (httpx.HTTPError, KeyError, ValueError):
                    registered = self.taskmanagers[-1][3] if self.taskmanagers else 0
                if not self.taskmanagers or self.taskmanagers[-1][1:] != (replicas, ready, registered):
                    self.taskmanagers.append((time.time(), replicas, ready, registered))
                if self.expensive_at_2 is not None:
                    continue
                try:
                    for job in http.get(f"{rest}/jobs/overview").json()["jobs"]:
                        if job["state"] != "RUNNING":
                            continue
                        for v in http.get(f"{rest}/jobs/{job['jid']}").json()["vertices"]:
                            running = v.get("tasks", {}).get("RUNNING", 0)
                            if v["name"] == "expensive" and v["parallelism"] >= 2 and running >= 2:
                                self.expensive_at_2 = time.time()
                except (httpx.HTTPError, KeyError, ValueError):
                    continue


class Scaletui:
    """`scaletui` as a subprocess, its output lines collected as they come (with when)."""

    def __init__(self, bed: Testbed, *args: str) -> None:
        self.proc = subprocess.Popen(bed.argv(*args), cwd=ROOT, env=bed.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)  # fmt: skip
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, name="e2e-scaletui-out", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.time(), line.rstrip("\n")))

    @property
    def out(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def said(self, pattern: str) -> float | None:
        """When a line matching `pattern` was printed, or None."""
        return next((at for at, line in list(self.lines) if re.search(pattern, line)), None)

    def wait(self, timeout: float) -> int:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise AssertionError(f"scaletui did not end within {timeout:.0f} s:\n{self.out[-4000:]}") from None
        self._reader.join(timeout=10)
        return code

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=20)
        self._reader.join(timeout=10)


def settled(bed: Testbed, timeout: float = 90) -> None:
    """After a run with teardown "stop": no job runs, one TaskManager, no fault enacted, nothing of Chaos Mesh (waited
    for: the last TaskManager pod stops with a grace period, which a loaded machine stretches)."""
    rest = bed.standin.flink.cluster.rest_url
    state: dict[str, Any] = {}

    def quiet() -> bool:
        try:
            jobs = httpx.get(f"{rest}/jobs/overview", timeout=10).json()["jobs"]
        except httpx.HTTPError as e:
            state["jobs"] = repr(e)
            return False
        state.update(replicas=bed.standin.api.replicas("flink-taskmanager"), pods=len(bed.standin.flink.pods),
                     jobs=[j for j in jobs if j["state"] in ("RUNNING", "CREATED", "RESTARTING", "CANCELLING")],
                     chaos=bed.chaos(), faults=bed.standin.fault_leftovers())  # fmt: skip
        return (state["replicas"] == 1 and state["pods"] == 2 and not state["jobs"] and not state["chaos"]
                and not state["faults"])  # fmt: skip

    assert wait_for(quiet, timeout=timeout, interval=0.5), f"not settled within {timeout:.0f} s: {state}"


def fault_active(bed: Testbed) -> bool:
    enacted = list(bed.standin.chaos.enacted.values())
    return bool(bed.chaos()) and bool(enacted) and all(r.enacted_at and not r.error for r in enacted)
