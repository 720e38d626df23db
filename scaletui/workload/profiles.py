"""Load profiles: the target source rate (records per second) as a function of experiment time.

An experiment file's `[load]` table names a `profile` and gives its parameters; `build_profile` checks them here,
before anything runs, and every error names the key and what was expected. Times are seconds from the start of the
run and accept the duration forms of `config.units` ("90s", "3m").
"""

from __future__ import annotations

import bisect
import csv
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from scaletui.config.models import LoadSpec
from scaletui.config.units import parse_duration
from scaletui.errors import ConfigError


class LoadProfile(Protocol):
    @property
    def name(self) -> str:
        """The profile's kind: constant, step, ramp, sine, spike or replay."""
        ...

    def rate_at(self, t: float) -> float:
        """Target records per second at `t` seconds after the start of the run (never negative)."""
        ...


@dataclass(frozen=True)
class ConstantProfile:
    rate: float
    name: str = "constant"

    def rate_at(self, t: float) -> float:
        return self.rate


@dataclass(frozen=True)
class StepProfile:
    """`rate` until the first step, then each step's rate from its time on."""

    rate: float
    steps: tuple[tuple[float, float], ...]
    name: str = "step"

    def rate_at(self, t: float) -> float:
        current = self.rate
        for at, rate in self.steps:
            if t < at:
                break
            current = rate
        return current


@dataclass(frozen=True)
class RampProfile:
    """`start` until `at`, linearly to `end` over `duration`, then `end`."""

    start: float
    end: float
    duration: float
    at: float = 0.0
    name: str = "ramp"

    def rate_at(self, t: float) -> float:
        if t <= self.at:
            return self.start
        if self.duration <= 0 or t >= self.at + self.duration:
            return self.end
        return self.start + (self.end - self.start) * (t - self.at) / self.duration


@dataclass(frozen=True)
class SineProfile:
    mean: float
    amplitude: float
    period: float
    phase: float = 0.0
    name: str = "sine"

    def rate_at(self, t: float) -> float:
        return max(0.0, self.mean + self.amplitude * math.sin(2 * math.pi * (t - self.phase) / self.period))


@dataclass(frozen=True)
class SpikeProfile:
    """`rate`, with `peak` from `at` for `duration`; repeated every `every` seconds when `every` > 0."""

    rate: float
    peak: float
    at: float
    duration: float
    every: float = 0.0
    name: str = "spike"

    def rate_at(self, t: float) -> float:
        if t < self.at:
            return self.rate
        offset = t - self.at
        if self.every > 0:
            offset = math.fmod(offset, self.every)
        return self.peak if offset < self.duration else self.rate


@dataclass(frozen=True)
class ReplayProfile:
    """A recorded trace of (t, rate) points, linearly interpolated (or held), optionally looped and scaled."""

    times: tuple[float, ...]
    rates: tuple[float, ...]
    loop: bool = False
    scale: float = 1.0
    hold: bool = False
    name: str = "replay"

    def rate_at(self, t: float) -> float:
        times, rates = self.times, self.rates
        if self.loop and times[-1] > times[0]:
            t = times[0] + math.fmod(max(0.0, t - times[0]), times[-1] - times[0])
        if t <= times[0]:
            return rates[0] * self.scale
        if t >= times[-1]:
            return rates[-1] * self.scale
        i = bisect.bisect_right(times, t) - 1
        if self.hold:
            return rates[i] * self.scale
        t0, t1, r0, r1 = times[i], times[i + 1], rates[i], rates[i + 1]
        return (r0 + (r1 - r0) * (t - t0) / (t1 - t0)) * self.scale


# --- building from an experiment's [load] table ----------------------------------------------------------------


PARAMETERS: dict[str, tuple[str, ...]] = {
    "constant": ("rate",),
    "step": ("rate", "steps"),
    "ramp": ("start", "end", "duration", "at"),
    "sine": ("mean", "amplitude", "period", "phase"),
    "spike": ("rate", "peak", "at", "duration", "every"),
    "replay": ("file", "scale", "interpolate", "loop"),
}
"""Each profile's parameters besides `profile`, as `:load`'s Tab offers them: its builder reads these and no other
(_Params.take checks), and a table holding one it did not read is refused."""


