"""Endpoints and access tokens of the deployed services (Scalehub's `shub tokens`), read from the cluster each time.

Nothing here is cached or written to disk: the caller shows the result and drops it. Endpoints are the NodePort
services labelled `scaletui/endpoint` (Flink REST/UI, Minio, VictoriaMetrics) plus Consul's UI and the
Kubernetes API itself, all on the control node's address taken from the session's kubeconfig.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from scaletui.errors import PlatformError, UserError

SCALER_TOKEN_SECRET = "scaletui-scaler-token"
MINIO_SECRET = "minio-root"
PORT_NAMES = {"flink": ("rest",), "minio": ("console", "api"), "metrics": ("http",)}


@dataclass(frozen=True)
class ServiceEndpoint:
    """One thing a user can open: its URL and, when it needs one, the user name and token/password to use."""

    name: str
    url: str
    username: str = ""
    token: str = ""
    note: str = ""


def _secret_value(secret: Any, key: str) -> str:
    data = (secret.data or {}).get(key)
    return base64.b64decode(data).decode() if data else ""


def read_services(
    kubeconfig: Path | str, namespace: str = "scaletui", timeout_s: float = 10.0
) -> list[ServiceEndpoint]:
    """Ask the cluster for the services' endpoints and tokens; raises UserError/PlatformError in one sentence."""
    path = Path(kubeconfig)
    if not path.is_file():
        raise UserError(f"no kubeconfig at {path}.", "Run the orchestration stage first: it fetches the kubeconfig.")
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    api_client = config.new_client_from_config(config_file=str(path))
    server = api_client.configuration.host
    host = urlparse(server).hostname or "127.0.0.1"
    core = client.CoreV1Api(api_client)
    out: list[ServiceEndpoint] = []
    try:
        labelled = core.list_service_for_all_namespaces(label_selector="scaletui/endpoint", _request_timeout=timeout_s)
        for service in labelled.items:
            meta: Any = service.metadata
            ports: list[Any] = (service.spec.ports if service.spec else None) or []
            kind = (meta.labels or {}).get("scaletui/endpoint", "")
            for port in ports:
                if port.node_port and (port.name in PORT_NAMES.get(kind, (port.name,))):
                    label = f"{kind} {port.name}" if len(ports) > 1 else kind
                    username = token = ""
                    if kind == "minio" and port.name == "console":
                        username, token = _minio_credentials(core, str(meta.namespace), timeout_s)
                    out.append(ServiceEndpoint(label, f"http://{host}:{port.node_port}", username, token))
        consul = core.list_service_for_all_namespaces(
            field_selector="metadata.name=consul-ui", _request_timeout=timeout_s
        )
        for service in consul.items:
            for port in (service.spec.ports if service.spec else None) or []:
                if port.node_port:
                    out.append(ServiceEndpoint("consul ui", f"http://{host}:{port.node_port}"))
        out.append(
            ServiceEndpoint(
                "kubernetes api",
                server,
                "scaletui-scaler",
                _scaler_token(core, namespace, timeout_s),
                note="bearer token of the scaler's service account",
            )
        )
    except ApiException as e:
        raise PlatformError(
            f"the Kubernetes API at {server} refused the request ({e.status} {e.reason}).",
            "Check the kubeconfig in the session, or rerun the orchestration stage.",
        ) from None
    except (HTTPError, OSError) as e:
        raise PlatformError(
            f"the Kubernetes API at {server} cannot be reached ({e}).",
            "Check the network path to the control node (VPN, SSH tunnel).",
        ) from None
    return out


def _minio_credentials(core: Any, namespace: str, timeout_s: float) -> tuple[str, str]:
    from kubernetes.client.exceptions import ApiException

    try:
        secret = core.read_namespaced_secret(MINIO_SECRET, namespace, _request_timeout=timeout_s)
    except ApiException as e:
        if e.status == 404:
            return "", ""
        raise
    return _secret_value(secret, "rootUser"), _secret_value(secret, "rootPassword")


def _scaler_token(core: Any, namespace: str, timeout_s: float) -> str:
    from kubernetes.client.exceptions import ApiException

    try:
        secret = core.read_namespaced_secret(SCALER_TOKEN_SECRET, namespace, _request_timeout=timeout_s)
    except ApiException as e:
        if e.status == 404:
            return ""
        raise
    return _secret_value(secret, "token")
