"""The Kubernetes cluster backend: Flink's pods watched through the official client, TaskManagers scaled through
their Deployment, operators rescaled through Flink's REST API reached via the API server's service proxy.

Importing this package does not import the `kubernetes` client (about 1.3 s); connecting does.
"""

from scaletui.cluster.kubernetes.backend import KubernetesCluster, KubernetesSettings
from scaletui.cluster.kubernetes.pods import PodEvent, PodView

__all__ = ["KubernetesCluster", "KubernetesSettings", "PodEvent", "PodView"]
