"""THE KILL TEST (root): a real fault-injecting process (kill_driver.py) is sent SIGKILL at random moments while
local faults (tc, iptables, NFQUEUE delay queue, SIGSTOP, stress-ng) and Chaos Mesh faults (on an HTTP-level fake
Kubernetes API server on 127.0.0.1 serving real Kubernetes JSON) are active; after each kill a fresh process runs
recovery, and nothing may be left: no qdisc, iptables rule, namespace, stopped process, fault process or chaos
resource. Prints the figures."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scaletui.chaos import procs
from scaletui.session.store import SessionStore
from tests.chaos.conftest import root_only
from tests.chaos.realenv import leaks, new_sandbox, start_echo
from tests.fakes.k8s import FakeKubernetes

KILL_POINTS = int(os.environ.get("SCALETUI_KILL_POINTS", "20"))
ROOT = Path(__file__).resolve().parents[2]


def netns_names() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


@root_only
@pytest.mark.timeout(600)
def test_sigkill_at_random_moments_leaves_nothing(tmp_path: Path) -> None:
    fake = FakeKubernetes().start()
    sandbox = new_sandbox()
    echo = start_echo(sandbox)
    namespaces_before = netns_names()
    kubeconfig = fake.kubeconfig(tmp_path / "kubeconfig")
    argv = [
        sys.executable,
        "-m",
        "tests.chaos.kill_driver",
        "--session",
        str(tmp_path / "session"),
        "--pid",
        str(echo.process.pid),
        "--address",
        echo.instance.address,
        "--kubeconfig",
        kubeconfig,
    ]
    rng = random.Random(int(os.environ.get("SCALETUI_KILL_SEED", str(time.time_ns()))))
    rows = []
    try:
        for point in range(KILL_POINTS):
            driver = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
            assert driver.stdout is not None
            fired = 0
            for line in driver.stdout:  # wait for the first fault, then kill at a random moment
                fired += json.loads(line)["step"] == "fired"
                if fired:
                    break
            time.sleep(rng.uniform(0.0, 1.2))
            driver.send_signal(signal.SIGKILL)
            driver.wait(timeout=10)
            active = len(SessionStore.open(tmp_path / "session").session.faults)
            resources = len(fake.all_custom())
            recovery = subprocess.run(
                [*argv, "--recover-only"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
            )
            cleaned = json.loads(recovery.stdout.splitlines()[-1])
            left = leaks(sandbox, [echo.process.pid]) + [
                f"chaos resource {o['metadata']['name']}" for o in fake.all_custom()
            ]
            left += [f"namespace {n}" for n in netns_names() - namespaces_before]
            rows.append(
                {
                    "point": point,
                    "active_at_kill": active,
                    "chaos_resources_at_kill": resources,
                    "cleaned": cleaned["cleaned"],
                    "ledger_left": cleaned["left"],
                    "leaks": left,
                }
            )
            assert echo.process.poll() is None and procs.run_state(echo.process.pid) != "T"
    finally:
        echo.stop()
        sandbox.delete()
        fake.stop()
    total_leaks = sum(len(r["leaks"]) for r in rows)
    print(
        f"\nKILL TEST: {len(rows)} kill points, {sum(r['active_at_kill'] for r in rows)} faults active at the kills "
        f"({sum(r['chaos_resources_at_kill'] for r in rows)} Chaos Mesh resources), "
        f"{sum(r['cleaned'] for r in rows)} cleaned by recovery, {total_leaks} left behind"
    )
    # Faults expire (0.3-3 s) and are reverted at random, so one kill point may find none active; most must have some
    # or the test proves nothing.
    assert sum(r["active_at_kill"] > 0 for r in rows) >= len(rows) // 2, rows
    assert total_leaks == 0, [r for r in rows if r["leaks"]]
    assert all(r["ledger_left"] == 0 for r in rows)
    assert len(rows) >= 20 or KILL_POINTS < 20
