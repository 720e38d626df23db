"""Typed models of every file under conf/: app settings, platforms, experiments, strategies.

Unknown keys are refused so a misspelt key fails at load, not in the middle of a run. Parts whose shape depends on
a backend (a platform's provider table, a strategy's parameters, a load profile's parameters) are checked by their
own package when the engine builds them, before anything irreversible (the EnosLib `finalize()` way).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scaletui.config.units import Duration


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- conf/scaletui.toml -------------------------------------------------------------------------------------------


class Paths(Strict):
    sessions: str = "~/.local/share/scaletui/sessions"
    """Where each session keeps session.toml, its logs, pid files and inventory."""
    results: str = "results"
    """Root of the results directories: results/<session>/<run-id>/."""
    cache: str = "~/.cache/scaletui"
    """Downloads and builds kept between sessions: Flink, the compiled workload jar."""
    conf: str = "conf"
    """Where platforms/, experiments/ and strategies/ are looked up."""
    themes: str = "themes"
    """Where the themes (<name>.toml) are looked up, beside conf/; ~/.config/scaletui/themes/ adds the user's."""


class Refresh(Strict):
    metrics: Duration = 1.0
    """Metrics polling period."""
    instances: Duration = 2.0
    """Pods/instances polling period."""
    plots: Duration = 1.0
    """Plot redraw period (hidden panes are never redrawn)."""


