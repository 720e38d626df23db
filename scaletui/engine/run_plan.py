"""What a run does, apart from the loop that does it (engine/run.py): `ExperimentRun` builds the plan from an
experiment file, or from the live session's defaults with no end."""

from __future__ import annotations

from dataclasses import dataclass

from scaletui.config.models import JobSpec, LoadSpec, StrategySpec, TimelineStep
from scaletui.scaling.strategy import Strategy
from scaletui.workload.profiles import LoadProfile


@dataclass(frozen=True)
class RunPlan:
    """What a run does, checked before it starts: the job, the load, the strategy and the timeline."""

    name: str
    duration: float | None
    """None: open-ended (a live session), stopped by the user."""
    job: JobSpec
    load: LoadSpec
    profile: LoadProfile
    strategy: StrategySpec
    initial_strategy: Strategy | None
    steps: tuple[TimelineStep, ...] = ()
    latency_every_s: float = 5.0
    """On a simulated clock the loop measures the latency matrix itself, this often in simulated time."""
    submit_job: bool = True
    """Submit the job when the run begins (experiments); a live session waits for the user's key, and a timeline
    with a submit step submits it then."""
    instances_every_s: float = 2.0

    @property
    def live(self) -> bool:
        """The app's live session (open-ended), whose strategy and load the session keeps for its next cluster."""
        return self.duration is None
