"""The scalability benchmark: Theodolite's search strategies on a known demand, and the verb end to end on the
simulator, whose demand must be the oracle's least parallelism (the simulator's own model)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from scaletui.cli import main
from scaletui.cluster.simulator.model import cluster_config
from scaletui.cluster.simulator.oracle import oracle_parallelism
from scaletui.config.loader import load_app_config
from scaletui.engine import Engine
from scaletui.scalability.search import DemandSearch

ROOT = Path(__file__).resolve().parents[2]


def demand_of(load: float) -> int:
    """A monotone demand: one resource per 100 r/s, started."""
    return -(-int(load) // 100)


@pytest.mark.parametrize("kind", ["linear", "binary"])
@pytest.mark.parametrize("restrict", [True, False])
def test_every_search_finds_the_least_resources(kind: str, restrict: bool) -> None:
    asked: list[tuple[float, int]] = []

    def trial(load: float, r: int) -> bool:
        asked.append((load, r))
        return r >= demand_of(load)

    search = DemandSearch(range(1, 11), trial, kind, restrict)  # type: ignore[arg-type]
    loads = [150.0, 420.0, 430.0, 900.0, 1500.0]
    assert search.demand(loads) == {150.0: 2, 420.0: 5, 430.0: 5, 900.0: 9, 1500.0: None}
    assert len(asked) == len(set(asked))  # no trial is run twice


def test_lower_bound_restriction_saves_trials() -> None:
    counts = {}
    for restrict in (True, False):
        n = 0

        def trial(load: float, r: int) -> bool:
            nonlocal n
            n += 1
            return r >= demand_of(load)

        DemandSearch(range(1, 11), trial, "linear", restrict).demand([300.0, 600.0, 900.0])
        counts[restrict] = n
    # linear from 1: 3 + 6 + 9 trials; restricted: 3, then 3..6 (4), then 6..9 (4)
    assert counts == {False: 18, True: 11}


def test_scalability_verb_on_the_simulator_finds_the_oracle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("SCALETUI_HOME", str(tmp_path / "home"))
    experiment = tmp_path / "sim.toml"
    experiment.write_text(
        '[experiment]\nname = "sim-demand"\nplatform = "simulator"\nduration = "2m"\n'
        "[job]\ntaskmanagers = 1\nslots_per_taskmanager = 2\nparallelism = { expensive = 1 }\n"
        '[load]\nprofile = "constant"\nrate = 100\n'
        "[slo]\np99_latency_ms = 1000\nmin_fraction = 0.9\n"
    )
    out = tmp_path / "out"
    args = ["scalability", str(experiment), "--loads", "300,900", "--duration", "60s", "--warmup", "15s"]
    assert main(args + ["--search", "binary", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    config = cluster_config(nodes=4)
    expected = {load: oracle_parallelism(config, load)["expensive"] for load in (300, 900)}  # type: ignore[index]
    rows = list(csv.DictReader((out / "demand.csv").open()))
    assert {float(r["load"]): int(r["parallelism"]) for r in rows} == expected
    assert f"900 r/s: parallelism {expected[900]} of expensive" in printed
    doc = json.loads((out / "demand.json").read_text())
    assert doc["metric"] == "demand" and doc["search"] == "binary" and doc["lower_bound_restriction"]
    trials = list(csv.DictReader((out / "trials.csv").open()))
    assert any(t["held"] == "False" and "backlog grew" in t["why"] for t in trials)
    assert (out / "demand.png").stat().st_size > 5_000
    assert "| 900 |" in (out / "report.md").read_text()
    assert len(list((out / "runs").glob("*/*/metrics.csv"))) == len(trials)  # every trial is an ordinary run
    with Engine(load_app_config(None), None) as engine:
        session = engine.store.session
        assert len(session.runs) == len(trials) and all(r.headless for r in session.runs)
        assert session.strategy.name == "none" and session.job.load_profile == {}, "no trial's load is kept"


def test_an_experiment_without_slo_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("SCALETUI_HOME", str(tmp_path / "home"))
    experiment = tmp_path / "no-slo.toml"
    experiment.write_text(
        '[experiment]\nname = "x"\nplatform = "simulator"\nduration = "1m"\n[load]\nprofile = "constant"\nrate = 1\n'
    )
    assert main(["scalability", str(experiment), "--loads", "300", "--out", str(tmp_path / "o")]) == 2
    assert "has no [slo] table" in capsys.readouterr().err


def test_loads_above_one_nothing_held_are_not_tried_and_say_so() -> None:
    asked: list[tuple[float, int]] = []
    announced: list[float] = []
    skipped: list[tuple[float, float]] = []

    def trial(load: float, r: int) -> bool:
        asked.append((load, r))
        return r >= demand_of(load)

    search = DemandSearch(range(1, 9), trial, "binary", True, announced.append, lambda *x: skipped.append(x))
    assert search.demand([500.0, 900.0, 3000.0, 4000.0]) == {500.0: 5, 900.0: None, 3000.0: None, 4000.0: None}
    assert announced == [500.0, 900.0], "no header for a load that gets no trial"
    assert skipped == [(3000.0, 900.0), (4000.0, 900.0)]
    assert search.untried == {3000.0: 900.0, 4000.0: 900.0}
    assert {load for load, _ in asked} == {500.0, 900.0}


def test_a_load_not_tried_is_not_a_load_not_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Parallelism 2 holds 300 r/s but neither 3000 nor 4000: 3000 is tried and not held, 4000 not tried."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("SCALETUI_HOME", str(tmp_path / "home"))
    out = tmp_path / "out"
    args = ["scalability", "conf/experiments/sim-demand.toml", "--loads", "300,3000,4000", "--search", "binary"]
    assert main(args + ["--max-parallelism", "2", "--duration", "60s", "--warmup", "15s", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "load 4000 r/s: not tried (nothing held at 3000 r/s)" in captured.out.splitlines()
    assert "load 4000 r/s:" not in captured.out.splitlines(), "a header with no trial under it"
    assert "  3000 r/s: not held by any parallelism up to 2" in captured.out
    assert "  4000 r/s: not tried (nothing held at 3000 r/s)" in captured.out
    assert "4000 r/s not tried" in captured.err
    rows = {r["load"]: r for r in csv.DictReader((out / "demand.csv").open())}
    assert [rows[x]["status"] for x in ("300", "3000", "4000")] == ["held", "not held", "not tried"]
    assert rows["4000"]["why"] == "nothing held at 3000 r/s" and rows["3000"]["why"] == ""
    demand = json.loads((out / "demand.json").read_text())["demand"]
    assert [(p["status"], p["nothing_held_at"]) for p in demand][1:] == [("not held", None), ("not tried", 3000.0)]
    report = (out / "report.md").read_text()
    assert "| 3000 | not held up to 2 | - |" in report
    assert "| 4000 | not tried (nothing held at 3000 r/s) | - |" in report
    assert {t["load"] for t in csv.DictReader((out / "trials.csv").open())} == {"300", "3000"}
