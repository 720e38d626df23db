"""A REAL VictoriaMetrics (Debian package victoria-metrics) and node exporter (prometheus-node-exporter) for the
stand-in, both on 127.0.0.1 only.

VictoriaMetrics scrapes every second what the metrics role's kubernetes_sd relabelling would find on a testbed:
each Flink pod's Prometheus reporter (labels namespace, pod, node) and each worker node's node exporter (label
node). The stand-in's nodes share this one machine, so every node's node-exporter series are the machine's own,
scraped once per node label. Targets are a file VictoriaMetrics re-reads every second (the stand-in's service
discovery); `-search.latencyOffset=1s` lets a query see a sample a second after it is scraped (the default 30 s is
for clusters whose scrapes lag; the metrics role sets 5 s).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import yaml

from scaletui.flink.cluster_config import free_port

VM_BIN = "victoria-metrics"
NODE_EXPORTER_BIN = "prometheus-node-exporter"


class Victoria:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.exporter_port = free_port()
        self.config = self.dir / "scrape.yaml"
        self.procs: list[subprocess.Popen[bytes]] = []
        self._targets: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, nodes: list[str]) -> Victoria:
        self.nodes = nodes
        self.set_flink_targets({})
        exporter = [NODE_EXPORTER_BIN, f"--web.listen-address=127.0.0.1:{self.exporter_port}",
                    "--collector.disable-defaults", "--collector.cpu", "--collector.meminfo", "--collector.netdev",
                    "--collector.loadavg"]  # fmt: skip
        vm = [VM_BIN, f"-httpListenAddr=127.0.0.1:{self.port}", f"-storageDataPath={self.dir / 'data'}",
              f"-promscrape.config={self.config}", "-promscrape.configCheckInterval=1s", "-retentionPeriod=1d",
              "-search.latencyOffset=1s", "-search.cacheTimestampOffset=1s", "-loggerLevel=ERROR"]  # fmt: skip
        for argv in (exporter, vm):
            log = (self.dir / f"{argv[0]}.log").open("ab")
            self.procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError(f"VictoriaMetrics or the node exporter exited; see {self.dir}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("VictoriaMetrics did not answer /health within 60 s")

    def set_flink_targets(self, targets: dict[str, tuple[int, str]]) -> None:
        """pod name -> (reporter port, node): rewrite the scrape file when the set changed."""
        key = tuple(sorted((pod, (("node", node), ("port", str(port)))) for pod, (port, node) in targets.items()))
        if key == self._targets and self.config.exists():
            return
        self._targets = key
        flink = [{"targets": [f"127.0.0.1:{port}"], "labels": {"namespace": "scaletui", "pod": pod, "node": node}}
                 for pod, (port, node) in sorted(targets.items())]  # fmt: skip
        nodes = [{"targets": [f"127.0.0.1:{self.exporter_port}"], "labels": {"node": node}} for node in self.nodes]
        doc = {"global": {"scrape_interval": "1s"}, "scrape_configs": [
            {"job_name": "node-exporter", "static_configs": nodes}]}  # fmt: skip
        if flink:
            doc["scrape_configs"].append({"job_name": "annotated-pods", "static_configs": flink})
        tmp = self.config.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(doc))
        tmp.replace(self.config)

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
