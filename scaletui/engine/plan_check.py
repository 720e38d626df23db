"""Check an experiment's steps against what is known before the run: a mistake found here exits 2 with one sentence
naming the entry, its line and its time, before a run is recorded, a cluster starts or the autoscaler is touched.

Known before the run: the strategies (conf/strategies and the registry), the fault kinds and their parameters, the
load profiles, the operators of scaletui's workload job (the simulator models the same job), and what the
simulator's capability set lacks (job control, fault injection). A job the application stage deployed has operators
known only once it runs, so a rescale of it is checked then, by the run loop, before it pauses the autoscaler.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from scaletui.config.errors import COUNT_HINT, entry_line
from scaletui.config.models import (
    GUARD_LIMITS,
    Experiment,
    FaultStep,
    JobSpec,
    LoadStep,
    PlatformFile,
    RescaleStep,
    StrategyStep,
    TimelineStep,
)
from scaletui.config.units import toml_value
from scaletui.errors import ConfigError, UserError


def job_operators(platform_type: str, job: JobSpec) -> tuple[str, ...] | None:
    """The operators of the job the experiment runs, or None when only the running job can tell."""
    if platform_type == "simulator":
        from scaletui.cluster.simulator.model import default_job

        return tuple(op.name for op in default_job(job.cost_ms, job.max_parallelism, job.wait_ms))
    if job.source == "workload":
        from scaletui.flink.job_submit import OPERATORS

        return OPERATORS
    return None


def platform_parts(platform: PlatformFile) -> frozenset[str] | None:
    """What the platform's capability set will have, when that is known before it opens (the simulator's)."""
    if platform.platform.type == "simulator":
        from scaletui.engine.simulator_set import PARTS

        return frozenset(PARTS)
    return None


class _Entry:
    """Names one `[[timeline]]` or `[[faults]]` entry in a sentence: file, line, index and time."""

    def __init__(self, path: Path, text: str, raw: dict[str, Any], table: str, index: int, at: float) -> None:
        self.path, self.text, self.table, self.index = path, text, table, index
        entries = raw.get(table)
        item = entries[index] if isinstance(entries, list) and index < len(entries) else {}
        written = item.get("at") if isinstance(item, dict) else None
        self.at = written if isinstance(written, str) else f"{at:g}s"

    def error(self, key: str | None, sentence: str, hint: str = "") -> ConfigError:
        line = entry_line(self.text, self.table, self.index, key)
        where = f"{self.path}, line {line}" if line is not None else str(self.path)
        name = f"{self.table}[{self.index}]"
        count = COUNT_HINT.format(key=name, table=self.table, n=self.index + 1)
        return ConfigError(f"{where}: {name} (at {self.at}): {sentence}.", f"{hint} {count}".strip())


def check_steps(path: Path, experiment: Experiment, platform: PlatformFile, conf_dir: Path | str) -> None:
    """Raise one ConfigError for the first step that cannot run as written, in file order."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):  # load_experiment read it a moment ago
        text, raw = "", {}
    parts = platform_parts(platform)
    kind = platform.platform.type
    operators = job_operators(kind, experiment.job)
    unknown = sorted(set(experiment.job.parallelism) - set(operators or ()))
    if operators is not None and unknown:
        raise ConfigError(
            f"{path}: key job.parallelism.{unknown[0]} names no operator of the job; "
            f"its operators are {', '.join(operators)}."
        )
    _check_parallelism(path, experiment.job, platform)
    for i, fault in enumerate(experiment.faults):
        entry = _Entry(path, text, raw, "faults", i, fault.at)
        _check_parts(entry, "fault", parts, platform)
        _check_fault(entry, fault.kind, dict(fault.params), kind)
    for i, step in enumerate(experiment.timeline):
        entry = _Entry(path, text, raw, "timeline", i, step.at)
        _check_parts(entry, step.do, parts, platform)
        _check_step(entry, step, experiment, operators, path, conf_dir, kind)


def starting_slots(job: JobSpec, platform: PlatformFile) -> tuple[int, str, str] | None:
    """The task slots the job starts with, how they come about and what raises them, when the files tell: the
    simulator's and local Flink's come from [job] (the simulator's nodes cap the TaskManagers, a local platform's
    settings.flink.slots_per_taskmanager wins over the job's); a testbed's come from its Flink deployment."""
    kind, name = platform.platform.type, platform.platform.name
    if kind == "simulator":
        nodes = platform.settings.get("nodes", 4)
        nodes = nodes if isinstance(nodes, int) and nodes >= 1 else 4  # a bad value is refused when the set opens
        tms = min(job.taskmanagers, nodes)
        capped = f", capped by platform {name}'s settings.nodes = {nodes}" if tms < job.taskmanagers else ""
        made = f"job.taskmanagers = {tms}{capped} x job.slots_per_taskmanager = {job.slots_per_taskmanager}"
        return tms * job.slots_per_taskmanager, made, "job.taskmanagers or job.slots_per_taskmanager"
    if kind == "local":
        flink = platform.settings.get("flink", {})
        own = flink.get("slots_per_taskmanager") if isinstance(flink, dict) else None
        if isinstance(own, int) and not isinstance(own, bool):
            made = f"job.taskmanagers = {job.taskmanagers} x platform {name}'s settings.flink.slots_per_taskmanager"
            return job.taskmanagers * own, f"{made} = {own}", "job.taskmanagers"
        made = f"job.taskmanagers = {job.taskmanagers} x job.slots_per_taskmanager = {job.slots_per_taskmanager}"
        return job.taskmanagers * job.slots_per_taskmanager, made, "job.taskmanagers or job.slots_per_taskmanager"
    return None


