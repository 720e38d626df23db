"""Schedule: parallelism by time, from the experiment file; for replays of a recorded run and manual plans.

Not an autoscaler: the plan is a list of steps `{at = "5m", parallelism = {expensive = 3}, taskmanagers = 2}` with
times from the first decision of the run; the latest step whose time has come is in force. Operators a step does
not name keep their parallelism.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scaletui.config.units import parse_duration
from scaletui.errors import ConfigError
from scaletui.scaling.observation import Decision, Observation
from scaletui.scaling.strategy import Strategy


@dataclass(frozen=True)
class PlanStep:
    at: float
    parallelism: dict[str, int]
    taskmanagers: int | None = None


@dataclass(frozen=True)
class ScheduleParams:
    plan: tuple[Any, ...] = ()
    """Steps {at = duration, parallelism = {operator = p}, taskmanagers = n (optional)}, in increasing time."""

    def steps(self) -> tuple[PlanStep, ...]:
        out: list[PlanStep] = []
        for i, raw in enumerate(self.plan):
            key = f"params.plan[{i}]"
            if not isinstance(raw, dict) or not set(raw) <= {"at", "parallelism", "taskmanagers"} or "at" not in raw:
                raise ConfigError(
                    f"strategy schedule: key {key} expected a table with at, parallelism and optionally "
                    f"taskmanagers, got {raw!r}."
                )
            try:
                at = parse_duration(raw["at"])
            except ValueError:
                raise ConfigError(
                    f'strategy schedule: key {key}.at expected a duration like "5m", got {raw["at"]!r}.'
                ) from None
            par = raw.get("parallelism", {})
            if not isinstance(par, dict) or not all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in par.values()
            ):
                raise ConfigError(
                    f"strategy schedule: key {key}.parallelism expected a table of operator = whole number >= 1, "
                    f"got {par!r}."
                )
            tms = raw.get("taskmanagers")
            if tms is not None and (not isinstance(tms, int) or isinstance(tms, bool) or tms < 1):
                raise ConfigError(
                    f"strategy schedule: key {key}.taskmanagers expected a whole number >= 1, got {tms!r}."
                )
            if out and at < out[-1].at:
                raise ConfigError(
                    f"strategy schedule: key {key}.at expected times in increasing order, got {raw['at']!r}."
                )
            out.append(PlanStep(at, dict(par), tms))
        return tuple(out)

    def __post_init__(self) -> None:
        self.steps()


class ScheduleStrategy(Strategy):
    name = "schedule"
    Params = ScheduleParams
    params: ScheduleParams

    def __init__(self, params: ScheduleParams | None = None) -> None:
        super().__init__(params)
        self.start: float | None = None
        self.plan = self.params.steps()

    def idle_reason(self) -> str:
        if self.plan:
            return ""
        return (
            "Strategy schedule has an empty plan, so it will never change the job: give its steps as "
            'plan = [{at = "5m", parallelism = {expensive = 3}}] in the experiment\'s [strategy.params] '
            "or in conf/strategies/schedule.toml."
        )

    def decide(self, obs: Observation) -> Decision:
        if self.start is None:
            self.start = obs.t - obs.window_s
        elapsed = obs.t - self.start
        due = [s for s in self.plan if s.at <= elapsed]
        if not due:
            return self.keep(obs, f"Schedule: no step due at {elapsed:.0f}s")
        step = due[-1]
        unknown = sorted(set(step.parallelism) - set(obs.operators))
        if unknown:
            return self.keep(obs, f"Schedule: step at {step.at:.0f}s names unknown operator {unknown[0]}; kept as is")
        new = {name: step.parallelism.get(name, op.parallelism) for name, op in obs.operators.items()}
        tms = step.taskmanagers or self.taskmanagers_for(new, obs)
        return Decision(new, tms, f"Schedule: step at {step.at:.0f}s in force at {elapsed:.0f}s")
