"""Chaos Mesh resources: checked against scaletui's schema and against Chaos Mesh's own CRD schemas (a copy in
chaos_mesh_crds.json), then created and deleted through the official client against an HTTP-level fake API server
on 127.0.0.1 (tests/fakes/k8s.py) that serves real Kubernetes JSON."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from scaletui.chaos import chaosmesh
from scaletui.chaos.backend import PlannedFault
from scaletui.chaos.chaosmesh import ChaosMeshFaults, go_duration, resource, validate
from scaletui.chaos.ledger import ChaosLedger
from scaletui.chaos.params import parse
from scaletui.cluster.base import Instance
from scaletui.engine.reducer import SessionFaultJournal
from scaletui.errors import ConfigError
from scaletui.events import EventBus, FaultEvent
from scaletui.session.store import SessionStore
from tests.chaos.conftest import Recorder
from tests.fakes.k8s import FakeKubernetes

pytestmark = pytest.mark.timeout(60)
CRDS = json.loads(Path(__file__).with_name("chaos_mesh_crds.json").read_text())["schemas"]
PODS = [Instance(name=f"flink-taskmanager-{c}", role="taskmanager", state="running") for c in "ab"]
CASES = [
    ("delay", {"latency_ms": 100, "jitter_ms": 10}, "NetworkChaos"),
    ("loss", {"percent": 25}, "NetworkChaos"),
    ("bandwidth", {"rate": "1mbps"}, "NetworkChaos"),
    ("kill", {}, "PodChaos"),
    ("kill", {"container": "taskmanager"}, "PodChaos"),
    ("pause", {}, "PodChaos"),
    ("cpu-stress", {"workers": 2, "load": 80}, "StressChaos"),
]


def planned(kind: str, params: dict, duration: float = 90.0) -> PlannedFault:  # type: ignore[type-arg]
    return PlannedFault("0123456789ab", kind, tuple(PODS), parse(kind, params), duration)


@pytest.mark.parametrize(("kind", "params", "crd_kind"), CASES)
def test_every_fault_is_valid_for_both_schemas_and_has_a_duration(kind: str, params: dict, crd_kind: str) -> None:  # type: ignore[type-arg]
    doc = resource(planned(kind, params), "flink")
    validate(doc)
    jsonschema.validate(doc, CRDS[crd_kind])  # Chaos Mesh's own openAPIV3Schema
    assert doc["kind"] == crd_kind and doc["spec"]["duration"] == "90s"
    assert doc["spec"]["selector"] == {"pods": {"flink": ["flink-taskmanager-a", "flink-taskmanager-b"]}}


def test_delay_spec_carries_latency_and_jitter() -> None:
    spec = resource(planned("delay", {"latency_ms": 100, "jitter_ms": 10}), "flink")["spec"]
    assert spec["action"] == "delay" and spec["delay"]["latency"] == "100ms" and spec["delay"]["jitter"] == "10ms"


def test_schema_refuses_a_resource_without_duration_or_with_a_bad_latency() -> None:
    doc = resource(planned("delay", {"latency_ms": 5}), "flink")
    del doc["spec"]["duration"]
    with pytest.raises(ConfigError, match="duration"):
        validate(doc)
    doc = resource(planned("delay", {"latency_ms": 5}), "flink")
    doc["spec"]["delay"]["latency"] = "5 parsecs"
    with pytest.raises(ConfigError, match="spec.delay.latency"):
        validate(doc)


def test_go_durations() -> None:
    assert [go_duration(s) for s in (90, 0.5, 1.25, 3600)] == ["90s", "500ms", "1250ms", "3600s"]


@pytest.fixture
def fake() -> Iterator[FakeKubernetes]:
    k8s = FakeKubernetes().start()
    yield k8s
    k8s.stop()


def backend(fake: FakeKubernetes, tmp_path: Path) -> ChaosMeshFaults:
    return ChaosMeshFaults.from_kubeconfig(fake.kubeconfig(tmp_path / "kubeconfig"), "flink")


def test_fire_creates_and_revert_deletes(fake: FakeKubernetes, tmp_path: Path) -> None:
    bus = EventBus()
    ledger = ChaosLedger(
        SessionFaultJournal(SessionStore.open(tmp_path / "s")), bus, [backend(fake, tmp_path)], instances=lambda: PODS
    )
    fault = ledger.fire("delay", ["role:taskmanager"], 60, {"latency_ms": 50})
    created = fake.custom(chaosmesh.GROUP, chaosmesh.VERSION, "flink", "networkchaos")
    assert list(created) == [f"scaletui-delay-{fault.id}"]
    assert created[f"scaletui-delay-{fault.id}"]["spec"]["duration"] == "60s"
    assert ledger.revert(fault.id)
    assert fake.all_custom() == []
    assert ledger.close() == 0


def test_expiry_deletes_the_resource(fake: FakeKubernetes, tmp_path: Path) -> None:
    ledger = ChaosLedger(
        SessionFaultJournal(SessionStore.open(tmp_path / "s")),
        EventBus(),
        [backend(fake, tmp_path)],
        instances=lambda: PODS,
    ).start()
    ledger.fire("cpu-stress", ["flink-taskmanager-a"], 0.3, {"workers": 1})
    assert len(fake.all_custom()) == 1
    deadline = time.monotonic() + 5
    while (fake.all_custom() or ledger.active()) and time.monotonic() < deadline:  # the DELETE lands, then the ledger
        time.sleep(0.02)
    assert fake.all_custom() == [] and ledger.active() == []
    ledger.close()


def test_revert_while_the_api_server_is_away_is_kept_and_retried(fake: FakeKubernetes, tmp_path: Path) -> None:
    bus = EventBus()
    seen = Recorder(bus)
    clock = [1000.0]
    ledger = ChaosLedger(
        SessionFaultJournal(SessionStore.open(tmp_path / "s")),
        bus,
        [backend(fake, tmp_path)],
        instances=lambda: PODS,
        clock=lambda: clock[0],
    )
    fault = ledger.fire("kill", ["flink-taskmanager-b"], 30)
    fake.stop()
    assert not ledger.revert(fault.id)
    assert [f.id for f in ledger.active()] == [fault.id]
    assert ledger.active()[0].undo["state"] == "revert-failed"
    fake.start()
    clock[0] += 0.5
    assert ledger.tick() == []  # retry not due yet (1 s backoff)
    clock[0] += 1.0
    assert ledger.tick() == [fault.id]
    assert fake.all_custom() == []
    assert [e.action for e in seen.of(FaultEvent)] == ["injected", "failed", "expired"]
