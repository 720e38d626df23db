"""Fault targets as people write them: an instance name, "role:<role>", "pid:<n>" or "operator:<name>"."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

from scaletui.chaos import procs
from scaletui.cluster.base import Instance
from scaletui.errors import ConfigError

OperatorPlacement = Callable[[str], list[str]]
"""Operator name -> names of the instances running its subtasks (from the cluster backend, when it knows)."""
NOT_IN_SERVICE = ("stopped", "starting")
"""States a role target leaves out: a role names the instances serving when the fault fires. One still starting (a
TaskManager not yet registered, a pod not yet Ready) is treated like one started later: it holds no connections yet
to delay or cut, and on a testbed it is mid-rescale, not part of the job."""


def resolve(
    specs: Sequence[str], instances: Sequence[Instance], operators: OperatorPlacement | None = None
) -> tuple[Instance, ...]:
    """The instances `specs` name, each once, in order; an unknown target is a ConfigError."""
    if not specs:
        raise ConfigError(
            "A fault needs at least one target.",
            'Name an instance, "role:taskmanager", "pid:<n>" or "operator:<name>".',
        )
    by_name = {i.name: i for i in instances}
    chosen: dict[str, Instance] = {}
    for spec in specs:
        found = _one(spec, instances, by_name, operators)
        if not found:
            raise ConfigError(
                f"Fault target {spec!r} matches no running instance.",
                f"Known instances: {', '.join(by_name) or 'none'}.",
            )
        for inst in found:
            chosen.setdefault(inst.name, inst)
    return tuple(chosen.values())


def _one(
    spec: str, instances: Sequence[Instance], by_name: dict[str, Instance], operators: OperatorPlacement | None
) -> list[Instance]:
    kind, _, value = spec.partition(":")
    if kind == "role" and value:
        return [i for i in instances if i.role == value and i.state not in NOT_IN_SERVICE]
    if kind == "pid" and value.isdigit():
        pid = int(value)
        same = [i for i in instances if i.pid == pid]
        if same:
            return same
        return [Instance(name=spec, role="other", state="running", pid=pid)] if procs.start_time(pid) else []
    if kind == "operator" and value:
        if operators is None:
            raise ConfigError(
                f"Fault target {spec!r} needs to know where operator {value} runs, "
                "which this cluster backend does not tell.",
                'Target instances by name or by "role:taskmanager" instead.',
            )
        return [by_name[n] for n in operators(value) if n in by_name]
    return [by_name[spec]] if spec in by_name else []


def left_out(specs: Sequence[str], instances: Sequence[Instance]) -> list[str]:
    """The instances a role target in `specs` leaves out because they are still starting, to say so."""
    roles = {value for kind, _, value in (s.partition(":") for s in specs) if kind == "role" and value}
    return [i.name for i in instances if i.role in roles and i.state == "starting"]


def select(
    targets: Sequence[Instance], mode: str = "all", value: int | None = None, rng: random.Random | None = None
) -> tuple[Instance, ...]:
    """The targets a fault hits under a Chaos Mesh selection mode, as Chaos Mesh picks them (pkg/selector/generic/
    mode.go): one at random; `value` of them; `value` percent rounded up; or up to `value` percent at random (which
    may be none). Kept in their given order."""
    pick = rng or random.Random()
    n = len(targets)
    if mode == "all" or n == 0:
        return tuple(targets)
    if mode == "one":
        count = 1
    elif mode == "fixed":
        count = min(int(value or 0), n)
    elif mode == "fixed-percent":
        count = math.ceil(n * int(value or 0) / 100)
    elif mode == "random-max-percent":
        count = math.ceil(n * pick.randint(0, int(value or 0)) / 100)
    else:
        raise ConfigError(
            f"Unknown selection mode {mode!r}.", "Use all, one, fixed, fixed-percent or random-max-percent."
        )
    chosen = set(pick.sample(range(n), min(count, n)))
    return tuple(t for i, t in enumerate(targets) if i in chosen)
