"""The source rate ahead: a level and a trend over the last minutes of target-rate samples.

The level is the mean of the last few seconds (noise averages out, a step shows within them). The trend is the
least-squares slope over `trend_window`, used only when the two halves of that window agree on it (same sign,
neither more than twice the other), so a step, which has a flat half and a steep one, is not mistaken for a ramp
and extrapolated; a ramp or the flank of a day-shaped curve is. The trend is damped (Holt's damped trend) so a
forecast far ahead does not run away.

Beside the forecast, `paths` gives what the load did after earlier moments at the same rate (the method of
analogues), from the hour of history held.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field


def _slope(points: list[tuple[float, float]]) -> float | None:
    if len(points) < 3:
        return None
    n = len(points)
    mt = sum(t for t, _ in points) / n
    mr = sum(r for _, r in points) / n
    stt = sum((t - mt) ** 2 for t, _ in points)
    if stt <= 1e-9:
        return None
    return sum((t - mt) * (r - mr) for t, r in points) / stt


@dataclass
class RateForecast:
    level_window: float = 5.0
    trend_window: float = 120.0
    damping: float = 0.995
    """Per second: the trend's contribution h seconds ahead is trend * sum(damping^k, k=1..h)."""
    history_s: float = 3600.0
    series: deque[tuple[float, float]] = field(default_factory=deque)

    def add(self, times: tuple[float, ...], rates: tuple[float | None, ...]) -> None:
        last = self.series[-1][0] if self.series else -float("inf")
        for t, r in zip(times, rates):
            if r is not None and t > last + 1e-9:
                self.series.append((t, r))
                last = t
        while self.series and self.series[0][0] < last - self.history_s:
            self.series.popleft()

    def since(self, seconds: float) -> list[tuple[float, float]]:
        """The samples of the last `seconds`, oldest first (read from the newest end: the history holds an hour)."""
        if not self.series:
            return []
        start = self.series[-1][0] - seconds
        out = []
        for point in reversed(self.series):
            if point[0] <= start:
                break
            out.append(point)
        out.reverse()
        return out

    def level(self) -> float | None:
        recent = self.since(self.level_window)
        return sum(r for _, r in recent) / len(recent) if recent else None

    def trend(self) -> float:
        """Records/s per second, 0 when the window's halves disagree (a step is not a ramp)."""
        points = self.since(self.trend_window)
        if len(points) < 10:
            return 0.0
        half = points[0][0] + (points[-1][0] - points[0][0]) / 2
        a, b = _slope([x for x in points if x[0] <= half]), _slope([x for x in points if x[0] > half])
        whole = _slope(points)
        if a is None or b is None or whole is None or a * b <= 0:
            return 0.0
        if max(abs(a), abs(b)) > 2 * min(abs(a), abs(b)):
            return 0.0
        return whole

    def path(self, epochs: int, epoch_s: float) -> tuple[float, ...] | None:
        """The forecast mean of each of the next `epochs` (at their midpoints)."""
        level = self.level()
        if level is None:
            return None
        trend, d = self.trend(), self.damping
        out = []
        for k in range(epochs):
            seconds = (k + 0.5) * epoch_s
            gain = seconds if d >= 1 else d * (1 - d**seconds) / (1 - d)
            out.append(max(0.0, level + trend * gain))
        return tuple(out)

    def paths(
        self, epochs: int, epoch_s: float, count: int, history_s: float, tolerance: float = 0.15
    ) -> list[tuple[float, ...]]:
        """Up to `count` rate paths for the next `epochs`, by the method of analogues (Lorenz 1969; k-nearest-neighbour
        forecasting): moments of the last `history_s` seconds when the rate was within `tolerance` of its level now,
        each followed by what the rate did next, scaled to the level now. Inside a burst the analogues are earlier
        bursts, whose ends they show; on a quiet base they are quiet moments, some followed by a burst; on a new level
        there are none. Moments a fifth of the horizon apart, the closest first; each path needs half the
        horizon seen (the rest holds its last epoch)."""
        level = self.level()
        if level is None or level <= 0 or len(self.series) < 2:
            return []
        times = [t for t, _ in self.series]
        rates = [r for _, r in self.series]
        now = times[-1]
        horizon = epochs * epoch_s
        candidates = []
        for i, t in enumerate(times):
            if t < now - history_s or t > now - horizon / 2:
                continue
            base = _mean(rates, times, t - self.level_window, t, max(0, i - 2 * int(self.level_window) - 2))
            if base is not None and base > 0 and abs(base - level) <= tolerance * level:
                candidates.append((abs(base - level), t, base))
        chosen: list[tuple[float, float]] = []
        for _, t, base in sorted(candidates):
            if len(chosen) >= count:
                break
            if all(abs(t - c) >= max(epoch_s, horizon / 5) for c, _ in chosen):
                chosen.append((t, base))
        out = []
        for t, base in sorted(chosen):
            i0 = bisect.bisect_right(times, t)
            path: list[float] = []
            for k in range(epochs):
                m = _mean(rates, times, t + k * epoch_s, t + (k + 1) * epoch_s, i0)
                path.append(level * m / base if m is not None else (path[-1] if path else level))
            out.append(tuple(path))
        return out


def _mean(rates: list[float], times: list[float], start: float, end: float, hint: int = 0) -> float | None:
    """Mean rate of the samples in (start, end]."""
    i = bisect.bisect_right(times, start, lo=hint)
    total, n = 0.0, 0
    while i < len(times) and times[i] <= end:
        total += rates[i]
        n += 1
        i += 1
    return total / n if n else None
