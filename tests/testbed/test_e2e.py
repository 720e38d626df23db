"""The testbed e2e (issue 14). Every window it checks is read from what the run recorded (the step where the rate
service got it, the fault from its `injected` to its `expired` entry in faults.jsonl, the run's end in run.json), and a
fault that fires late or is reverted at the run's end before it expired fails with the scale-up's timeline. The
fault is due at 40 s of a 90 s run, when the scale-up may still be starting its TaskManager pod; every wait has a
deadline. The stand-in raises a starting TaskManager pod's CPU priority until it registers: a testbed pod has its
node's CPUs, a pod here shares two loaded cores with the whole suite. Figures of each part are printed with -s.

The run loop goes on while the autoscaler acts (its actuation runs beside the loop, scaletui/engine/autoscaler.py):
the fault fires when it is due (FAULT_LATE_S) even while the scale-up runs; only the run's end waits for it.

The testbed loop, whole, as a user runs it: conf/experiments/testbed-step-transscale.toml on Grid5000, with the
Kubernetes API, Consul and Grid5000 as loopback fakes with real insides (tests/testbed/standin.py: real Flink
JobManager and TaskManager processes as pods, Chaos Mesh resources enacted as real local faults, Consul coordinates
measured from real agent processes, a real VictoriaMetrics; tests/fakes/g5k.py: the Grid5000 REST API EnosLib and
python-grid5000 talk to).

What differs from a Grid5000 run, and only that, is overridden in a copy of the experiment file: shorter times (a 90 s
run instead of 10 minutes, 80 s in part 3; a lower step a loaded 2-core machine can take), at most 2 TaskManager pods,
and no stages (the stand-in is the cluster the stages would have deployed; its kubeconfig is put where the orchestration
stage fetches it, the session's directory). The platform file is conf/platforms/g5k.toml with one role fewer (the fake's
reference has three paravance nodes), and EnosLib's `sudo-g5k` over SSH is the one step replaced (there are no nodes to
SSH to; tests/platforms/test_g5k_flow.py says the same).

One session for the whole module, as a user's: the first run reserves the Grid5000 job, the others re-attach to it,
and the last test releases it.

1. headless (`scaletui --script`): a load step, Transscale scales up (a second TaskManager pod, `expensive` at 2 in
   Flink's REST API), a NetworkChaos delay created, enacted (the latency matrix rises) and deleted; the results hold
   throughput, latency, the latency matrix and each node's telemetry. Prints the figures.
2. the same through the TUI, by keys only.
3. scaletui killed with SIGKILL while its Chaos Mesh resource is active, then restarted: the resource is deleted, the
   reservation and the deployment re-attached, the killed run's job cancelled; the API server then stops for 20 s
   mid-run, which is said and survived; nothing is left behind.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.chaos.realenv import wait_for
from tests.fakes.g5k import FakeGrid5000
from tests.plugins.flink import flink_cache
from tests.testbed.conftest import root_only
from tests.testbed.standin import K3sStandin

pytestmark = [pytest.mark.flink, pytest.mark.timeout(1200), root_only]

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
STEP_AT, FAULT_AT, FAULT_FOR, DURATION = 15.0, 40.0, 20.0, 90.0
"""The load step, the NetworkChaos delay and the run's length, in seconds from the run's start. The scale-up starts a
few seconds after the step and its TaskManager pod took 15-25 s to register on a loaded 2-core machine, so the fault
is due while it may still run, and the run leaves 30 s after the fault's expiry for the scale-up to have ended and
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


# --- the module's testbed: the Grid5000 fake, the stand-in, one session -------------------------------------------


@dataclass
class Testbed:
    __test__ = False  # not a test class: the module's testbed

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


