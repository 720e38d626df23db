"""Experiments on a testbed: reserve (or re-attach to) the platform, run the stages the file names, then drive the
Flink job the application stage deployed on Kubernetes, with faults from Chaos Mesh.

On a testbed the job and its load generator are deployed by the application stage (roles flink and loadgen), so
"job" here means attaching to the running Flink job through the Kubernetes API; the load generator's rate is the
loadgen role's variable, so a profile other than constant is refused before anything is reserved.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from scaletui.config.models import FaultSpec, JobSpec
from scaletui.engine.platform_session import ControlledPlatform
from scaletui.errors import ConfigError, JobError, PlatformError
from scaletui.metrics.model import JobSample
from scaletui.scaling.clock import WallClock

if TYPE_CHECKING:
    from scaletui.cluster.kubernetes.backend import KubernetesCluster
    from scaletui.engine.core import Engine
    from scaletui.engine.prepare import PreparedExperiment

NAMESPACE = "scaletui"


class TestbedPlatform(ControlledPlatform):
    def __init__(self, engine: Engine, prepared: PreparedExperiment, cancel: threading.Event) -> None:
        super().__init__(engine)
        if prepared.profile.name != "constant":
            raise ConfigError(
                f"{prepared.path}: key load.profile is {prepared.profile.name!r}, but on a testbed the load "
                "generator runs at the constant rate its application role is given; use profile constant."
            )
        self.clock = WallClock()
        self.prepared = prepared
        self._kube: KubernetesCluster | None = None
        name = prepared.platform.platform.name
        running = [r for r in engine.store.session.reservations if r.platform == name and r.state == "running"]
        if not running:
            engine.notice(engine.testbed.reserve(name))

    @property
    def cluster(self) -> KubernetesCluster:  # type: ignore[override]
        if self._kube is None:
            from scaletui.cluster.kubernetes.backend import KubernetesCluster, KubernetesSettings
            from scaletui.stages.services import session_kubeconfig

            kubeconfig = session_kubeconfig(self.engine.store)
            if not kubeconfig.is_file():
                raise PlatformError(
                    f"No kubeconfig at {kubeconfig}.", "Run the orchestration stage first (it fetches the kubeconfig)."
                )
            self._kube = KubernetesCluster(KubernetesSettings(str(kubeconfig), NAMESPACE), self.engine.bus).connect()
            self.engine.store.update(lambda s: setattr(s.cluster, "backend", "kubernetes"))
        return self._kube

    def run_stages(self, stages: list[str], cancel: threading.Event) -> str:
        for step in stages:
            if cancel.is_set():
                break
            self.engine.testbed.run_checked(step)
        return f"ran {', '.join(stages)}" if stages else "no stages named; using what is deployed"

    def submit_job(self, job: JobSpec) -> None:
        if self.cluster.job() is None:
            raise JobError(
                "No Flink job runs on the cluster.",
                'The application stage deploys it: add "application" (or "app:flink") to experiment.stages.',
            )
        parallelism = {k: v for k, v in job.parallelism.items()}
        if parallelism:
            self.cluster.set_parallelism(parallelism)
        self.record_job()

    def cancel_job(self) -> str:
        raise PlatformError("The testbed's job belongs to the application stage.", "Delete it with d on app:flink.")

    def set_rate(self, rate: float) -> None:
        """The load generator's rate is fixed by its role (checked at start: constant profiles only)."""

    def fire_fault(self, fault: FaultSpec) -> None:
        self.engine.notice(self.engine.faults.fire_spec(fault))

    def sample(self) -> JobSample | None:
        return self.cluster.sample()

    def job_failed(self) -> str:
        info = self.cluster.job()
        return f"the job is {info.state}" if info is not None and info.state in ("FAILED", "FAILING") else ""

    def close(self, stop_cluster: bool) -> None:
        if self._kube is not None:
            self._kube.close()
        self.engine.store.update(lambda s: setattr(s.cluster, "backend", "none"))
