"""A short experiment on real local Flink, headless, end to end: a low load is met, a load step makes Transscale
scale the expensive operator up, a TaskManager delay fault is injected and reverted, and the results are complete.

Starts its own cluster through `scaletui --script` (the shared test cluster stays untouched), as a user would. The
step comes after the fault (12-20 s); the run ends 36 s after it: Transscale decides within two 5 s rounds, and a
rescale still running at the end is waited for, so it is recorded whole. The expensive operator's cost is a wait
(`wait_ms`) with little CPU, so a slot saturates at ~500 records/s however busy the machine's cores are, and the step
to 700 is over it on a loaded machine as on a quiet one.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugins.flink import flink_cache

ROOT = Path(__file__).parents[2]
EXPERIMENT = """
[experiment]
name = "e2e-local"
platform = "local"
duration = "60s"
teardown = "stop"

[job]
taskmanagers = 1
slots_per_taskmanager = 4
cost_ms = 0.1
wait_ms = 1.9
window_s = 2.0

[load]
profile = "step"
rate = 100
steps = [["24s", 700]]

[strategy]
name = "transscale"
interval = "5s"
window = "5s"
cooldown = "10s"
max_parallelism = 4
max_taskmanagers = 1
max_slots = 4

[[faults]]
at = "12s"
kind = "delay"
duration = "8s"
targets = ["role:taskmanager"]
params = { latency_ms = 20 }
"""


@pytest.mark.flink
@pytest.mark.timeout(900)
def test_local_experiment_end_to_end(tmp_path: Path) -> None:
    exp = tmp_path / "e2e-local.toml"
    exp.write_text(EXPERIMENT)
    env = {**os.environ, "SCALETUI_SESSION": "e2e-test"}
    env["SCALETUI_CONFIG"] = str(tmp_path / "scaletui.toml")
    (tmp_path / "scaletui.toml").write_text(
        f'[paths]\nsessions = "{tmp_path / "sessions"}"\nresults = "{tmp_path / "results"}"\n'
        f'conf = "{ROOT / "conf"}"\ncache = "{flink_cache()}"\n'
    )
    out = subprocess.run(
        [sys.executable, "-m", "scaletui", "--script", str(exp)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=800,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    (run,) = [p for p in (tmp_path / "results" / "e2e-test").iterdir() if (p / "run.json").is_file()]
    assert json.loads((run / "run.json").read_text())["status"] == "done"
    for name in ("metrics.csv", "metrics.parquet", "decisions.jsonl", "faults.jsonl", "report.md", "versions.json"):
        assert (run / name).is_file(), name
    rows = [r for r in csv.DictReader((run / "metrics.csv").open()) if r["operator"] == "source"]
    low = [r for r in rows if 4 <= float(r["t_s"]) <= 11 and r["achieved_rate"]]  # before the fault at 12 s
    assert low, f"no source rate measured between 4 s and the fault at 12 s: {[r['t_s'] for r in rows][:20]}"
    achieved = sum(float(r["achieved_rate"]) for r in low) / len(low)
    assert abs(achieved - 100) <= 10, f"achieved {achieved:.1f}/s at a target of 100/s"
    decisions = [json.loads(line) for line in (run / "decisions.jsonl").read_text().splitlines()]
    ups = [d for d in decisions if d["applied"] and d["parallelism"].get("expensive", 1) > 1]
    assert ups, f"no scale-up of expensive after the step: {[d['reason'] for d in decisions]}"
    actions = [json.loads(line)["action"] for line in (run / "faults.jsonl").read_text().splitlines()]
    assert actions[0] == "injected" and actions[-1] in ("expired", "reverted")
    session = (tmp_path / "sessions" / "e2e-test" / "session.toml").read_text()
    assert "[[faults]]" not in session and 'status = "done"' in session
