"""The testbed e2e (issue 14). Every window it checks is read from what the run recorded (the step where the rate
service got it, the fault from its `injected` to its `expired` entry in faults.jsonl, the run's end in run.json), and a
fault that fires late or is reverted at the run's end before it expired fails with the scale-up's timeline. The
fault is due at 32 s of a 72 s run, when the scale-up may still be starting its TaskManager pod; every wait has a
deadline. The stand-in raises a starting TaskManager pod's CPU priority until it registers: a testbed pod has its
node's CPUs, a pod here shares two loaded cores with the whole suite. Figures of each part are printed with -s.

The run loop goes on while the autoscaler acts (its actuation runs beside the loop, scaletui/engine/autoscaler.py):
the fault fires when it is due (FAULT_LATE_S) even while the scale-up runs; only the run's end waits for it.

The testbed loop, whole, as a user runs it: conf/experiments/testbed-step-transscale.toml on Grid5000, with the
Kubernetes API, Consul and Grid5000 as loopback fakes with real insides (tests/testbed/standin.py: real Flink
JobManager and TaskManager processes as pods, Chaos Mesh resources enacted as real local faults, Consul coordinates
measured from real agent processes, a real VictoriaMetrics; tests/fakes/g5k.py: the Grid5000 REST API EnosLib and
python-grid5000 talk to).

What differs from a Grid5000 run, and only that, is overridden in a copy of the experiment file: shorter times (a 72 s
run instead of 10 minutes, 70 s in part 3; a lower step; the expensive operator's 2 ms per record spent mostly
waiting, `wait_ms`, rather than computing, so a slot saturates at the same rate on a loaded 2-core machine as on a
Grid5000 node's own cores, without taking one of the two), at most 2 TaskManager pods,
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

The three stay in this one module because its module-scoped `testbed` is that one session. What they share is
apart: the experiment, the testbed and its driving in e2e_testbed.py, the checks of a run's records in e2e_results.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.chaos.realenv import wait_for
from tests.fakes.g5k import FakeGrid5000
from tests.plugins.flink import flink_cache
from tests.testbed.conftest import root_only
from tests.testbed.e2e_results import check_results, newest_run, rows, runs_now
from tests.testbed.e2e_testbed import ROOT, SESSION, FlinkWatch, Scaletui, Testbed, fault_active, overridden, settled
from tests.testbed.standin import K3sStandin

pytestmark = [pytest.mark.flink, pytest.mark.timeout(1200), root_only]


# --- the module's testbed: the Grid5000 fake, the stand-in, one session -------------------------------------------


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
    # restarted run's own delay fires on time too, and 70 s leave room for the outage after its expiry (at 24 s) and
    # for fresh samples after the outage
    times = {'at = "6m"': 'at = "8s"', 'duration = "10m"': 'duration = "70s"'}
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
        # the API server goes away for 20 s mid-run: once the restarted run's own delay has expired (24 s in,
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
