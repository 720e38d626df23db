"""Regression (issue 16's walkthrough: the Chaos pane's matrix stayed at 0.4-0.8 ms under a 200 ms delay on the
TaskManagers): on the real local Flink cluster (2 TaskManagers on loopback), a delay fault on the TaskManagers shows
in the connect-probe latency matrix between the real processes, and leaves it when reverted.

The probe connects to each instance's lowest listening port; the fault delays the TaskManager's egress by its source
ports (every port it had when the fault began, listening ones included), so the SYN-ACK of every probe to a delayed
TaskManager waits the delay: a pair's latency is the sum of its two probes."""

from __future__ import annotations

import pytest

from scaletui.chaos.ledger import ChaosLedger
from scaletui.chaos.process_faults import LocalFaults
from scaletui.cluster.standalone.backend import LocalClusterBackend
from scaletui.engine.reducer import SessionFaultJournal
from scaletui.events import EventBus
from scaletui.latency.probe import ProbeLatency
from scaletui.session.store import SessionStore
from tests.chaos.conftest import root_only

pytestmark = [root_only, pytest.mark.flink, pytest.mark.timeout(600)]


def test_delay_on_the_taskmanagers_shows_in_the_probe_matrix(flink_cluster: LocalClusterBackend, tmp_path) -> None:  # type: ignore[no-untyped-def]
    instances = [i for i in flink_cluster.instances() if i.pid is not None]
    tms = sorted(i.name for i in instances if i.role == "taskmanager")
    assert len(tms) == 2 and any(i.role == "jobmanager" for i in instances)
    probe = ProbeLatency(samples=5)
    before = probe.matrix(instances)
    ledger = ChaosLedger(
        SessionFaultJournal(SessionStore.open(tmp_path / "s")),
        EventBus(),
        [LocalFaults()],
        instances=flink_cluster.instances,
    ).start()
    try:
        ledger.fire("delay", ["role:taskmanager"], duration=60, params={"latency_ms": 200})
        during = probe.matrix(instances)
        jm_tm = during.get("jobmanager", tms[0])
        tm_tm = during.get(tms[0], tms[1])
        print(f"\nPROBE MATRIX: jobmanager-{tms[0]} {before.get('jobmanager', tms[0]):.2f} -> {jm_tm:.1f} ms, "
              f"{tms[0]}-{tms[1]} {before.get(tms[0], tms[1]):.2f} -> {tm_tm:.1f} ms under a 200 ms delay")  # fmt: skip
        assert jm_tm is not None and jm_tm > 180, during.rtt_ms
        assert tm_tm is not None and tm_tm > 360, during.rtt_ms
        ledger.revert_all()
        after = probe.matrix(instances)
        assert after.get(tms[0], tms[1]) < 50, after.rtt_ms  # type: ignore[operator]
    finally:
        ledger.close()
