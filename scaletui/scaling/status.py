"""What the control loop says of itself to the faces: the strategy line's state and settings.

Apart from the loop so that a replay, which rebuilds a status from recorded events, need not load the loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scaletui.config.units import human_duration
from scaletui.scaling.params_text import params_text

if TYPE_CHECKING:
    from scaletui.config.models import StrategySpec
    from scaletui.events import DecisionEvent


@dataclass(frozen=True)
class ControllerStatus:
    strategy: str
    running: bool
    paused: bool
    pause_reason: str
    dry_run: bool
    next_decision_in: float | None
    last_decision: DecisionEvent | None
    """The newest decision, the one being carried out while `acting`."""
    acting: str = ""
    """What the loop's own actuation is doing right now ("rescaling expensive 1->3"), "" when idle."""
    acting_for: float | None = None
    """Seconds since that actuation began (a TaskManager pod can take minutes to start), None when idle."""
    settings: str = ""
    """The loop's and the strategy's parameters in one line ("every 10s over 10s, cooldown 20s, ...")."""


def settings_text(spec: StrategySpec, params: Any) -> str:
    """The loop's settings and guard rails, then the strategy's own parameters as `key=value`: "every 10s over 10s,
    cooldown 20s, parallelism 1-8, up to 4 TMs and 16 slots; target_utilisation=0.7 ..."."""
    loop = (
        f"every {human_duration(spec.interval)} over {human_duration(spec.window)}, "
        f"cooldown {human_duration(spec.cooldown)}, parallelism {spec.min_parallelism}-{spec.max_parallelism}, "
        f"up to {spec.max_taskmanagers} TMs and {spec.max_slots} slots"
    )
    values = params_text(params)
    return f"{loop}; {values}" if values else loop
