"""Load control on Kubernetes: every profile reaches the load generator, and the rate it produced is measured.

Two cases, as the experiment file says:

- `RateServiceLoad`: scaletui's own workload job, submitted to Flink on Kubernetes (jar upload and run through the
  proxied REST API) with `--rate-url` pointing at the loadgen role's rate service; scaletui sets the rate there
  (PUT /rate through the service proxy) and the job's source polls it every 100 ms. Any rate, any profile (step,
  ramp, sine, spike, trace replay), changed within ~0.1 s plus one REST round trip.
- `ReplicaLoad`: the application stage's job fed by the Theodolite generator, whose rate is fixed per replica
  (loadgen_rate): the rate is set by scaling the loadgen Deployment, so it is quantised to whole replicas; `describe`
  says so. Chosen only when the job is not scaletui's own.

Both report the rate actually produced: the job source's records-out per second from Flink's counters (the same
collector as local Flink), never the rate asked for.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from scaletui.config.models import JobSpec
from scaletui.errors import PlatformError
from scaletui.flink import job_submit

if TYPE_CHECKING:
    from scaletui.cluster.kubernetes.backend import KubernetesCluster

RATE_SERVICE = "rate-service"
RATE_PORT = 8080


class RateServiceLoad:
    """The rate service of the loadgen role, reached through the API server's proxy. Its Service says where the
    job's source reaches it from inside the cluster (cluster IP and port), so no cluster DNS is assumed."""

    def __init__(self, cluster: KubernetesCluster, namespace: str | None = None) -> None:
        self.cluster = cluster
        self.namespace = namespace or cluster.settings.namespace
        try:
            service = cluster.service(self.namespace, RATE_SERVICE)
        except PlatformError as e:
            raise PlatformError(
                f"No {RATE_SERVICE} Service in namespace {self.namespace}: {e.message}",
                'Deploy the loadgen app (application stage, "app:loadgen"): every load profile goes through it.',
            ) from None
        ports = service.spec.ports or []
        self.port = int(ports[0].port) if ports else RATE_PORT
        ip = service.spec.cluster_ip
        self.host = ip if ip and ip != "None" else f"{RATE_SERVICE}.{self.namespace}.svc"
        self.http = cluster.service_http(self.namespace, RATE_SERVICE, self.port)

    @property
    def in_cluster_url(self) -> str:
        """Where the job's source polls the rate from inside the cluster."""
        return f"http://{self.host}:{self.port}/rate"

    def set_rate(self, rate: float) -> None:
        if not rate >= 0:
            raise PlatformError(f"A load rate must be 0 or more records/s, not {rate}.")
        try:
            reply = self.http.put("rate", content=f"{rate:.6f}".rstrip("0").rstrip("."))
        except httpx.HTTPError as e:
            raise PlatformError(
                f"The rate service did not answer ({type(e).__name__}).",
                "Deploy the loadgen app (application stage); the load is retried at the next step.",
            ) from None
        if reply.status_code != 200:
            raise PlatformError(f"The rate service refused rate {rate:g}: {reply.text.strip()[:200]}.")
        self.cluster.target_rate = rate

    def rate(self) -> float:
        """The rate the service holds now (what the job's source reads)."""
        return float(self.http.get("rate").text)

    def produced(self) -> float | None:
        """Records per second the job's source produced in the last measured window (None if not measured)."""
        return self.cluster.collector.source_rate().records_out_per_s

    def submit(
        self,
        jar: Path,
        spec: JobSpec,
        rate: float,
        rate_url: str | None = None,
        timeout_s: float = 180.0,
        cancel: threading.Event | None = None,
    ) -> str:
        """Upload the workload jar through the proxied REST API and run it reading its rate from the service;
        returns the job id once every vertex runs."""
        self.set_rate(rate)
        rest = self.cluster.rest
        jar_id = rest.upload_jar(jar)
        args = job_submit.workload_args(spec, Path("/dev/null"), rate)
        at = args.index("--rate-file")
        args[at : at + 2] = ["--rate-url", rate_url or self.in_cluster_url]
        return job_submit.run_and_wait(rest, jar_id, args, timeout_s, cancel=cancel)

    def describe(self) -> str:
        return "the loadgen role's rate service (any rate, every profile)"

    def close(self) -> None:
        self.http.close()


class ReplicaLoad:
    """The Theodolite generator: `per_replica` records/s each, scaled through its Deployment."""

    def __init__(self, cluster: KubernetesCluster, per_replica: float, deployment: str = "loadgen") -> None:
        if per_replica <= 0:
            raise PlatformError("The load generator's per-replica rate must be above 0.", "Set loadgen_rate.")
        self.cluster = cluster
        self.per_replica = per_replica
        self.deployment = deployment
        self.replicas = 0

    @classmethod
    def from_deployment(cls, cluster: KubernetesCluster, deployment: str = "loadgen") -> ReplicaLoad:
        """The per-replica rate read from the generator's own settings (NUM_SENSORS records every PERIOD_MS, as the
        loadgen role sets them from loadgen_rate), so it is never configured twice."""
        s = cluster.settings
        found = cluster.api_call(
            "read the load generator",
            lambda: cluster.apps.read_namespaced_deployment(deployment, s.namespace, _request_timeout=10),
        )
        env = {e.name: e.value for c in found.spec.template.spec.containers for e in (c.env or []) if e.value}
        try:
            per_replica = float(env["NUM_SENSORS"]) * 1000.0 / float(env.get("PERIOD_MS", "1000"))
        except (KeyError, ValueError):
            raise PlatformError(
                f"The {deployment} Deployment does not say its rate (NUM_SENSORS and PERIOD_MS).",
                "Deploy it with the loadgen role (application stage).",
            ) from None
        return cls(cluster, per_replica, deployment)

    def set_rate(self, rate: float) -> None:
        """Scale to the replica count nearest `rate` (at least one while any load is asked)."""
        wanted = 0 if rate <= 0 else max(1, round(rate / self.per_replica))
        s = self.cluster.settings
        self.cluster.api_call(
            "scale the load generator",
            lambda: self.cluster.apps.patch_namespaced_deployment_scale(
                self.deployment, s.namespace, {"spec": {"replicas": wanted}}, _request_timeout=10
            ),
        )
        self.replicas = wanted
        self.cluster.target_rate = wanted * self.per_replica

    def produced(self) -> float | None:
        return self.cluster.collector.source_rate().records_out_per_s

    def describe(self) -> str:
        return (
            f"{self.replicas} generator replica(s) x {self.per_replica:g} records/s = "
            f"{self.replicas * self.per_replica:g} records/s (quantised to whole replicas)"
        )