class _Params:
    """Typed access to a profile's parameters; each error names `load.<key>` and the expectation."""

    def __init__(self, profile: str, raw: Mapping[str, Any], base_dir: Path | None) -> None:
        self.profile = profile
        self.raw = dict(raw)
        self.base_dir = base_dir
        self.used: set[str] = set()

    def take(self, key: str, default: Any = None) -> Any:
        """The raw value of `key`, one of the profile's PARAMETERS, marked as read."""
        assert key in PARAMETERS[self.profile], f"{key} is not among the {self.profile} profile's PARAMETERS"
        self.used.add(key)
        return self.raw.get(key, default)

    def fail(self, key: str, expected: str, got: Any = None) -> ConfigError:
        shown = f", got {got!r}" if got is not None else ""
        return ConfigError(
            f"load.{key}: expected {expected} for the {self.profile} profile{shown}.",
            "Fix the [load] table of the experiment file.",
        )

    def rate(self, key: str, default: float | None = None) -> float:
        value = self.take(key, default)
        if value is None:
            raise self.fail(key, "a rate in records per second (it is required)")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or math.isinf(value):
            raise self.fail(key, "a rate in records per second, 0 or more", value)
        return float(value)

    def number(self, key: str, default: float) -> float:
        value = self.take(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(key, "a number", value)
        return float(value)

    def duration(self, key: str, default: float | None = None, positive: bool = False) -> float:
        value = self.take(key, default)
        if value is None:
            raise self.fail(key, 'a duration like 60, "90s" or "3m" (it is required)')
        try:
            seconds = parse_duration(value)
        except ValueError:
            raise self.fail(key, 'a duration like 60, "90s" or "3m"', value) from None
        if positive and seconds <= 0:
            raise self.fail(key, "a duration greater than zero", value)
        return seconds

    def flag(self, key: str, default: bool) -> bool:
        value = self.take(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "true or false", value)
        return value

    def text(self, key: str) -> str:
        value = self.take(key)
        if not isinstance(value, str) or not value:
            raise self.fail(key, "a file path (it is required)", value)
        return value

    def steps(self) -> tuple[tuple[float, float], ...]:
        value = self.take("steps")
        if not isinstance(value, list) or not value:
            raise self.fail("steps", 'a list of [time, rate] pairs such as [["60s", 800], ["5m", 400]]', value)
        out: list[tuple[float, float]] = []
        for i, pair in enumerate(value):
            if not isinstance(pair, list) or len(pair) != 2:
                raise self.fail(f"steps[{i}]", "a [time, rate] pair", pair)
            try:
                at = parse_duration(pair[0])
            except ValueError:
                raise self.fail(f"steps[{i}][0]", 'a duration like 60 or "90s"', pair[0]) from None
            rate = pair[1]
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 0:
                raise self.fail(f"steps[{i}][1]", "a rate in records per second, 0 or more", rate)
            if out and at <= out[-1][0]:
                raise self.fail(f"steps[{i}][0]", "times in increasing order", pair[0])
            out.append((at, float(rate)))
        return tuple(out)

    def refuse_unknown(self) -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            raise ConfigError(
                f"load.{unknown[0]}: is not a parameter of the {self.profile} profile (check its spelling).",
                "Fix the [load] table of the experiment file.",
            )


def read_trace(path: Path) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Read a `t,rate` CSV (header optional, times increasing); one ConfigError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such trace file.", "Give load.file as a CSV with columns t,rate.") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot be read as text ({e}).", "Give a UTF-8 CSV with columns t,rate.") from None
    times: list[float] = []
    rates: list[float] = []
    for lineno, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if len(row) < 2:
            raise ConfigError(f"{path}: line {lineno} expected two columns t,rate, got {row!r}.")
        try:
            t, rate = float(row[0]), float(row[1])
        except ValueError:
            if not times and lineno == 1:
                continue  # a header line
            raise ConfigError(f"{path}: line {lineno} expected numbers t,rate, got {row!r}.") from None
        if not (math.isfinite(t) and math.isfinite(rate)) or rate < 0:
            raise ConfigError(f"{path}: line {lineno} expected a finite time and a rate of 0 or more, got {row!r}.")
        if times and t <= times[-1]:
            raise ConfigError(f"{path}: line {lineno} expected times in increasing order, got t={t} after {times[-1]}.")
        times.append(t)
        rates.append(rate)
    if not times:
        raise ConfigError(f"{path}: the trace has no t,rate rows.", "Give at least one line such as `0,500`.")
    return tuple(times), tuple(rates)


def _constant(p: _Params) -> LoadProfile:
    return ConstantProfile(p.rate("rate"))


def _step(p: _Params) -> LoadProfile:
    return StepProfile(p.rate("rate"), p.steps())


def _ramp(p: _Params) -> LoadProfile:
    return RampProfile(p.rate("start"), p.rate("end"), p.duration("duration", positive=True), p.duration("at", 0.0))


def _sine(p: _Params) -> LoadProfile:
    mean, amplitude = p.rate("mean"), p.rate("amplitude")
    return SineProfile(mean, amplitude, p.duration("period", positive=True), p.duration("phase", 0.0))


def _spike(p: _Params) -> LoadProfile:
    return SpikeProfile(
        p.rate("rate"),
        p.rate("peak"),
        p.duration("at"),
        p.duration("duration", positive=True),
        p.duration("every", 0.0),
    )


def _replay(p: _Params) -> LoadProfile:
    file = Path(p.text("file")).expanduser()
    if not file.is_absolute() and p.base_dir is not None:
        file = p.base_dir / file
    scale = p.number("scale", 1.0)
    if scale < 0:
        raise p.fail("scale", "a factor of 0 or more", scale)
    interpolate = p.take("interpolate", "linear")
    if interpolate not in ("linear", "hold"):
        raise p.fail("interpolate", '"linear" or "hold"', interpolate)
    times, rates = read_trace(file)
    return ReplayProfile(times, rates, loop=p.flag("loop", False), scale=scale, hold=interpolate == "hold")


BUILDERS: dict[str, Callable[[_Params], LoadProfile]] = {
    "constant": _constant,
    "step": _step,
    "ramp": _ramp,
    "sine": _sine,
    "spike": _spike,
    "replay": _replay,
}


def build_profile(spec: LoadSpec, base_dir: Path | None = None) -> LoadProfile:
    """The profile an experiment's `[load]` table describes; relative trace paths resolve against `base_dir`."""
    builder = BUILDERS.get(spec.profile)
    if builder is None:
        raise ConfigError(
            f"load.profile: expected one of {', '.join(BUILDERS)}, got {spec.profile!r}.",
            "Fix the [load] table of the experiment file.",
        )
    params = _Params(spec.profile, spec.model_extra or {}, base_dir)
    profile = builder(params)
    params.refuse_unknown()
    return profile
