"""Services and tokens read from the cluster, against an HTTP-level fake of the Kubernetes API server on 127.0.0.1
(tests/fakes/kube_api.py); no Kubernetes can run here. The real `kubernetes` client does the requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scaletui.errors import PlatformError, UserError
from scaletui.stages.services import read_services
from tests.fakes.kube_api import FakeKubeApi, node_port_service, secret


@pytest.fixture
def kube() -> Iterator[FakeKubeApi]:
    fake = FakeKubeApi().start()
    fake.services = [
        node_port_service("scaletui", "flink-rest", {"rest": (8081, 30081)}, {"scaletui/endpoint": "flink"}),
        node_port_service(
            "scaletui", "minio", {"api": (9000, 30900), "console": (9001, 30901)}, {"scaletui/endpoint": "minio"}
        ),
        node_port_service("metrics", "victoria-metrics", {"http": (8428, 30428)}, {"scaletui/endpoint": "metrics"}),
        node_port_service("consul", "consul-ui", {"http": (80, 30500)}, {}),
        node_port_service("scaletui", "kafka", {"client": (9092, 30092)}, {}),
    ]
    fake.secrets = [
        secret("scaletui", "minio-root", {"rootUser": "scaletui", "rootPassword": "s3cr3t-from-cluster"}),
        secret(
            "scaletui", "scaletui-scaler-token", {"token": "eyJhbGciOi.fake.jwt"}, "kubernetes.io/service-account-token"
        ),
    ]
    try:
        yield fake
    finally:
        fake.stop()


def test_endpoints_and_tokens_come_from_the_cluster(kube: FakeKubeApi, tmp_path: Path) -> None:
    kubeconfig = kube.kubeconfig(tmp_path / "kubeconfig")
    before = {p.name for p in tmp_path.iterdir()}
    found = {e.name: e for e in read_services(kubeconfig)}
    assert set(found) == {"flink", "minio api", "minio console", "metrics", "consul ui", "kubernetes api"}
    assert found["flink"].url == "http://127.0.0.1:30081"
    assert (found["minio console"].username, found["minio console"].token) == ("scaletui", "s3cr3t-from-cluster")
    assert found["minio api"].token == ""
    assert found["kubernetes api"].url == kube.url and found["kubernetes api"].token == "eyJhbGciOi.fake.jwt"
    assert {p.name for p in tmp_path.iterdir()} == before, "nothing written to disk"
    assert "/api/v1/namespaces/scaletui/secrets/minio-root" in kube.requests

    kube.secrets[0]["data"]["rootPassword"] = "cm90YXRlZA=="  # "rotated": read again, never cached
    again = {e.name: e for e in read_services(tmp_path / "kubeconfig")}
    assert again["minio console"].token == "rotated"


def test_missing_kubeconfig_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="Run the orchestration stage first"):
        read_services(tmp_path / "nope")


def test_refused_token_is_one_sentence(kube: FakeKubeApi, tmp_path: Path) -> None:
    path = kube.kubeconfig(tmp_path / "kubeconfig")
    path.write_text(path.read_text().replace(kube.token, "wrong"))
    with pytest.raises(PlatformError, match=r"refused the request \(401 Unauthorized\)"):
        read_services(path)