def _check_parallelism(path: Path, job: JobSpec, platform: PlatformFile) -> None:
    """An initial parallelism Flink would cut down (to max_parallelism, or to the slots it has) is refused: the run
    would otherwise measure another job than the file describes, and say nothing."""
    for operator, parallelism in sorted(job.parallelism.items()):
        if parallelism > job.max_parallelism:
            raise ConfigError(
                f"{path}: key job.parallelism.{operator} = {parallelism} is above job.max_parallelism = "
                f"{job.max_parallelism}, the most any operator can have.",
                f"Lower it to {job.max_parallelism} or less, or raise job.max_parallelism.",
            )
    slots = starting_slots(job, platform)
    widest = max(job.parallelism.items(), key=lambda item: item[1], default=None)
    if slots is None or widest is None or widest[1] <= slots[0]:
        return
    (operator, parallelism), (have, made, raise_) = widest, slots
    raise ConfigError(
        f"{path}: key job.parallelism.{operator} = {parallelism} needs {parallelism} task slots, but the job starts "
        f"with {have} ({made}); it would run at {have}.",
        f"Raise {raise_} so that they give {parallelism} slots, or lower job.parallelism.{operator} to {have}.",
    )


def _check_parts(entry: _Entry, do: str, parts: frozenset[str] | None, platform: PlatformFile) -> None:
    from scaletui.engine.capabilities import unmet_need

    if parts is None:
        return
    if what := unmet_need(do, lambda part: part in parts):
        step = f"a {do} step" if entry.table == "timeline" else "a fault"
        raise entry.error(
            "do" if entry.table == "timeline" else None,
            f"{step} needs {what}, which the {platform.platform.name} platform lacks",
            "Remove it, or run the experiment on the local platform or a testbed.",
        )


def _check_fault(entry: _Entry, kind: str, params: dict[str, Any], platform_type: str) -> None:
    """The parameters, then, on this machine (local), what the fault needs: root, iptables, stress-ng, or a
    parameter its mechanism would not apply. A fault refused there failed an hour into the run."""
    from scaletui.chaos.params import parse as parse_fault_params

    try:
        typed = parse_fault_params(kind, params, where="fault")
    except ConfigError as e:
        raise entry.error("params", e.message.removeprefix("fault: ").rstrip("."), e.hint) from None
    if platform_type == "local":
        from scaletui.chaos.process_faults import LocalFaults

        try:
            LocalFaults().check(kind, typed)
        except UserError as e:
            raise entry.error("kind", e.message.rstrip("."), e.hint) from None


def _check_step(
    entry: _Entry,
    step: TimelineStep,
    experiment: Experiment,
    operators: tuple[str, ...] | None,
    path: Path,
    conf_dir: Path | str,
    platform_type: str,
) -> None:
    if isinstance(step, StrategyStep):
        _check_strategy(entry, step, experiment, conf_dir)
    elif isinstance(step, RescaleStep) and operators is not None and step.operator not in operators:
        raise entry.error(
            "operator",
            f"operator = {toml_value(step.operator)} is not an operator of the job; "
            f"its operators are {', '.join(operators)}",
        )
    elif isinstance(step, RescaleStep) and step.parallelism > experiment.job.max_parallelism:
        raise entry.error(
            "parallelism",
            f"parallelism = {step.parallelism} is above job.max_parallelism = {experiment.job.max_parallelism}",
            f"Lower it to {experiment.job.max_parallelism} or less, or raise job.max_parallelism.",
        )
    elif isinstance(step, FaultStep):
        _check_fault(entry, step.kind, dict(step.params), platform_type)
    elif isinstance(step, LoadStep):
        from scaletui.workload.profiles import build_profile

        try:
            build_profile(step.load, base_dir=path.parent)
        except ConfigError as e:
            hint = "The step's load takes the form of the [load] table."  # its own hint names that table
            raise entry.error("load", e.message.rstrip("."), hint) from None


def _check_strategy(entry: _Entry, step: StrategyStep, experiment: Experiment, conf_dir: Path | str) -> None:
    """The loop's settings it changes, each in its bounds and the guard rails with those in force then (the
    [strategy] table's and the earlier steps'), the name, then the strategy as the run will build it: its file's
    parameters with the [strategy] table's."""
    from scaletui.scaling.loop_settings import check_loop
    from scaletui.scaling.registry import load_strategy, strategy_names

    changes = step.loop()
    for key, value in changes.items():
        try:
            check_loop({key: value})
        except ConfigError as e:
            raise entry.error(key, e.message.rstrip(".")) from None
    rails = [key for key in changes if key in GUARD_LIMITS]
    if rails:
        try:
            check_loop(changes, _loop_before(step, experiment))
        except ConfigError as e:
            raise entry.error(rails[0], e.message.rstrip(".")) from None
    if step.name == "none":
        return
    known = strategy_names()
    if step.name not in known:
        raise entry.error(
            "name", f"name = {toml_value(step.name)} is not a strategy; expected none or one of {', '.join(known)}"
        )
    try:
        load_strategy(experiment.strategy.switched_to(step.name, step.params), conf_dir)
    except ConfigError as e:
        raise entry.error("name", f"strategy {step.name}: {e.message.rstrip('.')}", e.hint) from None


def _loop_before(step: StrategyStep, experiment: Experiment) -> dict[str, float]:
    """The loop's settings in force when `step` runs: the [strategy] table's with those of the strategy steps the
    run takes before it, in the order the run loop takes them (`Experiment.steps`)."""
    loop = experiment.strategy.loop()
    for earlier in experiment.steps():
        if earlier is step:
            break
        if isinstance(earlier, StrategyStep):
            loop.update(earlier.loop())
    return loop