class AppConfig(Strict):
    theme: str = "dark"
    """A theme file's name from themes/: dark, light or ansi16 (16 colours; also chosen when NO_COLOR is set)."""
    session: str = "default"
    """The session opened when none is named on the command line."""
    paths: Paths = Field(default_factory=Paths)
    refresh: Refresh = Field(default_factory=Refresh)
    keymap: dict[str, str] = Field(default_factory=dict)
    """Action id -> key, to remap any key shown in the footer or help (e.g. "chaos.fire" = "F")."""
    capacity: dict[str, Any] = Field(default_factory=dict)
    """The capacity view's settings (scaletui.capacity.CapacityConfig); checked here only when given, because
    building the estimators loads numpy, which the first frame must not wait for."""

    @field_validator("capacity")
    @classmethod
    def _capacity(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value:
            from pydantic import ValidationError

            from scaletui.capacity.config import CapacityConfig
            from scaletui.config.units import key_path

            try:
                CapacityConfig.model_validate(value)
            except ValidationError as e:
                first = e.errors()[0]
                raise ValueError(
                    f"a valid [capacity] table ({key_path(tuple(first['loc']))}: {first['msg']})"
                ) from None
        return value


# --- conf/platforms/*.toml ----------------------------------------------------------------------------------------

PlatformType = Literal["local", "Grid5000", "VMonG5k", "VagrantG5k", "Chameleon", "FIT", "Static"]


class Roles(Strict):
    control: int = Field(1, ge=0)
    producers: int = Field(0, ge=0)
    consumers: int = Field(0, ge=0)
    workers: int = Field(0, ge=0)


class PlatformInfo(Strict):
    name: str
    type: str
    """local, Grid5000, VMonG5k, VagrantG5k, Chameleon, FIT, Static, or a custom type from an entry point."""


class PlatformFile(Strict):
    platform: PlatformInfo
    roles: Roles = Field(default_factory=Roles)
    settings: dict[str, Any] = Field(default_factory=dict)
    """The provider's own table (site, cluster, walltime, hosts, ...), checked by the platform's builder."""


# --- conf/strategies/*.toml ---------------------------------------------------------------------------------------


class StrategyInfo(Strict):
    name: str
    description: str = ""


class StrategyFile(Strict):
    strategy: StrategyInfo
    params: dict[str, Any] = Field(default_factory=dict)


# --- conf/experiments/*.toml --------------------------------------------------------------------------------------

LIVE_EXPERIMENT = "experiments/local-constant.toml"
"""Under the conf directory: the experiment whose job, load and [strategy] table (the loop's interval, window and
cooldown, the guard rails) a live session (the app's `s`) starts from."""


class ExperimentInfo(Strict):
    name: str
    description: str = ""
    platform: str = "local"
    """A platform name from conf/platforms/<name>.toml."""
    duration: Duration
    teardown: Literal["keep", "stop"] = "stop"
    """After the run: keep the cluster running, or stop it."""
    stages: list[str] = Field(default_factory=list)
    """Stages or apps to run first: "infrastructure", "orchestration", "application", or "app:<name>"."""


class JobSpec(Strict):
    kind: Literal["workload"] = "workload"
    source: Literal["workload", "application"] = "workload"
    """On a testbed: "workload" submits scaletui's workload job to Flink on Kubernetes (its rate set through the
    loadgen app's rate service: every load profile); "application" attaches to the job the application stage
    deployed (its Theodolite generator scaled in whole replicas). Local Flink and the simulator run the workload."""
    taskmanagers: int = Field(1, ge=1, le=64)
    slots_per_taskmanager: int = Field(2, ge=1, le=64)
    parallelism: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    """Initial parallelism per operator name; operators not named start at 1. At most max_parallelism, and (where
    the slots are known from the files: local, simulator) at most taskmanagers x slots_per_taskmanager."""
    max_parallelism: int = Field(32, ge=1, le=32768)
    cost_ms: float = Field(2.0, ge=0.0, le=1000.0)
    """CPU time per record of the expensive operator."""
    wait_ms: float = Field(0.0, ge=0.0, le=1000.0)
    """Time per record the expensive operator then waits without using CPU, as on a call to an external service:
    a subtask takes at most 1000 / (cost_ms + wait_ms) records/s, however busy its machine's cores are."""
    window_s: float = Field(5.0, gt=0.0)
    keys: int = Field(64, ge=1)


class LoadSpec(BaseModel):
    """`profile` picks the shape; its parameters (rate, steps, period, file...) are checked by `workload`."""

    model_config = ConfigDict(extra="allow")
    profile: str = "constant"


TIMING_LIMITS = {"interval": (1.0, 3600.0), "window": (1.0, 3600.0), "cooldown": (0.0, 3600.0)}
"""The control loop's timing in seconds: it samples once a second, so it cannot decide more often, nor over less
than one sample."""
GUARD_LIMITS = {"min_parallelism": (1, 32768), "max_parallelism": (1, 32768), "max_taskmanagers": (1, 256),
                "max_slots": (1, 16384)}  # fmt: skip
"""The guard rails every decision is clamped to, in whole numbers: Flink's highest parallelism is 32768, and a step
sets at most 256 TaskManagers (of at most 64 slots)."""
LOOP_LIMITS = TIMING_LIMITS | GUARD_LIMITS
"""The control loop's settings, its timing and its guard rails, with their bounds: held in an experiment's [strategy]
table here and when changed live (scaling/loop_settings.py), with `guard_conflict` over them."""
LOOP_KEYS = tuple(LOOP_LIMITS)


def guard_conflict(values: Mapping[str, float]) -> str:
    """Why the guard rails in `values` cannot all hold, "" when they can: the file's [strategy] table and a live
    change are held to it alike."""
    low, high = values.get("min_parallelism"), values.get("max_parallelism")
    if low is not None and high is not None and low > high:
        return (
            f"min_parallelism={low:g} is above max_parallelism={high:g}: the autoscaler's parallelism bounds need "
            "min_parallelism <= max_parallelism"
        )
    return ""


class StrategySpec(Strict):
    name: str = "none"
    """A strategy name, or "none" to run without autoscaling."""
    file: str = ""
    """conf/strategies/<name>.toml by default."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Overrides of the strategy file's parameters."""
    interval: Duration = Field(10.0, ge=LOOP_LIMITS["interval"][0], le=LOOP_LIMITS["interval"][1])
    window: Duration = Field(10.0, ge=LOOP_LIMITS["window"][0], le=LOOP_LIMITS["window"][1])
    cooldown: Duration = Field(20.0, ge=LOOP_LIMITS["cooldown"][0], le=LOOP_LIMITS["cooldown"][1])
    dry_run: bool = False
    min_parallelism: int = Field(1, ge=GUARD_LIMITS["min_parallelism"][0], le=GUARD_LIMITS["min_parallelism"][1])
    max_parallelism: int = Field(8, ge=GUARD_LIMITS["max_parallelism"][0], le=GUARD_LIMITS["max_parallelism"][1])
    max_taskmanagers: int = Field(4, ge=GUARD_LIMITS["max_taskmanagers"][0], le=GUARD_LIMITS["max_taskmanagers"][1])
    max_slots: int = Field(16, ge=GUARD_LIMITS["max_slots"][0], le=GUARD_LIMITS["max_slots"][1])

    @model_validator(mode="after")
    def _guard_rails_agree(self) -> StrategySpec:
        from pydantic_core import PydanticCustomError

        if conflict := guard_conflict(self.loop()):
            raise PydanticCustomError("guard_conflict", conflict)
        return self

    def loop(self) -> dict[str, float]:
        """The loop's settings: its interval, window and cooldown in seconds, its guard rails as whole numbers."""
        return {key: float(getattr(self, key)) if key in TIMING_LIMITS else getattr(self, key) for key in LOOP_KEYS}

    def params_for(self, name: str) -> dict[str, Any]:
        """What strategy `name`, chosen later in the run, takes of these params: all when they are its own or when
        this spec names no strategy (they are then the timeline's), none when they are another strategy's."""
        return dict(self.params) if self.name in (name, "none") else {}

    def switched_to(self, name: str, params: dict[str, Any] | None = None) -> StrategySpec:
        """These settings for strategy `name` chosen later in the run, with `params` over what it takes of ours."""
        return self.model_copy(update={"name": name, "params": {**self.params_for(name), **(params or {})}})


FaultKind = Literal["delay", "loss", "bandwidth", "partition", "kill", "pause", "cpu-stress", "memory-stress"]


class FaultSpec(Strict):
    at: Duration
    kind: FaultKind
    duration: Duration
    targets: list[str] = Field(default_factory=list)
    """Instance names, "role:taskmanager", or "operator:<name>"."""
    params: dict[str, Any] = Field(default_factory=dict)


class _Step(Strict):
    at: Duration = 0.0
    """When, from the start of the run ("90s", "10m")."""


class LoadStep(_Step):
    """Change the load profile (the `[load]` table's form)."""

    do: Literal["load"]
    load: LoadSpec


class RescaleStep(_Step):
    """Set one operator's parallelism by hand (pauses the autoscaler, as the key does)."""

    do: Literal["rescale"]
    operator: str
    parallelism: int = Field(ge=1)


class TaskManagersStep(_Step):
    """Grow or shrink to `count` TaskManagers by hand (pauses the autoscaler)."""

    do: Literal["taskmanagers"]
    count: int = Field(ge=1, le=256)


class StrategyStep(_Step):
    """Switch the autoscaler's strategy ("none" turns it off)."""

    do: Literal["strategy"]
    name: str
    params: dict[str, Any] = Field(default_factory=dict)
    """Overrides of the strategy file's parameters, over the [strategy] table's."""
    interval: Duration | None = None
    """The loop's settings from here on, its timing and guard rails, over the [strategy] table's (unset: unchanged);
    the strategies chosen after keep them. Checked against their bounds by `scaling/loop_settings.py`."""
    window: Duration | None = None
    cooldown: Duration | None = None
    min_parallelism: int | None = None
    max_parallelism: int | None = None
    max_taskmanagers: int | None = None
    max_slots: int | None = None

    def loop(self) -> dict[str, float]:
        """The loop settings this step changes."""
        return {k: v for k in LOOP_KEYS if (v := getattr(self, k)) is not None}


class PauseStep(_Step):
    do: Literal["pause"]


class ResumeStep(_Step):
    do: Literal["resume"]


class DryRunStep(_Step):
    """Decisions shown but not applied (`on = false` applies them again)."""

    do: Literal["dry-run"]
    on: bool = True


class FaultStep(_Step):
    """Inject a fault (the `[[faults]]` table's form)."""

    do: Literal["fault"]
    kind: FaultKind
    duration: Duration
    targets: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)


