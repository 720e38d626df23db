"""Where the job runs: instances, job graph, rescaling. Backends: local Flink, Kubernetes, the simulator."""

from scaletui.cluster.base import ClusterBackend, Instance, JobInfo, OperatorInfo

__all__ = ["ClusterBackend", "Instance", "JobInfo", "OperatorInfo"]
