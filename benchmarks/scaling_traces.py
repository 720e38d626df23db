"""Load traces for benchmarks/scaling.py, generated from a seed: the shapes a strategy meets outside the four
textbook loads.

    diurnal   a day squeezed into the run: a night trough, a morning and an evening peak of random heights and
              times, minute-scale wobble and per-second noise
    bursts    a quiet base with bursts arriving at random (Poisson), each 1.5-3x the base for 20 s to 3 min
    flash     a flash crowd: a quiet base, a rise to 2.5-3.5x within a minute at a random time, an exponential
              decay over 5-15 minutes, once or twice
    drift     a slow drift from a random low to a random high rate (or back) with a random walk on top
    noise     a steady mean with heavy autocorrelated noise (+-25 %) and short dips

Each trace is a list of (t, rate) points every 5 s, replayed with linear interpolation. The shape and the seed
fully determine it (`random.Random(f"{shape}:{seed}")`), so a table can be reproduced, and a strategy can be
tuned on some seeds and judged on others it has never seen: `TUNING_SEEDS` are the ones to tune on, the
benchmark's default `HELD_OUT_SEEDS` are the ones to report.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from pathlib import Path

from scaletui.workload.profiles import ReplayProfile

STEP_S = 5.0
LOW, HIGH = 150.0, 1450.0
"""Rates stay within what 4 nodes of 2 slots can sustain (the oracle needs 7 of 8 slots at 1450 r/s)."""
SHAPES = ("diurnal", "bursts", "flash", "drift", "noise")
TUNING_SEEDS = (1, 2, 3)
HELD_OUT_SEEDS = (2024,)


def _clamp(rate: float) -> float:
    return min(HIGH, max(LOW, rate))


def _times(duration: float) -> list[float]:
    return [i * STEP_S for i in range(int(duration / STEP_S) + 1)]


def _ar_noise(rng: random.Random, n: int, sigma: float, keep: float) -> list[float]:
    """AR(1) noise with stationary standard deviation `sigma` and autocorrelation `keep` per step."""
    x, out = 0.0, []
    scale = sigma * math.sqrt(1 - keep * keep)
    for _ in range(n):
        x = keep * x + rng.gauss(0.0, scale)
        out.append(x)
    return out


def _bump(x: float, at: float, width: float) -> float:
    return math.exp(-(((x - at) / width) ** 2))


def diurnal(rng: random.Random, duration: float) -> list[tuple[float, float]]:
    trough = rng.uniform(180, 300)
    morning, evening = rng.uniform(700, 1100), rng.uniform(900, 1400)
    t_morning, t_evening = rng.uniform(0.3, 0.45), rng.uniform(0.65, 0.85)
    w_morning, w_evening = rng.uniform(0.06, 0.12), rng.uniform(0.07, 0.14)
    times = _times(duration)
    wobble = _ar_noise(rng, len(times), 0.06, 0.97)
    out = []
    for t, w in zip(times, wobble):
        x = t / duration
        rate = (
            trough
            + (morning - trough) * _bump(x, t_morning, w_morning)
            + (evening - trough) * _bump(x, t_evening, w_evening)
        )
        out.append((t, _clamp(rate * (1 + w) * (1 + rng.gauss(0, 0.02)))))
    return out


def bursts(rng: random.Random, duration: float) -> list[tuple[float, float]]:
    base = rng.uniform(250, 450)
    times = _times(duration)
    rates = [base * (1 + rng.gauss(0, 0.03)) for _ in times]
    t = rng.uniform(120, 600)
    for _ in range(200):
        if t >= duration:
            break
        height, length = rng.uniform(1.5, 3.0), rng.uniform(20, 180)
        for i, ti in enumerate(times):
            if t <= ti < t + length:
                rates[i] = base * height * (1 + rng.gauss(0, 0.03))
        t += length + rng.expovariate(1 / 420)
    return [(ti, _clamp(r)) for ti, r in zip(times, rates)]


def flash(rng: random.Random, duration: float) -> list[tuple[float, float]]:
    base = rng.uniform(250, 400)
    times = _times(duration)
    crowds = sorted(rng.uniform(0.1, 0.8) * duration for _ in range(rng.choice((1, 2))))
    shapes = [(at, rng.uniform(2.5, 3.5), rng.uniform(20, 60), rng.uniform(300, 900)) for at in crowds]
    out = []
    for t in times:
        rate = base
        for at, height, rise, decay in shapes:
            if t >= at:
                up = min(1.0, (t - at) / rise)
                down = math.exp(-max(0.0, t - at - rise) / decay)
                rate += base * (height - 1) * up * down
        out.append((t, _clamp(rate * (1 + rng.gauss(0, 0.03)))))
    return out


def drift(rng: random.Random, duration: float) -> list[tuple[float, float]]:
    start, end = rng.uniform(200, 450), rng.uniform(900, 1300)
    if rng.random() < 0.5:
        start, end = end, start
    times = _times(duration)
    walk = _ar_noise(rng, len(times), 0.08, 0.995)
    return [(t, _clamp((start + (end - start) * t / duration) * (1 + w))) for t, w in zip(times, walk)]


def noise(rng: random.Random, duration: float) -> list[tuple[float, float]]:
    mean = rng.uniform(500, 900)
    times = _times(duration)
    wobble = _ar_noise(rng, len(times), 0.12, 0.9)
    out = []
    for t, w in zip(times, wobble):
        dip = 0.6 if rng.random() < 0.01 else 1.0
        out.append((t, _clamp(mean * (1 + max(-0.25, min(0.25, w))) * dip)))
    return out


GENERATORS: dict[str, Callable[[random.Random, float], list[tuple[float, float]]]] = {
    "diurnal": diurnal,
    "bursts": bursts,
    "flash": flash,
    "drift": drift,
    "noise": noise,
}


def trace(shape: str, seed: int, duration: float) -> list[tuple[float, float]]:
    if shape not in GENERATORS:
        raise KeyError(f"unknown trace shape {shape!r} (known: {', '.join(SHAPES)})")
    return GENERATORS[shape](random.Random(f"{shape}:{seed}"), duration)


def profile(shape: str, seed: int, duration: float) -> ReplayProfile:
    points = trace(shape, seed, duration)
    return ReplayProfile(tuple(t for t, _ in points), tuple(r for _, r in points))


def write_csv(shape: str, seed: int, duration: float, out: Path) -> Path:
    path = out / f"{shape}-{seed}.csv"
    path.write_text("t,rate\n" + "".join(f"{t:.0f},{r:.1f}\n" for t, r in trace(shape, seed, duration)))
    return path
