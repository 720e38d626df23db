from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scaletui.cluster.kubernetes import KubernetesCluster, KubernetesSettings
from scaletui.events import Event, EventBus
from tests.fakes.flink_rest import FakeFlinkRest
from tests.fakes.k8s import FakeKubernetes
from tests.fakes.k8s_objects import make_pod

FLINK = {"app": "flink"}


@pytest.fixture
def fake() -> Iterator[FakeKubernetes]:
    k8s = FakeKubernetes()
    k8s.put_pod(
        make_pod("flink-jobmanager-0", labels={**FLINK, "component": "jobmanager"}, node="node-1", ip="10.42.0.2")
    )
    k8s.put_pod(
        make_pod(
            "flink-taskmanager-a",
            labels={**FLINK, "component": "taskmanager"},
            node="node-2",
            ip="10.42.1.3",
            restarts=2,
        )
    )
    k8s.put_pod(make_pod("kafka-0", labels={"app": "kafka"}, node="node-1"))
    k8s.scales["flink-taskmanager"] = 1
    k8s.proxy = FakeFlinkRest()
    k8s.start()
    yield k8s
    k8s.stop()


@pytest.fixture
def events() -> tuple[EventBus, list[Event]]:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    return bus, seen


@pytest.fixture
def cluster(fake: FakeKubernetes, tmp_path: Path, events: tuple[EventBus, list[Event]]) -> Iterator[KubernetesCluster]:
    settings = KubernetesSettings(
        kubeconfig=fake.kubeconfig(tmp_path / "kubeconfig"), namespace="default", rescale_timeout_s=3
    )
    backend = KubernetesCluster(settings, events[0]).connect()
    assert backend.watcher is not None
    backend.watcher.backoff_s = (0.1, 0.2)
    yield backend
    backend.close()