@pytest.fixture(scope="module")
def testbed(
    standin: K3sStandin, workload_jar_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Testbed]:
    from enoslib.infra.enos_g5k import g5k_api_utils as api
    from enoslib.infra.enos_g5k.provider import G5kBase

    root = tmp_path_factory.mktemp("e2e")
    g5k = FakeGrid5000(polls_until_running=0).start()
    home = root / "home"
    home.mkdir()
    (home / ".python-grid5000.yaml").write_text(g5k.yaml_config())
    (root / "conf" / "platforms").mkdir(parents=True)
    platform = (ROOT / "conf" / "platforms" / "g5k.toml").read_text()
    assert platform.count("producers = 1") == 1
    (root / "conf" / "platforms" / "g5k.toml").write_text(platform.replace("producers = 1", "producers = 0"))
    shutil.copytree(ROOT / "conf" / "strategies", root / "conf" / "strategies")
    (root / "scaletui.toml").write_text(
        f'[paths]\nsessions = "{root / "sessions"}"\nresults = "{root / "results"}"\n'
        f'conf = "{root / "conf"}"\ncache = "{flink_cache()}"\n'
    )
    env = {**os.environ, "HOME": str(home), "USER": g5k.username, "PYTHONUNBUFFERED": "1"}
    env.pop("SCALETUI_SESSION", None)

    def reset() -> None:  # EnosLib keeps one python-grid5000 client per process, and caches lookups
        api._api_client = None
        for value in vars(api).values():
            if hasattr(value, "cache_clear"):
                value.cache_clear()

    with pytest.MonkeyPatch.context() as mp:  # for the TUI's in-process engine
        mp.setenv("HOME", str(home))
        mp.setenv("USER", g5k.username)
        mp.setattr(G5kBase, "grant_root_access", lambda self: None)
        reset()
        bed = Testbed(standin, g5k, root, env)
        bed.kubeconfig()
        try:
            yield bed
        finally:
            reset()
            destroy = subprocess.run(bed.argv("destroy", "--yes"), cwd=ROOT, env=env, capture_output=True,
                                     text=True, timeout=120)  # fmt: skip
            g5k.stop()
    assert destroy.returncode == 0, destroy.stdout + destroy.stderr
    assert all(j["state"] == "error" for j in g5k.jobs.values()), "the Grid5000 job stayed booked"


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


# --- reading a run's results ---------------------------------------------------------------------------------------


def rows(run: Path, name: str) -> list[dict[str, str]]:
    with (run / name).open() as f:
        return list(csv.DictReader(f))


def jsonl(run: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run / name).read_text().splitlines() if line.strip()]


@dataclass
class Figures:
    step_s: float
    decision_s: float
    running_s: float
    flink_s: float | None
    matrix_before: float
    matrix_during: float
    p99_before: float | None
    p99_during: float | None
    injected_s: float
    expired_s: float
    end_s: float
    rescale: str
    """Where the scale-up's time went, from actuations.jsonl and the testbed side."""

    def line(self, face: str) -> str:
        p99 = (f"; p99 end-to-end {self.p99_before:.0f} -> {self.p99_during:.0f} ms"
               if self.p99_before is not None and self.p99_during is not None else "")  # fmt: skip
        flink = f" ({self.flink_s - self.step_s:.1f} s by Flink's REST API)" if self.flink_s is not None else ""
        return (f"E2E TESTBED ({face}): load step at {self.step_s:.1f} s; scale-up decision "
                f"{self.decision_s - self.step_s:.1f} s after it; expensive at 2 running "
                f"{self.running_s - self.step_s:.1f} s after it{flink}; scale-up: {self.rescale}; delay due at "
                f"{FAULT_AT:.0f} s, injected at {self.injected_s:.1f} s, expired at {self.expired_s:.1f} s, run ended "
                f"at {self.end_s:.1f} s; latency matrix (faulted nodes' pairs, median RTT) {self.matrix_before:.1f} "
                f"-> {self.matrix_during:.1f} ms under the NetworkChaos delay{p99}")  # fmt: skip


def rescale_timeline(actuations: list[dict[str, Any]], watch: FlinkWatch, bed: Testbed, origin: float) -> str:
    """Each actuation's issue, in effect and throughput back (the run loop waits for all three), and the new
    TaskManager pod as the testbed saw it (the Deployment at 2 replicas, the process launched, registered with the
    JobManager, the pod Ready), in seconds from the run's start."""

    def t(ts: float | None) -> str:
        return "-" if ts is None else f"{ts - origin:.1f}"

    parts = []
    for a in actuations:
        if a["message"] == "issued":
            continue
        back = a["started"] + a["downtime_s"] if a.get("downtime_s") is not None else None
        parts.append(f"{a['kind']} issued {t(a['started'])}, in effect {t(a.get('ended'))}, throughput back "
                     f"{t(back)} ({a['message']})")  # fmt: skip
    scaled = next((at for at, replicas in watch.replicas if replicas >= 2), None)
    starts = [(at, what) for at, _, what in bed.standin.start_priority if scaled is not None and at >= scaled - 1]
    launched = next((at for at, what in starts if what == "raised"), None)
    registered = next((at for at, what in starts if what == "normal"), None)
    parts.append(f"Deployment at 2 {t(scaled)}, pod 2 launched {t(launched)}, registered {t(registered)}, "
                 f"Ready {t(watch.first(ready=2))}")  # fmt: skip
    return "; ".join(parts)


