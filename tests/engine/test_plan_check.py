"""An experiment's steps are checked when the file is prepared: a timeline mistake that would only show minutes into
the run (an unknown strategy, operator, fault or load, a step the platform cannot do) stops it at once, exit code 2,
naming the entry, its line and its time, before a run is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaletui.config.models import JobSpec, PlatformFile
from scaletui.engine.plan_check import job_operators
from scaletui.engine.prepare import prepare_experiment
from scaletui.errors import ConfigError
from scaletui.events import EventBus
from scaletui.workload.profiles import ConstantProfile

ROOT = Path(__file__).parents[2]
CONF = ROOT / "conf"
SHIPPED = CONF / "experiments" / "sim-timeline.toml"
OPERATORS = "source, parse, expensive, window, sink"


def variant(tmp_path: Path, old: str, new: str, text: str | None = None) -> Path:
    """sim-timeline.toml (or `text`) with one piece changed, as the reviewer's `sed` made them."""
    text = text if text is not None else SHIPPED.read_text()
    assert text.count(old) == 1, old
    path = tmp_path / "exp.toml"
    path.write_text(text.replace(old, new))
    return path


def refusal(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        prepare_experiment(path, CONF)
    assert info.value.exit_code == 2
    return info.value


def line_of(path: Path, text: str) -> int:
    return path.read_text().splitlines().index(text) + 1


def test_an_unknown_strategy_in_the_timeline_is_refused_naming_the_entry_and_the_strategies(tmp_path: Path) -> None:
    path = variant(tmp_path, 'name = "ds2"', 'name = "dss2"')
    err = refusal(path)
    line = line_of(path, 'name = "dss2"')
    assert err.message == (
        f'{path}, line {line}: timeline[0] (at 30s): name = "dss2" is not a strategy; expected none or one of '
        "transscale, predictive, ds2, flink-operator, slo-thesis, threshold, schedule."
    )
    assert "[strategy] table" not in str(err) and "timeline[0] is [[timeline]] number 1" in err.hint


def test_a_timeline_strategy_is_built_as_the_run_builds_it(tmp_path: Path) -> None:
    """The run gives a strategy chosen later the [strategy] table's params: ones it does not take fail now."""
    path = variant(tmp_path, "max_slots = 8\n", "max_slots = 8\nparams = { lookahead = 3 }\n")
    err = refusal(path)
    assert "timeline[0] (at 30s): strategy ds2:" in err.message and "lookahead" in err.message


def test_a_timeline_strategy_step_takes_its_own_parameters(tmp_path: Path) -> None:
    """`:strategy ds2 target_utilisation=0.8` is recorded as a step with params; a file holding one prepares, and a
    parameter the strategy does not take is refused as the [strategy] table's are."""
    assert prepare_experiment(SHIPPED, CONF).experiment.timeline[0].params == {"memory": "10m"}  # type: ignore[union-attr]
    bad = variant(tmp_path, 'params = { memory = "10m" }', "params = { lookahead = 3 }")
    assert "strategy ds2:" in refusal(bad).message and "lookahead" in refusal(bad).message


def test_a_rescale_above_max_parallelism_is_refused_at_load(tmp_path: Path) -> None:
    """It failed when the step ran, after the run had recorded minutes of data."""
    path = variant(tmp_path, "parallelism = 3", "parallelism = 400")
    err = refusal(path)
    line = line_of(path, "parallelism = 400")
    assert err.message.startswith(f"{path}, line {line}: timeline[2] (at 8m): parallelism = 400 is above ")
    assert "Lower it to" in err.hint


def test_a_rescale_of_an_unknown_operator_is_refused_with_the_jobs_operators(tmp_path: Path) -> None:
    path = variant(tmp_path, 'operator = "expensive"', 'operator = "expensiv"')
    err = refusal(path)
    line = line_of(path, 'operator = "expensiv"')
    assert err.message == (
        f'{path}, line {line}: timeline[2] (at 8m): operator = "expensiv" is not an operator of the job; '
        f"its operators are {OPERATORS}."
    )
    assert "Pods pane" not in str(err)


def test_an_unknown_operator_in_the_jobs_parallelism_is_refused(tmp_path: Path) -> None:
    path = variant(tmp_path, "cost_ms = 2.0\n", "cost_ms = 2.0\nparallelism = { expensiv = 2 }\n")
    assert refusal(path).message == (
        f"{path}: key job.parallelism.expensiv names no operator of the job; its operators are {OPERATORS}."
    )


def test_the_operators_are_known_for_the_workload_job_only() -> None:
    """The simulator models the workload job; a testbed's application job is known once it runs (the run loop
    checks a rescale of it then, before pausing the autoscaler)."""
    from scaletui.cluster.simulator.model import default_job
    from scaletui.flink.job_submit import OPERATORS as WORKLOAD

    assert job_operators("simulator", JobSpec()) == tuple(op.name for op in default_job()) == WORKLOAD
    assert job_operators("local", JobSpec()) == WORKLOAD
    assert job_operators("Grid5000", JobSpec(source="application")) is None


FAULT_STEP = '[[timeline]]\nat = "2m"\ndo = "fault"\nkind = "delay"\nduration = "30s"\nparams = { latency_ms = 50 }\n'
FAULT_TABLE = '[[faults]]\nat = "2m"\nkind = "delay"\nduration = "30s"\nparams = { latency_ms = 50 }\n'


@pytest.mark.parametrize(
    ("added", "entry", "line_text"),
    [
        (FAULT_STEP, "timeline[6] (at 2m): a fault step", 'do = "fault"'),
        (FAULT_TABLE, "faults[0] (at 2m): a fault", "[[faults]]"),
    ],
    ids=["timeline", "faults"],
)
def test_a_fault_on_the_simulator_is_a_configuration_error_before_the_run(
    tmp_path: Path, added: str, entry: str, line_text: str
) -> None:
    path = tmp_path / "exp.toml"
    path.write_text(SHIPPED.read_text() + "\n" + added)
    err = refusal(path)
    assert err.message == (
        f"{path}, line {line_of(path, line_text)}: {entry} needs fault injection, which the simulator platform lacks."
    )
    assert err.hint.startswith("Remove it, or run the experiment on the local platform or a testbed.")


def test_the_simulators_known_parts_are_those_its_set_opens_with() -> None:
    """plan_check trusts simulator_set.PARTS; this keeps it true to what open_simulator builds."""
    from scaletui.engine.simulator_set import PARTS, open_simulator

    platform = PlatformFile.model_validate({"platform": {"name": "simulator", "type": "simulator"}})
    caps = open_simulator(platform, JobSpec(), ConstantProfile(100.0), EventBus(), realtime=False)
    try:
        parts = ("actuation", "job", "load", "latency", "faults")
        assert {p for p in parts if caps.has(p)} == PARTS  # type: ignore[arg-type]
    finally:
        caps.close(stop_cluster=True)


LOCAL = SHIPPED.read_text().replace('platform = "simulator"', 'platform = "local"')


def test_bad_fault_parameters_in_a_timeline_step_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "exp.toml"
    path.write_text(LOCAL + "\n" + FAULT_STEP.replace("latency_ms", "latency"))
    err = refusal(path)
    line = line_of(path, "params = { latency = 50 }")
    expected = f"line {line}: timeline[6] (at 2m): key params.latency: not a parameter of the delay fault."
    assert expected in err.message


def test_a_bad_load_profile_in_a_timeline_step_is_refused(tmp_path: Path) -> None:
    path = variant(tmp_path, 'profile = "step"', 'profile = "stairs"', LOCAL)
    err = refusal(path)
    assert "timeline[1] (at 3m): " in err.message and "stairs" in err.message


def test_the_shipped_experiments_prepare() -> None:
    for path in sorted((CONF / "experiments").glob("*.toml")):
        assert prepare_experiment(path, CONF).name, path


def test_a_strategys_own_params_do_not_follow_a_switch_to_another() -> None:
    """A restarted live cluster restores ds2 with target_utilisation=0.8; choosing threshold then failed on ds2's
    parameter. The [strategy] table's params go to its own strategy, or to any when it names none."""
    from scaletui.config.models import StrategySpec

    tuned = StrategySpec(name="ds2", params={"target_utilisation": 0.8})
    assert tuned.params_for("ds2") == {"target_utilisation": 0.8} and tuned.params_for("threshold") == {}
    assert StrategySpec(name="none", params={"headroom": 0.2}).params_for("transscale") == {"headroom": 0.2}


def with_job(tmp_path: Path, job: str, text: str | None = None) -> Path:
    """sim-timeline.toml (or `text`) whose [job] table is `job`."""
    return variant(tmp_path, "taskmanagers = 2\nslots_per_taskmanager = 2\n", job, text)


def test_a_parallelism_above_max_parallelism_is_refused(tmp_path: Path) -> None:
    """It ran at 2 with exit code 0: the simulator (like Flink) cut it down and nothing said so."""
    path = with_job(tmp_path, "taskmanagers = 16\nparallelism = { expensive = 40 }\nmax_parallelism = 32\n")
    err = refusal(path)
    assert err.message == (
        f"{path}: key job.parallelism.expensive = 40 is above job.max_parallelism = 32, the most any operator can have."
    )
    assert err.hint == "Lower it to 32 or less, or raise job.max_parallelism."


@pytest.mark.parametrize("platform", ["simulator", "local"])
def test_a_parallelism_above_the_starting_slots_is_refused_with_what_to_change(tmp_path: Path, platform: str) -> None:
    text = SHIPPED.read_text().replace('platform = "simulator"', f'platform = "{platform}"')
    path = with_job(tmp_path, "taskmanagers = 1\nparallelism = { expensive = 6, parse = 2 }\n", text)
    err = refusal(path)
    assert err.message == (
        f"{path}: key job.parallelism.expensive = 6 needs 6 task slots, but the job starts with 2 "
        "(job.taskmanagers = 1 x job.slots_per_taskmanager = 2); it would run at 2."
    )
    assert err.hint == (
        "Raise job.taskmanagers or job.slots_per_taskmanager so that they give 6 slots, "
        "or lower job.parallelism.expensive to 2."
    )


def test_the_simulators_nodes_cap_its_taskmanagers_in_the_slot_count(tmp_path: Path) -> None:
    path = with_job(tmp_path, "taskmanagers = 8\nparallelism = { expensive = 10 }\n")
    err = refusal(path)
    assert "starts with 8 (job.taskmanagers = 4, capped by platform simulator's settings.nodes = 4 x" in err.message


def test_a_parallelism_the_slots_hold_prepares(tmp_path: Path) -> None:
    path = with_job(tmp_path, "taskmanagers = 2\nparallelism = { expensive = 4 }\nmax_parallelism = 4\n")
    assert prepare_experiment(path, CONF).experiment.job.parallelism == {"expensive": 4}


def test_a_local_platforms_own_slots_count_and_a_testbeds_are_not_known() -> None:
    from scaletui.engine.plan_check import starting_slots

    job = JobSpec(taskmanagers=2, slots_per_taskmanager=2)
    local = PlatformFile.model_validate(
        {"platform": {"name": "mine", "type": "local"}, "settings": {"flink": {"slots_per_taskmanager": 4}}}
    )
    assert starting_slots(job, local) == (
        8,
        "job.taskmanagers = 2 x platform mine's settings.flink.slots_per_taskmanager = 4",
        "job.taskmanagers",
    )
    g5k = PlatformFile.model_validate({"platform": {"name": "g5k", "type": "Grid5000"}})
    assert starting_slots(job, g5k) is None


def test_a_script_on_the_simulator_with_a_clamped_parallelism_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from scaletui.cli import main

    monkeypatch.setenv("SCALETUI_HOME", str(tmp_path))
    path = with_job(tmp_path, "taskmanagers = 1\nparallelism = { expensive = 6 }\n")
    assert main(["--session", "clamped", "--script", str(path), "--out", str(tmp_path / "results")]) == 2
    assert "key job.parallelism.expensive = 6 needs 6 task slots" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


def test_a_local_fault_this_machine_would_not_apply_is_refused_at_load(tmp_path: Path) -> None:
    """Local loss drops packets independently and ignores a correlation: the run found out when the fault was due (an
    hour into a long run), now the file is refused when loaded. The shipped delay fault still loads."""
    local = CONF / "experiments" / "local-step-transscale.toml"
    prepare_experiment(local, CONF)
    old = 'kind = "delay"'
    path = variant(tmp_path, old, 'kind = "loss"', text=local.read_text().replace(
        "params = { latency_ms = 50, jitter_ms = 5 }", "params = { percent = 10, correlation = 50 }"))  # fmt: skip
    err = refusal(path)
    assert "faults[0]" in err.message and "does not apply correlation" in err.message, err.message
    assert "Leave correlation out" in err.hint
