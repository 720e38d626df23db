"""Faults on Kubernetes as Chaos Mesh resources (chaos-mesh.org/v1alpha1): NetworkChaos for delay, loss and
bandwidth, PodChaos for kill (pod-kill, or container-kill when a container is named) and pause (pod-failure),
StressChaos for CPU stress.

Every resource carries a duration, so Chaos Mesh itself ends the fault even if scaletui is gone, and is validated
against `chaos_mesh.schema.json` before it is sent. The delete is recorded before the create, and deleting a
resource that is already gone counts as done.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from scaletui.chaos.backend import PlannedFault, WriteAhead
from scaletui.chaos.params import BandwidthParams, DelayParams, KillParams, LossParams, StressParams
from scaletui.errors import ConfigError, PlatformError

GROUP = "chaos-mesh.org"
VERSION = "v1alpha1"
PLURALS = {"NetworkChaos": "networkchaos", "PodChaos": "podchaos", "StressChaos": "stresschaos"}
MANAGED_BY = {"app.kubernetes.io/managed-by": "scaletui"}
SCHEMA_FILE = Path(__file__).with_name("chaos_mesh.schema.json")


def go_duration(seconds: float) -> str:
    """A Go duration string Chaos Mesh parses: whole seconds as "90s", otherwise milliseconds."""
    ms = round(seconds * 1000)
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def _num(value: float) -> str:
    return f"{value:g}"


def resource(fault: PlannedFault, namespace: str) -> dict[str, Any]:
    """The Chaos Mesh resource for `fault`, aimed at its target pods (by name) in `namespace`."""
    p = fault.params
    spec: dict[str, Any] = {
        "mode": "all",
        "selector": {"pods": {namespace: [t.name for t in fault.targets]}},
        "duration": go_duration(fault.duration),
    }
    if isinstance(p, DelayParams):
        kind = "NetworkChaos"
        delay = {
            "latency": f"{_num(p.latency_ms)}ms",
            "jitter": f"{_num(p.jitter_ms)}ms",
            "correlation": _num(p.correlation),
        }
        spec |= {"action": "delay", "direction": "to", "delay": delay}
    elif isinstance(p, LossParams):
        kind = "NetworkChaos"
        spec |= {
            "action": "loss",
            "direction": "to",
            "loss": {"loss": _num(p.percent), "correlation": _num(p.correlation)},
        }
    elif isinstance(p, BandwidthParams):
        kind = "NetworkChaos"
        spec |= {
            "action": "bandwidth",
            "direction": "to",
            "bandwidth": {"rate": p.rate, "limit": p.limit, "buffer": p.buffer},
        }
    elif isinstance(p, KillParams):
        kind = "PodChaos"
        spec |= {"action": "container-kill", "containerNames": [p.container]} if p.container else {"action": "pod-kill"}
    elif isinstance(p, StressParams):
        kind = "StressChaos"
        spec |= {"stressors": {"cpu": {"workers": p.workers, "load": p.load}}}
    else:
        kind = "PodChaos"
        spec |= {"action": "pod-failure"}
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": kind,
        "metadata": {
            "name": f"scaletui-{fault.kind}-{fault.id}",
            "namespace": namespace,
            "labels": {**MANAGED_BY, "scaletui/fault": fault.id},
        },
        "spec": spec,
    }


@cache
def _validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))


def validate(doc: dict[str, Any]) -> None:
    """Refuse a resource the schema does not allow, naming the first offending key."""
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        where = ".".join(str(p) for p in errors[0].absolute_path) or "(top)"
        raise ConfigError(
            f"Chaos Mesh {doc.get('kind', 'resource')}: key {where}: {errors[0].message}.",
            "Fix the fault's parameters.",
        )


class ChaosMeshFaults:
    """The `chaos-mesh` fault backend, on a kubernetes `CustomObjectsApi`."""

    name = "chaos-mesh"

    def __init__(self, api: Any, namespace: str) -> None:
        self.api = api
        self.namespace = namespace

    @classmethod
    def from_kubeconfig(cls, kubeconfig: str, namespace: str, context: str | None = None) -> ChaosMeshFaults:
        from kubernetes import client

        from scaletui.cluster.kubernetes.client import api_client

        return cls(client.CustomObjectsApi(api_client(kubeconfig, context)), namespace)

    def check(self, kind: str) -> None:
        """Every fault kind exists in Chaos Mesh; reachability shows at create time."""

    def inject(self, fault: PlannedFault, write_ahead: WriteAhead) -> None:
        doc = resource(fault, self.namespace)
        validate(doc)
        plural = PLURALS[doc["kind"]]
        write_ahead(
            {
                "op": "k8s-delete",
                "group": GROUP,
                "version": VERSION,
                "namespace": self.namespace,
                "plural": plural,
                "name": doc["metadata"]["name"],
            }
        )
        self._call(
            "create", lambda: self.api.create_namespaced_custom_object(GROUP, VERSION, self.namespace, plural, doc)
        )

    def undo(self, step: dict[str, Any]) -> None:
        if step["op"] != "k8s-delete":
            raise PlatformError(
                f"Unknown Chaos Mesh undo step {step['op']!r} in the fault ledger.",
                "Delete the resource by hand with kubectl.",
            )
        self._call(
            "delete",
            lambda: self.api.delete_namespaced_custom_object(
                step["group"], step["version"], step["namespace"], step["plural"], step["name"]
            ),
            missing_ok=True,
        )

    def list(self) -> list[dict[str, Any]]:
        """Every Chaos Mesh resource scaletui made in the namespace (what a leak check looks for)."""
        selector = ",".join(f"{k}={v}" for k, v in MANAGED_BY.items())
        items: list[dict[str, Any]] = []
        for plural in PLURALS.values():
            reply = self._call(
                "list",
                lambda p=plural: self.api.list_namespaced_custom_object(  # type: ignore[misc]
                    GROUP, VERSION, self.namespace, p, label_selector=selector
                ),
            )
            items += reply.get("items", [])
        return items

    def _call(self, what: str, call: Any, missing_ok: bool = False) -> Any:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            return call()
        except ApiException as e:
            if missing_ok and e.status == 404:
                return None
            if e.status == 404:
                raise PlatformError(
                    f"The API server has no Chaos Mesh resources ({what} answered 404).",
                    "Install Chaos Mesh (the application stage's chaos-mesh app).",
                ) from None
            raise PlatformError(
                f"The API server refused to {what} a Chaos Mesh resource: {e.status} {e.reason}.",
                "Check the namespace and your rights in it.",
            ) from None
        except (HTTPError, OSError) as e:
            raise PlatformError(
                f"The Kubernetes API server did not answer ({type(e).__name__}).",
                "Check that the cluster is up; the revert is retried.",
            ) from None
