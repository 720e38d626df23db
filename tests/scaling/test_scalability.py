"""The scalability benchmark: Theodolite's search strategies on a known demand, and the verb end to end on the
simulator, whose demand must be the oracle's least parallelism (the simulator's own model)."""

from __future__ import annotations

import csv
import io
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scaletui.cli import main
from scaletui.cluster.simulator.model import cluster_config
from scaletui.cluster.simulator.oracle import oracle_parallelism
from scaletui.config.loader import load_app_config
from scaletui.engine import Engine
from scaletui.events import Progress
from scaletui.headless.live_line import LiveLine
from scaletui.scalability.progress import BenchmarkPrinter, TrialStart
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


@pytest.mark.parametrize(
    "extra",
    [["--duration", "0s"], ["--max-parallelism", "0"], ["--out", "{used}"]],
    ids=["duration-0", "max-parallelism-0", "used-out"],
)
def test_settings_that_would_be_ignored_or_mix_results_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    """Review 34 F21: `--duration 0s` ran the experiment's 120 s, `--max-parallelism 0` searched 1 to 8, and a reused
    --out kept the earlier benchmark's trials beside a report of the new loads only."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("SCALETUI_HOME", str(tmp_path / "home"))
    used = tmp_path / "used"
    used.mkdir()
    (used / "demand.csv").write_text("load,parallelism\n900,4\n")
    argv = ["scalability", "conf/experiments/sim-demand.toml", "--loads", "300"]
    argv += [arg.format(used=used) for arg in extra]
    if "--out" not in extra:
        argv += ["--out", str(tmp_path / "fresh")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert ("is not empty" in err) if "--out" in extra else ("expected a duration above 0" in err), err
    assert not (tmp_path / "fresh").exists() and [p.name for p in used.iterdir()] == ["demand.csv"]


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
    assert main(args + ["--max-parallelism", "2", "--duration", "60s", "--warmup", "15s", "--out", str(out)]) == 5
    captured = capsys.readouterr()
    assert "load 4000 r/s: not tried (nothing held at 3000 r/s)" in captured.out.splitlines()
    assert "load 4000 r/s:" not in captured.out.splitlines(), "a header with no trial under it"
    assert "  3000 r/s: not held by any parallelism up to 2" in captured.out
    assert "  4000 r/s: not tried (nothing held at 3000 r/s)" in captured.out
    assert captured.err == "", "a load not held is a result, not a fatal error"
    assert (
        "not held: no parallelism up to 2 held the SLO at 3000 r/s; 4000 r/s not tried, since demand never falls as "
        "load grows." in captured.out.splitlines()
    )
    rows = {r["load"]: r for r in csv.DictReader((out / "demand.csv").open())}
    assert [rows[x]["status"] for x in ("300", "3000", "4000")] == ["held", "not held", "not tried"]
    assert rows["4000"]["why"] == "nothing held at 3000 r/s" and rows["3000"]["why"] == ""
    demand = json.loads((out / "demand.json").read_text())["demand"]
    assert [(p["status"], p["nothing_held_at"]) for p in demand][1:] == [("not held", None), ("not tried", 3000.0)]
    report = (out / "report.md").read_text()
    assert "| 3000 | not held up to 2 | - |" in report
    assert "| 4000 | not tried (nothing held at 3000 r/s) | - |" in report
    assert {t["load"] for t in csv.DictReader((out / "trials.csv").open())} == {"300", "3000"}


def test_the_verbs_help_names_its_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["scalability", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert "5 (SLO check failed) some load was not held by any parallelism tried" in said
    assert "130 interrupted (Ctrl-C or SIGTERM)" in said


def test_the_verbs_help_gives_the_defaults_the_doc_states(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/scalability.md gives --warmup's 30 s and --min-throughput's 0.95; --help gave neither (review 38 F10)."""
    doc = " ".join((Path(__file__).parents[2] / "docs" / "scalability.md").read_text().split())
    assert "after `--warmup` (default 30 s)" in doc and "`--min-throughput` of the target (default 0.95)" in doc
    with pytest.raises(SystemExit):
        main(["scalability", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert "rate checks (default 30s)" in said and "a trial needs (default 0.95)" in said


@pytest.mark.parametrize("kind", ["linear", "binary"])
@pytest.mark.parametrize("restrict", [True, False])
def test_trials_left_bounds_the_trials_still_to_run(kind: str, restrict: bool) -> None:
    said: list[int] = []

    def trial(load: float, r: int) -> bool:
        said.append(search.trials_left())
        return r >= demand_of(load)

    search = DemandSearch(range(1, 9), trial, kind, restrict)  # type: ignore[arg-type]
    search.demand([150.0, 420.0, 700.0, 900.0])
    assert all(bound >= len(said) - i for i, bound in enumerate(said)), said


def test_an_interrupted_search_keeps_what_its_trials_showed() -> None:
    """Review 34 F1: binary search at 300 r/s, parallelism 4 then 2 hold, the third trial (1) is interrupted."""

    class Stop(Exception):
        pass

    asked: list[tuple[float, int]] = []

    def trial(load: float, r: int) -> bool:
        asked.append((load, r))
        if len(asked) == 3:
            raise Stop
        return r >= 2  # the simulator's demand at 300 r/s

    search = DemandSearch(range(1, 9), trial, "binary", True)
    with pytest.raises(Stop):
        search.demand([300.0, 600.0, 900.0, 1200.0])
    assert asked == [(300.0, 4), (300.0, 2), (300.0, 1)]
    assert search.current == 300.0 and search.found == {}
    assert search.bounds(300.0) == (None, 2)


def test_trial_progress_redraws_in_place_on_a_tty_and_is_sparse_when_piped() -> None:
    """Review 34 F2: a trial showed nothing until its verdict."""
    start = TrialStart(300.0, 2, 1, 3, 7, 3600.0)
    for tty in (True, False):
        stream = io.StringIO()
        printer = BenchmarkPrinter(stream, tty)
        printer("load 300 r/s:")
        printer.trial(start)
        for i in range(1, 20):  # the run step says how far it is every 5 %
            printer.on_progress(Progress(source="experiment", step="run", fraction=i / 20))
        printer("  load 300 r/s, parallelism 2 (1 TM): holds [17 s]")
        printer.close()
        text = stream.getvalue()
        assert "  parallelism 2 (1 TM):  40% 1440/3600 s, trial 3 of at most 7" in text
        if tty:
            assert "  parallelism 2 (1 TM):  45% 1620/3600 s, trial 3 of at most 7" in text
            assert text.count("\r\x1b[2K") == 20, "each update replaces the one before"
            assert text.endswith("\r\x1b[2K  load 300 r/s, parallelism 2 (1 TM): holds [17 s]\n")
        else:
            assert "\r" not in text
            lines = text.splitlines()
            assert lines[1] == "  parallelism 2 (1 TM): started, trial 3 of at most 7"
            assert len(lines) == 1 + 1 + 9 + 1, "one line per tenth of the trial"


def test_a_trial_says_each_step_of_its_setup_before_the_run() -> None:
    """Review 37 F5: on local Flink a trial said `started`, then nothing for 2 minutes while the cluster started."""
    start = TrialStart(100.0, 1, 1, 1, 4, 40.0)
    stream = io.StringIO()
    printer = BenchmarkPrinter(stream, tty=False)
    printer.trial(start)
    printer.on_progress(Progress(source="experiment", step="load", message="load profile constant"))
    steps = ((0.0, "starting the JobManager"), (0.5, "waiting for TaskManagers to register"))
    for fraction, message in (*steps, (0.6, "waiting for TaskManagers to register")):
        printer.on_progress(Progress(source="cluster", step="start Flink", fraction=fraction, message=message))
    printer.on_progress(Progress(source="experiment", step="run", fraction=0.5))
    printer.on_progress(Progress(source="cluster", step="rescale", message="expensive 1 -> 2"))
    printer.close()
    assert stream.getvalue().splitlines() == [
        "  parallelism 1 (1 TM): started, trial 1 of at most 4",
        "  parallelism 1 (1 TM): start Flink   0% starting the JobManager, trial 1 of at most 4",
        "  parallelism 1 (1 TM): start Flink  50% waiting for TaskManagers to register, trial 1 of at most 4",
        "  parallelism 1 (1 TM):  50% 20/40 s, trial 1 of at most 4",
    ]


def test_a_piped_trial_says_a_long_setup_step_a_tenth_at_a_time() -> None:
    """Review 38 F4: piped, each new message of a setup step got a line, and the first trial's Flink download says
    one every MiB (the unpack one every 20 files): hundreds of lines before `start Flink`."""
    stream = io.StringIO()
    printer = BenchmarkPrinter(stream, tty=False)
    printer.trial(TrialStart(100.0, 1, 1, 1, 4, 40.0))
    for mib in range(351):
        message = f"apache_flink_libraries.whl: {mib} of 350 MiB"
        printer.on_progress(
            Progress(source="flink.install", step="download Flink", fraction=mib / 350, message=message)
        )
    printer.on_progress(Progress(source="cluster", step="start Flink", fraction=0.0, message="starting the JobManager"))
    printer.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 + 11 + 1, lines
    assert lines[1].endswith("download Flink   0% apache_flink_libraries.whl: 0 of 350 MiB, trial 1 of at most 4")
    assert "download Flink 100% apache_flink_libraries.whl: 350 of 350 MiB" in lines[-2]
    assert "start Flink   0% starting the JobManager" in lines[-1]


def test_a_live_line_is_cut_to_the_terminal_width() -> None:
    """Review 38 F5: a trial's setup line (`start Flink  50% waiting for TaskManagers to register, ...`) is wider
    than 80 columns; wrapped, the erase before each redraw cleared only its last row, and every step left its first
    row on screen. A live line is cut to the terminal's width, less the last column; a printed line stays whole."""
    stream = io.StringIO()
    out = LiveLine(stream, tty=True, columns=lambda: 80)
    start = TrialStart(100.0, 2, 1, 3, 7, 40.0)
    doing = "start Flink  50% waiting for TaskManagers to register"
    out.write(start.line(doing=doing), live=True)
    out.write(start.line(0.5), live=True)
    out.write("a printed line " * 8)
    drawn = stream.getvalue().split("\r\x1b[2K")
    assert drawn[0] == start.line(doing=doing)[:79] and len(drawn[0]) == 79
    assert drawn[1] == start.line(0.5), "a line that fits is drawn whole"
    assert drawn[2] == "a printed line " * 8 + "\n"


def read_until(proc: subprocess.Popen[bytes], marker: str, seconds: float) -> str:
    """What the child printed until `marker` (fails after `seconds` or if the child ends first)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + seconds
    seen = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while marker.encode() not in seen:
            left = deadline - time.monotonic()
            assert left > 0, f"no {marker!r} in {seconds:g} s: {seen.decode()}"
            if sel.select(left):
                chunk = os.read(proc.stdout.fileno(), 65536)
                assert chunk, f"the benchmark ended before {marker!r}: {seen.decode()}"
                seen += chunk
    return seen.decode()


def test_ctrl_c_exits_130_and_keeps_what_the_trials_showed(tmp_path: Path) -> None:
    """Review 34 F1: Ctrl-C in the third trial exited 1 with an empty demand table; it exits 130, says where the
    results are, and report.md, demand.csv/json and demand.png keep 300 r/s at most 2 and the loads not tried."""
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "scaletui", "scalability", "conf/experiments/sim-demand.toml"]
    argv += ["--loads", "300,600,900,1200", "--duration", "20m", "--search", "binary", "--out", str(out)]
    env = {**os.environ, "SCALETUI_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        printed = read_until(proc, "started, trial 3 of", 300)
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    printed += rest.decode()
    assert proc.returncode == 130, err.decode()
    assert any(
        x.startswith("  parallelism 4 (2 TM):  50% ") and x.endswith("/1200 s, trial 1 of at most 16")
        for x in printed.splitlines()
    ), "the first trial's progress"
    assert "  300 r/s: at most 2 (search interrupted)" in printed.splitlines()
    assert "  600 r/s: not tried (the benchmark was interrupted first)" in printed.splitlines()
    assert (
        f"scaletui: Interrupted at load 300 r/s, parallelism 1 (trial 3); loads 600, 900, 1200 r/s not tried. "
        f"Partial results are in {out}." in err.decode().splitlines()
    )
    report = (out / "report.md").read_text()
    assert "**Interrupted at load 300 r/s, parallelism 1 (trial 3)**" in report
    assert "loads 600, 900, 1200 r/s not tried" in report
    assert "| 300 | at most 2 (search interrupted) | at most 1 |" in report
    assert "| 1200 | not tried (the benchmark was interrupted first) | - |" in report
    rows = list(csv.DictReader((out / "demand.csv").open()))
    assert [(r["load"], r["parallelism"], r["status"], r["at_most"]) for r in rows] == [
        ("300", "", "interrupted", "2"),
        ("600", "", "not tried", ""),
        ("900", "", "not tried", ""),
        ("1200", "", "not tried", ""),
    ]
    doc = json.loads((out / "demand.json").read_text())
    assert doc["interrupted"] == {"load": 300.0, "parallelism": 1, "trial": 3}
    assert doc["demand"][0]["at_most"] == 2
    assert (out / "demand.png").stat().st_size > 5_000
    assert [t["parallelism"] for t in csv.DictReader((out / "trials.csv").open())] == ["4", "2"]


def test_answers_count_taskmanagers_and_slots_in_words() -> None:
    """Review 34 F25: `1 TaskManager(s) of 2 slots` reads `1 TaskManager of 2 slots`, and two are `TaskManagers`."""
    from scaletui.scalability.report import ScalabilityResult, demand_points

    def result(slots: int) -> ScalabilityResult:
        points = demand_points({300.0: 1, 900.0: 4}, slots)
        return ScalabilityResult("sim-demand", "simulator", "binary", True, ("expensive",), slots, 8, points, ())

    assert result(2).answer(300.0) == "300 r/s: parallelism 1 of expensive (1 TaskManager of 2 slots)"
    assert result(2).answer(900.0) == "900 r/s: parallelism 4 of expensive (2 TaskManagers of 2 slots)"
    assert result(1).answer(300.0) == "300 r/s: parallelism 1 of expensive (1 TaskManager of 1 slot)"