def check_results(run: Path, watch: FlinkWatch, bed: Testbed) -> Figures:
    """What a complete testbed run leaves: throughput, latency, the decision and the rescale, the fault created,
    enacted and deleted, the latency matrix and every node's telemetry. Every window is the recorded one: the
    step where the rate service got it, the fault from its injection to its expiry, the run to its end."""
    meta = json.loads((run / "run.json").read_text())
    assert meta["status"] == "done", meta
    for name in ("metrics.csv", "latency.csv", "nodes.csv", "node_latency.csv", "decisions.jsonl",
                 "faults.jsonl", "actuations.jsonl", "report.md", "experiment.toml"):  # fmt: skip
        assert (run / name).is_file(), name
    metrics = rows(run, "metrics.csv")
    origin = statistics.median(float(r["ts"]) - float(r["t_s"]) for r in metrics)
    end = meta["ended_at"] - origin
    source = [r for r in metrics if r["operator"] == "source" and r["achieved_rate"] and r["stale"] == "0"]
    low = [float(r["achieved_rate"]) for r in source if 5 <= float(r["t_s"]) < STEP_AT]
    assert low and abs(statistics.median(low) - 100) <= 25, f"throughput before the step: {low}"
    stepped = [r for r in source if float(r["target_rate"] or 0) >= 600]
    assert stepped, "the load step never reached the rate service"
    step = float(stepped[0]["t_s"])
    assert max(float(r["achieved_rate"]) for r in stepped) > 300, "the throughput never rose after the step"

    decisions = jsonl(run, "decisions.jsonl")
    ups = [d for d in decisions if d["applied"] and d["parallelism"].get("expensive", 1) >= 2]
    assert ups, f"no scale-up of expensive: {[d['reason'] for d in decisions]}"
    decision = ups[0]["ts"] - origin - (ups[0]["rescale_s"] or 0)  # the event is published once the rescale ends
    assert decision >= step - 1
    at_2 = [r for r in metrics if r["operator"] == "expensive" and r["parallelism"] == "2" and r["stale"] == "0"]
    assert at_2, "no sample of expensive running at 2"
    running = float(at_2[0]["t_s"])
    actuations = jsonl(run, "actuations.jsonl")
    assert any(a["kind"] == "taskmanagers" and a["after"] == 2 and a["ok"] for a in actuations), actuations
    assert any(a["kind"] == "parallelism" and a["ok"] for a in actuations), actuations
    assert 2 in [r for _, r in watch.replicas], f"the TaskManager Deployment never had 2 replicas: {watch.replicas}"
    assert watch.expensive_at_2 is not None, "Flink's REST API never showed expensive running at 2"
    rescale = rescale_timeline(actuations, watch, bed, origin)

    faults = jsonl(run, "faults.jsonl")
    assert [f["action"] for f in faults][0] == "injected", faults
    injected = faults[0]
    injected_t = injected["ts"] - origin
    over = [f for f in faults if f["fault_id"] == injected["fault_id"] and f["action"] in ("expired", "reverted")]
    assert over and faults[-1] is over[-1], faults
    expired_t = over[0]["ts"] - origin
    assert injected_t <= FAULT_AT + FAULT_LATE_S, (
        f"the delay due at {FAULT_AT:.0f} s was injected at {injected_t:.1f} s: the run loop held it ({rescale})"
    )
    assert over[0]["action"] == "expired", (
        f"the delay injected at {injected_t:.1f} s was reverted at {expired_t:.1f} s by the run's end ({end:.1f} s) "
        f"before it expired ({rescale})"
    )
    faulted = set(injected["targets"])
    assert faulted and all(t.startswith("flink-taskmanager-") for t in faulted), faulted
    enacted = [r for r in bed.standin.chaos.history if r.key.startswith("NetworkChaos/")
               and {t.name for t in r.fault.targets} >= faulted and r.enacted_at]  # fmt: skip
    assert enacted and all(r.lifted_at and not r.error for r in enacted), [(r.key, r.error) for r in enacted]
    assert bed.chaos() == [], "a Chaos Mesh resource was not deleted"

    nodes = rows(run, "nodes.csv")
    assert {"worker-1", "worker-2"} <= {r["node"] for r in nodes}, "no node telemetry from VictoriaMetrics"
    assert any(r["cpu_cores"] and r["memory_bytes"] for r in nodes)
    fault_nodes = {n for n in ("worker-1", "worker-2", "worker-3")
                   if any(r.fault.targets and n in {t.node for t in r.fault.targets} for r in enacted)}  # fmt: skip
    matrix = [r for r in rows(run, "node_latency.csv") if {r["a"], r["b"]} & fault_nodes and r["a"] != r["b"]]

    def median_rtt(lo: float, hi: float) -> float:
        values = [float(r["rtt_ms"]) for r in matrix if lo <= float(r["t_s"]) < hi]
        assert values, f"no latency matrix between {lo:.0f} and {hi:.0f} s (the run ended at {end:.0f} s)"
        return statistics.median(values)

    before = median_rtt(0, injected_t)
    during = median_rtt(injected_t + MATRIX_SETTLE_S, expired_t)
    assert during > before + 25, f"the delay did not show in the latency matrix: {before:.1f} -> {during:.1f} ms"

    latency = [r for r in rows(run, "latency.csv") if r["stat"] == "p99"]
    assert latency, "no end-to-end latency recorded"

    def p99(lo: float, hi: float) -> float | None:
        values = [float(r["latency_ms"]) for r in latency if lo <= float(r["t_s"]) < hi]
        return statistics.median(values) if values else None

    flink_s = watch.expensive_at_2 - origin if watch.expensive_at_2 else None
    return Figures(step, decision, running, flink_s, before, during, p99(injected_t - 15, injected_t),
                   p99(injected_t + 5, expired_t), injected_t, expired_t, end, rescale)  # fmt: skip


