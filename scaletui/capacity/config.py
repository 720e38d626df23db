"""Settings of the capacity view: which strategy, how long a scope is, and the TaskManager size to fit.

Usable on its own with defaults, or as a `[capacity]` table of conf/scaletui.toml once the app config includes it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from scaletui.config.units import Duration

if TYPE_CHECKING:  # the estimators load numpy; importing the settings alone must stay cheap
    from scaletui.capacity.stability import StabilityTest
    from scaletui.capacity.strategies import CapacityStrategy

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)$", re.IGNORECASE)
_POWER = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}


def parse_bytes(value: Any) -> int:
    """Bytes from a number or a string like "1536m", "2g", "2 GiB" (binary multiples, as the JVM reads them)."""
    if isinstance(value, bool):
        raise ValueError('a memory size like 1073741824, "1024m" or "1g"')
    if isinstance(value, (int, float)) and value >= 0:
        return int(value)
    if isinstance(value, str):
        match = _SIZE.match(value.strip())
        if match:
            return int(float(match.group(1)) * 1024 ** _POWER[match.group(2).lower()])
    raise ValueError('a memory size like 1073741824, "1024m" or "1g"')


Bytes = Annotated[int, BeforeValidator(parse_bytes)]

StrategyName = Literal["percentile", "doa", "greedy", "nsigma", "fixed-ratio"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskManagerSize(_Strict):
    cpu: float = Field(default=1.0, gt=0)
    """CPU cores one TaskManager is counted as taking."""
    memory: Bytes = Field(default=1728 * 1024**2, gt=0)
    """Memory one TaskManager is counted as taking (bytes, or "1728m", "2g"); Flink's default process size."""


class StabilityConfig(_Strict):
    test: Literal["mean", "percentile"] = "mean"
    """mean: the scope's mean within `threshold` std of the history; percentile: its p-th percentile within ±ratio."""
    threshold: float = Field(default=1.0, gt=0)
    """For the mean test: how many standard deviations of the history the mean may move."""
    percentile: float = Field(default=90.0, ge=0, le=100)
    """For the percentile test: which percentile is compared."""
    ratio: float = Field(default=0.1, gt=0)
    """For the percentile test: the relative change still called stable."""
    tolerance: float = Field(default=0.02, ge=0, le=1)
    """Smallest band, as a fraction of the node's size, so a flat series with jitter stays stable."""

    def build(self) -> StabilityTest:
        from scaletui.capacity.stability import MeanShiftTest, PercentileShiftTest

        if self.test == "mean":
            return MeanShiftTest(threshold=self.threshold, tolerance=self.tolerance)
        return PercentileShiftTest(percentile=self.percentile, ratio=self.ratio, tolerance=self.tolerance)


class CapacityConfig(_Strict):
    strategy: StrategyName = "greedy"
    """percentile, doa, greedy (ScroogeVM's), nsigma or fixed-ratio."""
    scope: Duration = Field(default=60.0, gt=0)
    """Length of a scope: estimates are revised at the end of each (e.g. "60s", "5m")."""
    history_scopes: int = Field(default=4, ge=1, le=1000)
    """How many past scopes percentile, greedy and nsigma look at (ScroogeVM keeps 4)."""
    percentile: float = Field(default=95.0, ge=0, le=100)
    """The p of the percentile strategy."""
    nsigma: float = Field(default=3.0, ge=0)
    """The n of the nsigma strategy."""
    fixed_ratio: float = Field(default=2.0, ge=1)
    """The oversubscription ratio of the fixed-ratio strategy."""
    stability: StabilityConfig = Field(default_factory=lambda: StabilityConfig())
    taskmanager: TaskManagerSize = Field(default_factory=lambda: TaskManagerSize())

    def build_strategy(self) -> CapacityStrategy:
        """A fresh strategy object: call once per resource of each node, since strategies keep state."""
        from scaletui.capacity.strategies import (
            DoaStrategy,
            FixedRatioStrategy,
            GreedyStrategy,
            NSigmaStrategy,
            PercentileStrategy,
        )

        if self.strategy == "percentile":
            return PercentileStrategy(self.percentile)
        if self.strategy == "doa":
            return DoaStrategy()
        if self.strategy == "greedy":
            return GreedyStrategy()
        if self.strategy == "nsigma":
            return NSigmaStrategy(self.nsigma)
        return FixedRatioStrategy(self.fixed_ratio)