class RevertStep(_Step):
    """End a fault by id, or every fault ("all")."""

    do: Literal["revert"]
    fault: str = "all"


class SubmitStep(_Step):
    """Submit the job (a timeline with one submits it then, not at the start)."""

    do: Literal["submit"]


class CancelJobStep(_Step):
    do: Literal["cancel-job"]


TimelineStep = Annotated[
    LoadStep
    | RescaleStep
    | TaskManagersStep
    | StrategyStep
    | PauseStep
    | ResumeStep
    | DryRunStep
    | FaultStep
    | RevertStep
    | SubmitStep
    | CancelJobStep,
    Field(discriminator="do"),
]
"""What a user can do by key in a live session, as data: an experiment's `[[timeline]]` entries and the intents the
run loop applies are the same models, so `--script` replays what someone did by hand."""


def step_names() -> list[str]:
    """The `do` of every timeline step, in the union's order: load, rescale, taskmanagers, ..."""
    from typing import get_args

    union = get_args(TimelineStep)[0]
    return [get_args(step.model_fields["do"].annotation)[0] for step in get_args(union)]


class SloSpec(Strict):
    p99_latency_ms: float | None = Field(None, gt=0)
    min_fraction: float = Field(0.95, gt=0.0, le=1.0)
    """The share of the run's seconds that must meet the latency bound."""
    min_throughput_fraction: float | None = Field(None, gt=0.0, le=1.0)


class Experiment(Strict):
    experiment: ExperimentInfo
    job: JobSpec = Field(default_factory=JobSpec)
    load: LoadSpec = Field(default_factory=LoadSpec)
    strategy: StrategySpec = Field(default_factory=StrategySpec)
    faults: list[FaultSpec] = Field(default_factory=list)
    timeline: list[TimelineStep] = Field(default_factory=list)
    """Intents at given times: load changes, rescales by hand, strategy switches, pauses, faults."""
    slo: SloSpec | None = None

    @model_validator(mode="after")
    def _steps_fit(self) -> Experiment:
        """Every step falls inside the run; the error's ctx names the entry (config.errors words it)."""
        from pydantic_core import PydanticCustomError

        duration = self.experiment.duration
        entries: list[tuple[str, int, float]] = [("faults", i, f.at) for i, f in enumerate(self.faults)]
        entries += [("timeline", i, step.at) for i, step in enumerate(self.timeline)]
        for table, i, at in entries:
            if at >= duration:
                raise PydanticCustomError(
                    "outside_run",
                    "{table}[{index}].at = {at}s is not before the run's end ({duration}s)",
                    {"table": table, "index": i, "at": at, "duration": duration},
                )
        return self

    def steps(self) -> list[TimelineStep]:
        """The timeline with the `[[faults]]` schedule folded in, in time order (stable for equal times)."""
        faults: list[TimelineStep] = [
            FaultStep(at=f.at, do="fault", kind=f.kind, duration=f.duration, targets=f.targets, params=f.params)
            for f in self.faults
        ]
        return sorted([*self.timeline, *faults], key=lambda step: step.at)
