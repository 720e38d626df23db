"""Faults on Kubernetes as Chaos Mesh resources (chaos-mesh.org/v1alpha1): NetworkChaos for delay, loss, bandwidth
and partition, PodChaos for kill (pod-kill, or container-kill when a container is named) and pause (pod-failure),
StressChaos for CPU and memory stress. The selection mode (all, one, fixed, fixed-percent, random-max-percent) is
Chaos Mesh's own: it picks among the named pods.

What is sent is what Chaos Mesh accepts and enacts: every resource is checked against `chaos_mesh.schema.json`
(stricter than the CRDs) before it is sent, numbers are written in plain decimal, rates in whole units (the
parameters keep them so), and the resource's own duration is whole seconds rounded UP, at least 1 s: the ledger
still ends the fault at the requested time, the resource's duration is only the backstop that ends it when
scaletui is gone, so rounding up never cuts a fault short. A duration beyond Go's largest (about 292 years) is
refused with one sentence before anything is created.

The delete is recorded before the create, and deleting a resource that is already gone counts as done. The
recorded delete names the kubeconfig it was made with, so a scaletui restarted after a kill -9 can delete what its
predecessor left before it connects to anything (`ChaosMeshFaults.for_recovery()`).

Consul sees only the network of its own agents: a network fault on pods also covers the Consul client pods of the
nodes those pods run on (`companions`, namespace `consul`), as Scalehub does, so the latency matrix shows what the
job sees. Only for selection mode "all": with a mode that picks among the pods, adding agents would change the pick.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from scaletui.chaos.backend import PlannedFault, WriteAhead
from scaletui.chaos.params import (
    BandwidthParams,
    DelayParams,
    KillParams,
    LossParams,
    MemoryStressParams,
    PartitionParams,
    StressParams,
    plain,
)
from scaletui.chaos.targets import resolve
from scaletui.cluster.base import Instance
from scaletui.errors import ConfigError, PlatformError

GROUP = "chaos-mesh.org"
VERSION = "v1alpha1"
PLURALS = {"NetworkChaos": "networkchaos", "PodChaos": "podchaos", "StressChaos": "stresschaos"}
MANAGED_BY = {"app.kubernetes.io/managed-by": "scaletui"}
SCHEMA_FILE = Path(__file__).with_name("chaos_mesh.schema.json")
GO_MAX_SECONDS = (2**63 - 1) // 10**9
"""Go's time.Duration is int64 nanoseconds: 9223372036 whole seconds is the longest duration Chaos Mesh parses."""


def go_duration(seconds: float) -> str:
    """The resource's duration: whole seconds rounded up, at least "1s"; a ConfigError beyond Go's largest."""
    if not math.isfinite(seconds) or seconds > GO_MAX_SECONDS:
        raise ConfigError(
            f"A Chaos Mesh fault lasts at most {GO_MAX_SECONDS} s (Go's largest duration, about 292 years); "
            f"got {seconds:g} s.",
            "Give a shorter duration.",
        )
    return f"{max(1, math.ceil(seconds))}s"


NETWORK = (DelayParams, LossParams, BandwidthParams, PartitionParams)
Companions = Callable[[tuple[Instance, ...]], dict[str, list[str]]]
"""Target pods -> more pods to put in a network fault's selector, by namespace (Consul's agents on their nodes)."""