def newest_run(bed: Testbed, before: set[Path]) -> Path:
    runs = [p for p in runs_now(bed) if (p / "run.json").is_file() and p not in before]
    assert len(runs) == 1, runs
    return runs[0]


def runs_now(bed: Testbed) -> set[Path]:
    return set(bed.results.iterdir()) if bed.results.is_dir() else set()


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


# --- the tests -----------------------------------------------------------------------------------------------------


def test_headless_step_scale_up_delay_and_results(testbed: Testbed) -> None:
    path = testbed.experiment("testbed-step-transscale", overridden())
    before = runs_now(testbed)
    started = time.monotonic()
    with FlinkWatch(testbed.standin) as watch:
        run = Scaletui(testbed, "--script", str(path))
        code = run.wait(600)
    took = time.monotonic() - started
    assert code == 0, run.out[-5000:]
    assert run.said(r"\[fault \w+\] injected delay") and run.said(r"\[decision transscale\] applied .*expensive=2")
    assert run.said(r"g5k: running, job \d+|Re-attached to g5k \(job \d+"), run.out[-3000:]
    figures = check_results(newest_run(testbed, before), watch, testbed)
    settled(testbed)
    print(f"\n{figures.line('headless')}; the run took {took:.0f} s")


async def test_the_same_through_the_tui_by_keys(testbed: Testbed) -> None:
    from scaletui.config.loader import load_app_config
    from scaletui.engine import Engine
    from scaletui.tui.app import ScaletuiApp
    from scaletui.tui.screens.form import FormScreen
    from scaletui.tui.screens.runs import RunsScreen
    from tests.tui.pilot import wait_for as ui_wait

    testbed.experiment("testbed-step-transscale", overridden())
    before = runs_now(testbed)
    started = time.monotonic()
    engine = Engine(load_app_config(str(testbed.config)), SESSION)
    known = len(engine.store.session.runs)
    try:
        app = ScaletuiApp(engine)
        with FlinkWatch(testbed.standin) as watch:
            async with app.run_test(size=(100, 40)) as pilot:
                await pilot.press("R")
                await ui_wait(pilot, lambda: isinstance(app.screen, RunsScreen), "the runs screen")
                await pilot.press("n")
                await ui_wait(pilot, lambda: isinstance(app.screen, FormScreen), "the experiment chooser")
                await pilot.press("ctrl+s")
                await ui_wait(pilot, lambda: len(engine.store.session.runs) > known, "the run to start", 60)
                await ui_wait(
                    pilot,
                    lambda: (
                        engine.ctx.runs.active is None
                        and engine.store.session.runs
                        and engine.store.session.runs[-1].status != "running"
                    ),
                    "the run to finish",
                    600,
                )
                assert engine.store.session.runs[-1].status == "done", engine.store.session.runs[-1]
    finally:
        engine.close()
    figures = check_results(newest_run(testbed, before), watch, testbed)
    settled(testbed)
    print(f"\n{figures.line('TUI')}; the run took {time.monotonic() - started:.0f} s")


