"""The `:` line: a verb from the actions table and its words. Run intents become the engine's timeline steps, the same
models an experiment file's `[[timeline]]` holds, so what is typed here could be written there (and is recorded so).

`:rescale expensive 4`, `:taskmanagers 3`, `:load step 300 900@5m`, `:load sine mean=300 amplitude=200 period=2m`,
`:fault delay taskmanager-1 100ms 30s`, `:fault loss role:taskmanager 5% 1m`,
`:fault partition taskmanager-1 30s peers=taskmanager-2,jobmanager`, `:strategy ds2 target_utilisation=0.8`,
`:pause`, `:resume`, `:dry-run off`, `:submit`, `:cancel-job`, `:revert f-0001`. Navigation verbs (`:pods`, `:theme
light`) return their words for the app to run.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from scaletui.chaos.kinds import split_targets
from scaletui.config.models import (
    CancelJobStep,
    DryRunStep,
    FaultStep,
    LoadSpec,
    LoadStep,
    PauseStep,
    RescaleStep,
    ResumeStep,
    RevertStep,
    StrategyStep,
    SubmitStep,
    TaskManagersStep,
    TimelineStep,
)
from scaletui.config.units import parse_duration
from scaletui.errors import ConfigError
from scaletui.tui.actions import ACTIONS, Action, by_verb
from scaletui.tui.intents import plain_value


@dataclass(frozen=True)
class Parsed:
    action: Action
    step: TimelineStep | None
    """The run intent, or None for a navigation verb (then `args` are its words)."""
    args: tuple[str, ...] = ()


def parse(line: str) -> Parsed:
    """What a `:` line asks for; one ConfigError sentence (with the verb's usage) when it cannot be read."""
    words = line.strip().lstrip(":").split()
    if not words:
        raise ConfigError("Type a command after the colon.", f"Known: {known_verbs()}.")
    action = by_verb(words[0])
    if action is None:
        raise ConfigError(f"Unknown command :{words[0]}.", f"Known: {known_verbs()}.")
    args = words[1:]
    if words[0].lower() == "dash" and not args:
        args = ["dashboard"]
    build = STEPS.get(action.verb_word)
    if build is None:
        return Parsed(action, None, tuple(args))
    try:
        return Parsed(action, build(args), tuple(args))
    except (ValueError, ValidationError) as e:
        reason = _first_error(e)
        raise ConfigError(f":{action.verb_word}: {reason}.", f"Usage: :{action.verb}") from None


def known_verbs() -> str:
    return ", ".join(f":{a.verb_word}" for a in ACTIONS if a.verb)


def _first_error(e: Exception) -> str:
    if isinstance(e, ValidationError):
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"] if p not in ("load", "params"))
        return f"{where}: {err['msg']}" if where else str(err["msg"])
    return str(e).rstrip(".")


def _count(args: list[str], low: int, high: int) -> None:
    if not low <= len(args) <= high:
        wanted = f"{low}" if low == high else f"{low} to {high}"
        raise ValueError(f"expected {wanted} word{'s' if high != 1 else ''} after the verb, got {len(args)}")


def _whole(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{what} must be a whole number, not {text!r}") from None


def _pairs(words: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise ValueError(f"{word!r} is not key=value")
        out[key] = plain_value(value)
    return out


def _rescale(args: list[str]) -> TimelineStep:
    _count(args, 2, 2)
    return RescaleStep(do="rescale", operator=args[0], parallelism=_whole(args[1], "the parallelism"))


def _taskmanagers(args: list[str]) -> TimelineStep:
    _count(args, 1, 1)
    return TaskManagersStep(do="taskmanagers", count=_whole(args[0], "the TaskManager count"))


def _strategy(args: list[str]) -> TimelineStep:
    """`NAME [key=value ...]`: the loop's settings (timing, guard rails) and the strategy's parameters, apart."""
    from scaletui.scaling.loop_settings import check_loop, split_loop
    from scaletui.scaling.registry import STRATEGIES, strategy_names
    from scaletui.scaling.strategy import parse_params

    names = [a for a in args if "=" not in a]
    _count(names, 1, 1)
    if names[0] != "none" and names[0] not in strategy_names():
        raise ValueError(f"unknown strategy {names[0]!r}; choose one of: none, {', '.join(strategy_names())}")
    loop, params = split_loop(_pairs([a for a in args if "=" in a]))
    try:
        step = StrategyStep(do="strategy", name=names[0], params=params, **check_loop(loop))
    except ConfigError as e:
        raise ValueError(e.message) from None
    if own := STRATEGIES.get(step.name):
        try:  # refused here as typed, not later as an error of the strategy's file that the line overrides
            parse_params(own.Params, step.params, ":strategy")
        except ConfigError as e:
            raise ConfigError(e.message, f"Usage: :strategy {step.name} [key=value ...]") from None
    return step


def _load(args: list[str]) -> TimelineStep:
    """`PROFILE [RATE] [RATE@TIME ...] [key=value ...]`: a bare number is the rate, RATE@TIME a step."""
    from scaletui.workload.profiles import build_profile

    if not args:
        raise ValueError("expected a profile (constant, step, ramp, sine, spike, trace)")
    spec: dict[str, Any] = {"profile": args[0]}
    steps: list[list[Any]] = []
    rest: list[str] = []
    for word in args[1:]:
        rate, at, when = word.partition("@")
        if at:
            steps.append([when, plain_value(rate)])
        elif "=" in word:
            rest.append(word)
        elif "rate" in spec:
            raise ValueError(f"a second rate {word!r}: later rates are written RATE@TIME, e.g. 900@5m")
        else:
            spec["rate"] = plain_value(word)
    if steps:
        spec["steps"] = steps
    spec.update(_pairs(rest))
    load = LoadSpec.model_validate(spec)
    try:
        build_profile(load)  # its parameters checked now, with the profile's own sentence
    except ConfigError as e:  # its hint speaks of experiment files; here the fix is in the words typed
        raise ValueError(e.message.rstrip(".")) from None
    return LoadStep(do="load", load=load)


def _milliseconds(value: str) -> float:
    """`100ms`, `0.2s`, or a bare `100`, which is milliseconds as the parameter's name says."""
    bare = value.removesuffix("ms")
    if bare.replace(".", "", 1).isdigit():
        return float(bare)
    return parse_duration(value) * 1000


UNIT_PARAMS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "delay": ("latency_ms", _milliseconds),
    "loss": ("percent", lambda v: float(v.removesuffix("%"))),
    "bandwidth": ("rate", str),
    "cpu-stress": ("load", lambda v: int(v.removesuffix("%"))),
    "memory-stress": ("size", str),
}
"""A fault's main value written bare after its duration: `100ms` of delay, `5%` loss, `1mbit` of bandwidth."""


FAULT_EXAMPLES: dict[str, str] = {
    "delay": "delay taskmanager-1 100ms 30s jitter_ms=10",
    "loss": "loss role:taskmanager 5% 1m",
    "bandwidth": "bandwidth taskmanager-1 1mbit 30s",
    "partition": "partition taskmanager-1 30s peers=taskmanager-2,jobmanager direction=both",
    "kill": "kill taskmanager-1 30s",
    "pause": "pause taskmanager-1 30s",
    "cpu-stress": "cpu-stress taskmanager-1 80% 30s workers=2",
    "memory-stress": "memory-stress taskmanager-1 256MB 30s workers=1",
}
"""One `:fault` line per kind: the syntax a refused line is answered with."""


def _fault(args: list[str]) -> TimelineStep:
    if len(args) < 3:
        raise ValueError("expected KIND TARGETS [VALUE] DURATION, e.g. delay taskmanager-1 100ms 30s")
    kind, targets = args[0], split_targets(args[1])
    if not targets:  # not read as every TaskManager, as the fault form refuses it (review 38 F9)
        raise ValueError("name at least one target, e.g. taskmanager-1 or role:taskmanager for every TaskManager")
    rest = _join_brackets(args[2:])
    params: dict[str, Any] = {}
    bare = [w for w in rest if "=" not in w]
    if kind in UNIT_PARAMS and len(bare) == 2:
        name, convert = UNIT_PARAMS[kind]
        try:
            params[name] = convert(bare[0])
        except ValueError:
            raise ValueError(f"{bare[0]!r} is not a {name.replace('_', ' ')} value") from None
        bare = bare[1:]
    if len(bare) != 1:
        raise ValueError("expected one duration (e.g. 30s) after the targets, with the value before it for "
                         f"{', '.join(UNIT_PARAMS)}")  # fmt: skip
    params.update(_fault_pairs(kind, [w for w in rest if "=" in w]))
    step = FaultStep.model_validate(
        {"do": "fault", "kind": kind, "targets": targets, "duration": bare[0], "params": params}
    )
    from scaletui.chaos.params import parse as parse_params

    try:
        parse_params(step.kind, step.params, ":fault")  # refused here, in one sentence, before anything is created
    except ConfigError as e:
        raise ConfigError(e.message, f"Write it as :fault {FAULT_EXAMPLES[step.kind]}. {e.hint}") from None
    return step


def _join_brackets(words: list[str]) -> list[str]:
    """`peers=["a",` `"b"]` -> one word: a list typed with spaces after its commas."""
    joined: list[str] = []
    for word in words:
        if joined and joined[-1].count("[") > joined[-1].count("]"):
            joined[-1] += word
        else:
            joined.append(word)
    return joined


def _fault_pairs(kind: str, words: list[str]) -> dict[str, Any]:
    """`key=value` words; a list parameter (a partition's peers) is written `a,b`, `[a,b]` or `["a", "b"]`."""
    from scaletui.chaos.params import MODELS, list_fields

    lists = list_fields(kind) if kind in MODELS else frozenset()
    out = _pairs(words)
    for word in words:
        key, _, text = word.partition("=")
        if text.startswith("[") and text.endswith("]"):
            out[key] = _list(text)
        elif key in lists:
            out[key] = [item for item in text.split(",") if item]
    return out


def _list(text: str) -> list[Any]:
    """A TOML array, or bare words between brackets: `[jobmanager, taskmanager-2]`."""
    try:
        return list(tomllib.loads(f"v = {text}")["v"])
    except tomllib.TOMLDecodeError:
        return [item.strip().strip("\"'") for item in text[1:-1].split(",") if item.strip()]


def _none(step: TimelineStep) -> Callable[[list[str]], TimelineStep]:
    def build(args: list[str]) -> TimelineStep:
        _count(args, 0, 0)
        return step

    return build


def _dry_run(args: list[str]) -> TimelineStep:
    _count(args, 0, 1)
    word = (args or ["on"])[0].lower()
    if word not in ("on", "off"):
        raise ValueError(f"expected on or off, not {word!r}")
    return DryRunStep(do="dry-run", on=word == "on")


def _revert(args: list[str]) -> TimelineStep:
    _count(args, 0, 1)
    return RevertStep(do="revert", fault=(args or ["all"])[0])


STEPS: dict[str, Callable[[list[str]], TimelineStep]] = {
    "rescale": _rescale,
    "taskmanagers": _taskmanagers,
    "strategy": _strategy,
    "load": _load,
    "fault": _fault,
    "pause": _none(PauseStep(do="pause")),
    "resume": _none(ResumeStep(do="resume")),
    "dry-run": _dry_run,
    "submit": _none(SubmitStep(do="submit")),
    "cancel-job": _none(CancelJobStep(do="cancel-job")),
    "revert": _revert,
}