def resource(
    fault: PlannedFault, namespace: str, peers: tuple[str, ...] = (), also: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """The Chaos Mesh resource for `fault`, aimed at its target pods (by name) in `namespace`; `peers` are the pod
    names on the other side of a partition; `also` more pods by namespace (network faults in mode "all" only)."""
    p = fault.params
    pods: dict[str, list[str]] = {namespace: [t.name for t in fault.targets]}
    if also and isinstance(p, NETWORK) and getattr(p, "mode", "all") == "all":
        for ns, names in also.items():
            pods[ns] = sorted(set(pods.get(ns, [])) | set(names))
    spec: dict[str, Any] = {
        "mode": getattr(p, "mode", "all"),
        "selector": {"pods": pods},
        "duration": go_duration(fault.duration),
    }
    if getattr(p, "value", None) is not None:
        spec["value"] = str(p.value)  # type: ignore[attr-defined]
    kind = "NetworkChaos"
    if isinstance(p, DelayParams):
        delay = {
            "latency": f"{plain(p.latency_ms)}ms",
            "jitter": f"{plain(p.jitter_ms)}ms",
            "correlation": plain(p.correlation),
        }
        spec |= {"action": "delay", "direction": "to", "delay": delay}
    elif isinstance(p, LossParams):
        spec |= {
            "action": "loss",
            "direction": "to",
            "loss": {"loss": plain(p.percent), "correlation": plain(p.correlation)},
        }
    elif isinstance(p, BandwidthParams):
        spec |= {
            "action": "bandwidth",
            "direction": "to",
            "bandwidth": {"rate": p.rate, "limit": p.limit, "buffer": p.buffer},
        }
    elif isinstance(p, PartitionParams):
        if not peers:
            raise ConfigError("A partition needs at least one peer pod.", "Name the other side in params.peers.")
        target = {"mode": "all", "selector": {"pods": {namespace: list(peers)}}}
        spec |= {"action": "partition", "direction": p.direction, "target": target}
    elif isinstance(p, KillParams):
        kind = "PodChaos"
        spec |= {"action": "container-kill", "containerNames": [p.container]} if p.container else {"action": "pod-kill"}
    elif isinstance(p, StressParams):
        kind = "StressChaos"
        spec |= {"stressors": {"cpu": {"workers": p.workers, "load": p.load}}}
    elif isinstance(p, MemoryStressParams):
        kind = "StressChaos"
        spec |= {"stressors": {"memory": {"workers": p.workers, "size": p.size}}}
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

    def __init__(
        self,
        api: Any,
        namespace: str,
        instances: Callable[[], list[Instance]] | None = None,
        kubeconfig: str = "",
        context: str | None = None,
        companions: Companions | None = None,
    ) -> None:
        self.api = api
        self.namespace = namespace
        self.instances = instances
        """The pods as instances, to resolve a partition's peers ("role:jobmanager"); without it, plain pod names."""
        self.kubeconfig = kubeconfig
        self.context = context
        self.companions = companions
        self._apis: dict[tuple[str, str | None], Any] = {}

    @classmethod
    def from_kubeconfig(
        cls,
        kubeconfig: str,
        namespace: str,
        context: str | None = None,
        instances: Callable[[], list[Instance]] | None = None,
        companions: Companions | None = None,
    ) -> ChaosMeshFaults:
        return cls(_custom_api(kubeconfig, context), namespace, instances, str(kubeconfig), context, companions)

    @classmethod
    def for_recovery(cls) -> ChaosMeshFaults:
        """Undoes recorded deletes with the kubeconfig each one names; injects nothing (no cluster is attached)."""
        return cls(None, "")

    def check(self, kind: str, params: BaseModel | None = None) -> None:
        """Every fault kind and parameter exists in Chaos Mesh; reachability shows at create time."""
        if self.api is None:
            raise PlatformError("No Kubernetes cluster is attached for Chaos Mesh faults.", "Start a run first.")

    def how(self, kind: str) -> str:
        return ""

    def inject(self, fault: PlannedFault, write_ahead: WriteAhead) -> None:
        self.check(fault.kind)
        peers = self._peers(fault.params.peers) if isinstance(fault.params, PartitionParams) else ()
        also = self.companions(fault.targets) if self.companions is not None else None
        doc = resource(fault, self.namespace, peers, also)
        validate(doc)
        plural = PLURALS[doc["kind"]]
        step = {
            "op": "k8s-delete",
            "group": GROUP,
            "version": VERSION,
            "namespace": self.namespace,
            "plural": plural,
            "name": doc["metadata"]["name"],
        }
        if self.kubeconfig:
            step |= {"kubeconfig": self.kubeconfig, "context": self.context or ""}
        write_ahead(step)
        self._call(
            "create", lambda: self.api.create_namespaced_custom_object(GROUP, VERSION, self.namespace, plural, doc)
        )

    def undo(self, step: dict[str, Any]) -> None:
        if step["op"] != "k8s-delete":
            raise PlatformError(
                f"Unknown Chaos Mesh undo step {step['op']!r} in the fault ledger.",
                "Delete the resource by hand with kubectl.",
            )
        api = self._api_for(step)
        self._call(
            "delete",
            lambda: api.delete_namespaced_custom_object(
                step["group"], step["version"], step["namespace"], step["plural"], step["name"]
            ),
            missing_ok=True,
        )

    def _api_for(self, step: dict[str, Any]) -> Any:
        """This backend's client, or (recovering) one for the kubeconfig the step was recorded with."""
        if self.api is not None:
            return self.api
        kubeconfig = str(step.get("kubeconfig", ""))
        if not kubeconfig:
            raise PlatformError(
                f"The Chaos Mesh resource {step['name']} was recorded without its kubeconfig.",
                f"Delete it by hand: kubectl -n {step['namespace']} delete {step['plural']} {step['name']}",
            )
        key = (kubeconfig, step.get("context") or None)
        if key not in self._apis:
            self._apis[key] = _custom_api(*key)
        return self._apis[key]

    def _peers(self, specs: tuple[str, ...]) -> tuple[str, ...]:
        if self.instances is not None:
            return tuple(i.name for i in resolve(specs, self.instances()))
        named = [s for s in specs if ":" in s]
        if named:
            raise ConfigError(
                f"Partition peer {named[0]!r} needs the pod list, which this Chaos Mesh backend was not given.",
                "Name the peer pods by their names.",
            )
        return specs

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


def _custom_api(kubeconfig: str, context: str | None) -> Any:
    from kubernetes import client

    from scaletui.cluster.kubernetes.client import api_client

    return client.CustomObjectsApi(api_client(kubeconfig, context))
