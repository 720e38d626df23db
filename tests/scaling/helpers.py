"""Hand-made observations: a chain source -> parse -> expensive -> window -> sink with chosen numbers."""

from __future__ import annotations

from scaletui.scaling.observation import Observation, OperatorObservation

CHAIN = ("source", "parse", "expensive", "window", "sink")


def op(
    name: str,
    p: int = 1,
    rate: float = 100.0,
    busy: float = 100.0,
    out: float | None = None,
    upstream: tuple[str, ...] | None = None,
    keyed: bool = False,
    max_p: int = 32,
) -> OperatorObservation:
    if upstream is None:
        i = CHAIN.index(name) if name in CHAIN else 0
        upstream = (CHAIN[i - 1],) if i else ()
    return OperatorObservation(
        name=name,
        parallelism=p,
        max_parallelism=max_p,
        in_rate=rate,
        out_rate=rate if out is None else out,
        busy_ms=busy,
        backpressured_ms=0.0,
        is_source=not upstream,
        keyed_input=keyed,
        upstream=upstream,
    )


def obs(
    *ops: OperatorObservation,
    target: float = 100.0,
    t: float = 100.0,
    taskmanagers: int = 1,
    slots: int = 2,
    p99: tuple[float | None, ...] = (),
    node_cpu: dict[str, float] | None = None,
    backlog: float = 0.0,
    slot_nodes: tuple[str, ...] = (),
    matrix: dict[str, dict[str, float]] | None = None,
) -> Observation:
    return Observation(
        t=t,
        window_s=10.0,
        samples=10,
        operators={o.name: o for o in ops},
        target_rate=target,
        achieved_rate=target,
        backlog=backlog,
        latency_ms={"p99": p99[-1] if p99 else 100.0},
        p99_series=p99,
        taskmanagers=taskmanagers,
        total_slots=taskmanagers * slots,
        free_slots=0,
        node_cpu=node_cpu or {},
        slot_nodes=slot_nodes,
        latency_matrix=matrix,
    )
