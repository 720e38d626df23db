"""A testbed's capability set: Flink on the Kubernetes cluster the orchestration stage set up on reserved machines.

The job is the one the application stage deployed (roles flink and loadgen); the run attaches to it through the
Kubernetes API, reaching Flink's REST API through the API server's service proxy. The machines are reserved (or
re-attached) and the stages the experiment names are run before the set is built.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from scaletui.cluster.base import JobInfo
from scaletui.config.models import JobSpec, PlatformFile
from scaletui.engine.capabilities import Capabilities
from scaletui.errors import JobError, PlatformError
from scaletui.events import EventBus
from scaletui.scaling.clock import WallClock

if TYPE_CHECKING:
    from scaletui.cluster.kubernetes.backend import KubernetesCluster

NAMESPACE = "scaletui"


class AttachedJob:
    """The application stage's job: "submitting" attaches to it and applies the file's initial parallelism."""

    def __init__(self, cluster: KubernetesCluster) -> None:
        self.cluster = cluster

    def submit(self, spec: JobSpec, rate: float, cancel: threading.Event) -> JobInfo:
        info = self.cluster.job()
        if info is None:
            raise JobError(
                "No Flink job runs on the cluster.",
                'The application stage deploys it: add "application" (or "app:flink") to experiment.stages.',
            )
        if spec.parallelism:
            self.cluster.set_parallelism(dict(spec.parallelism))
            info = self.cluster.job() or info
        return info

    def cancel(self) -> None:
        raise PlatformError("The testbed's job belongs to the application stage.", "Delete it with d on app:flink.")

    def failure(self) -> str:
        info = self.cluster.job()
        return f"the job is {info.state}" if info is not None and info.state in ("FAILED", "FAILING") else ""


def open_testbed(platform: PlatformFile, kubeconfig: Path, bus: EventBus) -> Capabilities:
    from scaletui.cluster.kubernetes.backend import KubernetesCluster, KubernetesSettings

    if not kubeconfig.is_file():
        raise PlatformError(
            f"No kubeconfig at {kubeconfig}.", "Run the orchestration stage first (it fetches the kubeconfig)."
        )
    kube = KubernetesCluster(KubernetesSettings(str(kubeconfig), NAMESPACE), bus).connect()
    return Capabilities(
        kind="testbed",
        platform=platform.platform.name,
        backend="kubernetes",
        clock=WallClock(),
        cluster=kube,
        metrics=kube,
        actuation=kube,
        job=AttachedJob(kube),
        closer=lambda stop: kube.close(),
    )
