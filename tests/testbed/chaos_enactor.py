"""Chaos Mesh in the stand-in: admission, then enactment as REAL local faults on the selected pods' processes.

Admission does what the API server and Chaos Mesh's webhook do: the CRD's openAPIV3Schema (tests/chaos/
chaos_mesh_crds.json) refuses with 422 Invalid, the webhook's rules (tests/chaos/chaos_mesh_webhook.py) with 400
"admission webhook ... denied the request". An admitted resource is enacted by scaletui's own local fault backend
(NetworkChaos delay -> the NFQUEUE delay queue or netem, loss/partition -> iptables DROP, bandwidth -> tbf,
PodChaos pod-kill -> SIGKILL, pod-failure -> SIGSTOP, StressChaos -> stress-ng) on the processes behind the pods its
selector and mode pick, and lifted when the resource is deleted or its `duration` has passed, as Chaos Mesh does
(the resource itself stays until deleted, its status saying it recovered).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from scaletui.chaos.backend import PlannedFault
from scaletui.chaos.params import parse
from scaletui.chaos.process_faults import LocalFaults
from scaletui.cluster.base import Instance
from tests.chaos.chaos_mesh_webhook import denials, go_parse_duration
from tests.fakes.k8s_objects import status

CRDS = json.loads((Path(__file__).parents[1] / "chaos" / "chaos_mesh_crds.json").read_text())["schemas"]
WEBHOOKS = {"NetworkChaos": "vnetworkchaos", "PodChaos": "vpodchaos", "StressChaos": "vstresschaos"}


@dataclass
class Enacted:
    """One resource's local fault: the undo steps to run, when it expires, and what the enactment measured."""

    key: str
    fault: PlannedFault
    steps: list[dict[str, Any]] = field(default_factory=list)
    expires: float = 0.0
    enacted_at: float = 0.0
    lifted_at: float | None = None
    error: str = ""


class ChaosEnactor:
    """Chaos Mesh's controller and daemons, for the stand-in's pods; `pods()` gives every pod with its pid."""

    def __init__(self, pods: Callable[[], list[Instance]]) -> None:
        self.pods = pods
        self.backend = LocalFaults(instances=pods)
        self.enacted: dict[str, Enacted] = {}
        self.history: list[Enacted] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._expire, name="standin-chaos-expiry", daemon=True)
        self._thread.start()

    # --- the API server's hooks -----------------------------------------------------------------------------------

    def admit(self, doc: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        kind, name = doc.get("kind", ""), doc.get("metadata", {}).get("name", "")
        schema = CRDS.get(kind)
        if schema is None:
            return 404, status(404, "NotFound", f"no kind {kind!r} is registered for chaos-mesh.org/v1alpha1")
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors:
            where = ".".join(str(p) for p in errors[0].absolute_path)
            message = f'{kind}.chaos-mesh.org "{name}" is invalid: {where}: {errors[0].message}'
            return 422, status(422, "Invalid", message)
        denied = denials(doc)
        if denied:
            hook = WEBHOOKS[kind]
            return 400, status(400, "BadRequest", f'admission webhook "{hook}.kb.io" denied the request: {denied[0]}')
        return None

    def on_custom(self, event: str, doc: dict[str, Any]) -> None:
        key = f"{doc['kind']}/{doc['metadata']['name']}"
        if event == "ADDED":
            threading.Thread(target=self._enact, args=(key, doc), name="standin-chaos-enact", daemon=True).start()
        else:
            self.lift(key)

    # --- enact and lift -------------------------------------------------------------------------------------------

    def _enact(self, key: str, doc: dict[str, Any]) -> None:
        spec = doc["spec"]
        kind, params = _fault_of(doc["kind"], spec)
        wanted = {name for names in spec["selector"].get("pods", {}).values() for name in names}
        targets = tuple(p for p in self.pods() if p.name in wanted)
        duration = go_parse_duration(spec["duration"]) / 1e9 if spec.get("duration") else 3600.0
        fault = PlannedFault(secrets.token_hex(6), kind, targets, parse(kind, params), duration)
        record = Enacted(key, fault, expires=time.monotonic() + duration)
        with self._lock:
            self.enacted[key] = record
            self.history.append(record)
        try:
            self.backend.inject(fault, record.steps.append)
        except Exception as e:  # Chaos Mesh records a failed injection in the status; so do we
            record.error = str(getattr(e, "message", e))
        record.enacted_at = time.monotonic()
        doc["status"] = {"conditions": [{"type": "AllInjected", "status": "False" if record.error else "True"}],
                         "experiment": {"desiredPhase": "Run"}}  # fmt: skip

    def lift(self, key: str) -> None:
        with self._lock:
            record = self.enacted.pop(key, None)
        if record is None:
            return
        deadline = time.monotonic() + 10
        while not record.enacted_at and time.monotonic() < deadline:  # still being enacted: let it finish first
            time.sleep(0.02)
        for step in reversed(record.steps):
            self.backend.undo(step)
        record.lifted_at = time.monotonic()

    def _expire(self) -> None:
        while not self._stop.wait(0.1):
            now = time.monotonic()
            with self._lock:
                due = [k for k, r in self.enacted.items() if r.enacted_at and r.expires <= now]
            for key in due:
                self.lift(key)

    def close(self) -> None:
        """Lift everything still enacted (the stand-in leaves nothing behind)."""
        self._stop.set()
        self._thread.join(timeout=5)
        for key in list(self.enacted):
            self.lift(key)


def _fault_of(kind: str, spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The scaletui fault that enacts this spec, with the selection mode carried over."""
    select: dict[str, Any] = {"mode": spec.get("mode", "all")}
    if spec.get("value"):
        select["value"] = int(spec["value"])
    if kind == "PodChaos":
        return ("pause" if spec["action"] == "pod-failure" else "kill"), select
    if kind == "StressChaos":
        stressors = spec["stressors"]
        if "memory" in stressors:
            mem = stressors["memory"]
            return "memory-stress", {**select, "workers": mem["workers"], "size": mem.get("size", "256MB")}
        cpu = stressors["cpu"]
        return "cpu-stress", {**select, "workers": cpu["workers"], "load": cpu.get("load", 100) or 1}
    action = spec["action"]
    if action == "delay":
        d = spec["delay"]
        return "delay", {**select, "latency_ms": go_parse_duration(d["latency"]) / 1e6,
                         "jitter_ms": go_parse_duration(d.get("jitter") or "0") / 1e6,
                         "correlation": float(d.get("correlation") or 0)}  # fmt: skip
    if action == "loss":
        return "loss", {**select, "percent": float(spec["loss"]["loss"])}
    if action == "bandwidth":
        b = spec["bandwidth"]
        return "bandwidth", {**select, "rate": b["rate"], "limit": b["limit"], "buffer": b["buffer"]}
    peers = [name for names in spec["target"]["selector"].get("pods", {}).values() for name in names]
    return "partition", {**select, "peers": peers, "direction": spec.get("direction", "to")}
