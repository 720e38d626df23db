"""Flink REST replies in Flink's own JSON shapes (/jobs/overview, /jobs/{id}, /jobs/{id}/plan, /overview, resource
requirements), served behind the fake API server's service proxy. Each vertex after the first reads the one before
it through a HASH edge (a keyBy), as the plan's `inputs` say."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeFlinkRest:
    job_id: str = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    vertices: dict[str, tuple[str, int]] = field(
        default_factory=lambda: {
            "cbc357ccb763df2852fee8c4fc7d55f2": ("Source: numbers", 1),
            "90bea66de1c231edf33913ecd54406c1": ("expensive", 2),
        }
    )
    taskmanagers: int = 2
    running: bool = True
    """False: the cluster runs no job (before the first submission)."""
    puts: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        path = path.split("?")[0]
        if path == "/jobs/overview" and not self.running:
            return 200, {"jobs": []}
        if path == "/jobs/overview":
            return 200, {
                "jobs": [
                    {
                        "jid": self.job_id,
                        "name": "workload",
                        "state": "RUNNING",
                        "start-time": 1,
                        "end-time": -1,
                        "duration": 1000,
                    }
                ]
            }
        if path == f"/jobs/{self.job_id}":
            return 200, {
                "jid": self.job_id,
                "name": "workload",
                "state": "RUNNING",
                "vertices": [
                    {"id": vid, "name": name, "parallelism": p, "maxParallelism": 128, "status": "RUNNING"}
                    for vid, (name, p) in self.vertices.items()
                ],
            }
        if path == f"/jobs/{self.job_id}/plan":
            ids = list(self.vertices)
            nodes = [
                {"id": vid, "parallelism": p, "operator": "", "description": name,
                 "inputs": [{"num": 0, "id": ids[n - 1], "ship_strategy": "HASH", "exchange": "pipelined_bounded"}]
                 if n else []}
                for n, (vid, (name, p)) in enumerate(self.vertices.items())
            ]  # fmt: skip
            return 200, {"plan": {"jid": self.job_id, "name": "workload", "type": "STREAMING", "nodes": nodes}}
        if path == "/overview":
            return 200, {
                "taskmanagers": self.taskmanagers,
                "slots-total": 2 * self.taskmanagers,
                "slots-available": 2 * self.taskmanagers - sum(p for _, p in self.vertices.values()),
                "jobs-running": int(self.running),
                "flink-version": "1.20.0",
            }
        if path == f"/jobs/{self.job_id}/resource-requirements":
            if method == "PUT":
                self.puts.append(json.loads(json.dumps(body)))
                for vid, req in body.items():
                    name, _ = self.vertices[vid]
                    self.vertices[vid] = (name, req["parallelism"]["upperBound"])
                return 200, {}
            return 200, {
                vid: {"parallelism": {"lowerBound": 1, "upperBound": p}} for vid, (_, p) in self.vertices.items()
            }
        return 404, {"errors": ["Not found: " + path]}
