"""The source rate ahead: a level and a trend over the last minutes of target-rate samples.

The level is the mean of the last few seconds (noise averages out, a step shows within them). The trend is the
least-squares slope over `trend_window`, used only when the two halves of that window agree on it (same sign,
neither more than twice the other), so a step, which has a flat half and a steep one, is not mistaken for a ramp
and extrapolated; a ramp or the flank of a day-shaped curve is. The trend is damped (Holt's damped trend) so a
forecast far ahead does not run away.
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
        if not self.series:
            return []
        now = self.series[-1][0]
        return [(t, r) for t, r in self.series if t > now - seconds]

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

    def ahead(self, seconds: float) -> float | None:
        """The forecast rate `seconds` from the last sample."""
        level = self.level()
        if level is None:
            return None
        d = self.damping
        gain = seconds if d >= 1 else d * (1 - d**seconds) / (1 - d)
        return max(0.0, level + self.trend() * gain)

    def peak(self, seconds: float, step: float = 5.0) -> float | None:
        """The highest forecast over the next `seconds` (the level itself included)."""
        level = self.level()
        if level is None:
            return None
        n = max(1, int(seconds / step))
        return max([level] + [self.ahead(step * k) or 0.0 for k in range(1, n + 1)])

    def span(self) -> float:
        """Seconds of history held."""
        return self.series[-1][0] - self.series[0][0] if len(self.series) > 1 else 0.0

    def peak_between(self, start: float, end: float, step: float = 5.0) -> float | None:
        """The highest forecast from `start` to `end` seconds ahead."""
        if self.level() is None:
            return None
        n = max(1, int((end - start) / step))
        return max(self.ahead(start + step * k) or 0.0 for k in range(n + 1))

    def recent_max(self, seconds: float) -> float | None:
        recent = self.since(seconds)
        return max(r for _, r in recent) if recent else None

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
