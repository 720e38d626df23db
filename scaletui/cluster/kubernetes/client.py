"""Kubernetes API clients from a kubeconfig file (the orchestration stage's or the user's own)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from scaletui.errors import PlatformError


def api_client(kubeconfig: str, context: str | None = None) -> Any:
    """A `kubernetes.client.ApiClient` for `kubeconfig`; a missing or unusable file is one PlatformError."""
    from kubernetes import config
    from kubernetes.config.config_exception import ConfigException

    path = Path(kubeconfig).expanduser()
    if not path.is_file():
        raise PlatformError(
            f"Kubeconfig {path} does not exist.", "Run the orchestration stage, or give your own kubeconfig path."
        )
    try:
        return config.new_client_from_config(config_file=str(path), context=context)
    except (ConfigException, ValueError, KeyError, TypeError) as e:
        raise PlatformError(
            f"Kubeconfig {path} cannot be used: {e}.", "Check its current context, cluster server and user."
        ) from None


def http_client(api: Any, base_path: str, timeout_s: float = 10.0) -> httpx.Client:
    """An httpx client that talks to `base_path` under the API server with the kubeconfig's credentials
    (bearer token or client certificate, and the cluster's CA)."""
    conf = api.configuration
    headers = {}
    token = (conf.api_key or {}).get("authorization") or (conf.api_key or {}).get("BearerToken")
    if token:
        prefix = (conf.api_key_prefix or {}).get("authorization", "")
        headers["Authorization"] = f"{prefix} {token}".strip() if prefix and not token.startswith(prefix) else token
    cert = (conf.cert_file, conf.key_file) if conf.cert_file and conf.key_file else None
    verify: Any = conf.ssl_ca_cert or conf.verify_ssl
    return httpx.Client(
        base_url=conf.host.rstrip("/") + base_path, headers=headers, cert=cert, verify=verify, timeout=timeout_s
    )