def test_sigkill_mid_fault_then_restart_reattaches_cleans_up_and_survives_an_api_outage(testbed: Testbed) -> None:
    # the fault early (before the step), so scaletui dies while its resource is active and before any rescale; the
    # restarted run's own delay fires on time too, and 80 s leave room for the outage after its expiry (at 28 s) and
    # for fresh samples after the outage
    times = {'at = "6m"': 'at = "8s"', 'duration = "10m"': 'duration = "80s"'}
    path = testbed.experiment("testbed-step-transscale", overridden(**times))
    job = testbed.job() if testbed.g5k.jobs else None
    killed = Scaletui(testbed, "--script", str(path))
    try:
        assert wait_for(lambda: fault_active(testbed), timeout=240), killed.out
    finally:
        killed.kill()
    left = testbed.chaos()
    assert [o["kind"] for o in left] == ["NetworkChaos"], left  # the dead scaletui's resource is still there
    rest = testbed.standin.flink.cluster.rest_url
    orphan = [j["jid"] for j in httpx.get(f"{rest}/jobs/overview").json()["jobs"] if j["state"] == "RUNNING"]
    assert len(orphan) == 1, "the killed run's job should still run"
    job = job or testbed.job()

    before = runs_now(testbed)
    restarted = Scaletui(testbed, "--script", str(path))
    try:
        assert wait_for(lambda: restarted.said(r"Reverted 1 fault\(s\) left by an earlier run"), timeout=60), (
            restarted.out
        )
        assert wait_for(lambda: testbed.chaos() == [], timeout=10)  # deleted before anything else
        assert wait_for(lambda: restarted.said(r"\[run\]"), timeout=240), restarted.out
        # the API server goes away for 20 s mid-run: once the restarted run's own delay has expired (28 s in,
        # the step made and the scale-up on its way)
        assert wait_for(lambda: restarted.said(r"\[fault \w+\] expired delay"), timeout=120), restarted.out
        outage_started = time.time()
        testbed.standin.outage(20)
        outage_ended = time.time()
    except BaseException:
        restarted.proc.kill()
        raise
    code = restarted.wait(600)
    out = restarted.out
    assert code == 0, out[-5000:]
    assert f"Re-attached to g5k (job {job['uid']}" in out, out[:3000]
    assert "Attached to Flink on Kubernetes" in out and f"job scaletui-workload ({orphan[0][:8]}) running" in out, out
    assert f"Cancelled workload job {orphan[0][:8]}" in out, out
    told = restarted.said(r"\[error\] The Kubernetes API server .* does not answer")
    back = restarted.said(r"Reconnected to the Kubernetes API server")
    assert told is not None and outage_started <= told <= outage_ended + 5, out[-4000:]
    assert back is not None and back >= outage_ended, out[-4000:]
    assert sum(1 for _, line in restarted.lines if "does not answer" in line) <= 3, "the outage said over and over"
    run = newest_run(testbed, before)
    assert json.loads((run / "run.json").read_text())["status"] == "done"
    metrics = rows(run, "metrics.csv")
    resumed = [r for r in metrics if float(r["ts"]) > outage_ended + 1 and r["stale"] == "0" and r["records_in_per_s"]]
    assert resumed, "no fresh sample after the API server came back"
    gap = min(float(r["ts"]) for r in resumed) - outage_ended
    settled(testbed)
    assert testbed.job()["state"] == "running" and testbed.job()["uid"] == job["uid"], "one reservation, kept"
    assert killed.proc.returncode == -signal.SIGKILL
    print(f"\nE2E TESTBED (kill -9): restarted scaletui deleted the dead run's NetworkChaos, re-attached to job "
          f"{job['uid']} and Flink; API server away 20 s: said at +{told - outage_started:.1f} s, reconnected "
          f"+{back - outage_ended:.1f} s after it came back, fresh samples {gap:.1f} s after")  # fmt: skip
