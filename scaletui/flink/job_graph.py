"""A running Flink job as the `cluster` protocol sees it: operators by stable name, with parallelism and edges.

Vertex names carry Flink's decorations ("Source: source", "sink: Writer", "a -> b" for chains); the operator name is
the first chained operator's own name, which the workload job sets equal to its uid.
"""

from __future__ import annotations

from typing import Any

from scaletui.cluster.base import JobInfo, OperatorInfo
from scaletui.flink.rest import FlinkRestClient

ACTIVE_STATES = ("CREATED", "INITIALIZING", "RUNNING", "RESTARTING", "RECONCILING", "FAILING", "CANCELLING")


def operator_name(vertex_name: str) -> str:
    """ "Source: source" -> "source", "sink: Writer" -> "sink", "parse -> Sink: x" -> "parse"."""
    name = vertex_name.split(" -> ", 1)[0].strip()
    if name.startswith("Source: "):
        name = name[len("Source: ") :]
    for suffix in (": Writer", ": Committer"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def metric_scope(vertex_name: str) -> str:
    """How Flink names the vertex's first operator in metric ids: spaces and dots become '_' ("sink__Writer")."""
    first = vertex_name.split(" -> ", 1)[0].strip()
    if first.startswith("Source: "):
        first = first.replace(": ", "__", 1)
    return first.replace(":", "_").replace(" ", "_").replace(".", "_")


def keyed_vertices(plan: dict[str, Any]) -> set[str]:
    """Vertex ids fed by a hash (keyBy) edge."""
    keyed = set()
    for node in plan.get("nodes", []):
        for edge in node.get("inputs", []) or []:
            if str(edge.get("ship_strategy", "")).upper() == "HASH":
                keyed.add(str(node["id"]))
    return keyed


def describe_job(rest: FlinkRestClient, job_id: str, keyed: set[str] | None = None) -> JobInfo:
    """JobInfo from /jobs/<id> (and the plan, unless `keyed` is already known)."""
    detail = rest.job(job_id)
    if keyed is None:
        keyed = keyed_vertices(rest.job_plan(job_id))
    return job_info(detail, keyed)


def job_info(detail: dict[str, Any], keyed: set[str]) -> JobInfo:
    operators = []
    for index, vertex in enumerate(detail.get("vertices", [])):
        name = str(vertex["name"])
        operators.append(
            OperatorInfo(
                name=operator_name(name),
                vertex_id=str(vertex["id"]),
                parallelism=int(vertex["parallelism"]),
                max_parallelism=int(vertex.get("maxParallelism", vertex["parallelism"])),
                keyed_input=str(vertex["id"]) in keyed,
                is_source=name.startswith("Source: ") or index == 0,
            )
        )
    return JobInfo(
        job_id=str(detail["jid"]), name=str(detail["name"]), state=str(detail["state"]), operators=tuple(operators)
    )


def running_job(rest: FlinkRestClient, name: str | None = None) -> str | None:
    """The id of the newest active job (optionally with this name), or None."""
    jobs = [j for j in rest.jobs() if j["state"] in ACTIVE_STATES and (name is None or j["name"] == name)]
    if not jobs:
        return None
    return str(max(jobs, key=lambda j: j.get("start-time", 0))["jid"])
