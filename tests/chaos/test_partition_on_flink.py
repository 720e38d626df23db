"""Regression (review 33 #1): a partition between the two TaskManagers of the real local cluster, fired through the
fault backend a local run uses (`local_capabilities`), resolves its peer by name, adds its iptables DROP rules and
removes them at revert. Before, that backend had no instance list and said "Known instances: none"."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaletui.chaos import netfilter
from scaletui.chaos.ledger import ChaosLedger
from scaletui.chaos.netns import NetnsRef
from scaletui.cluster.standalone.backend import LocalClusterBackend
from scaletui.engine.local_set import local_capabilities
from scaletui.engine.reducer import SessionFaultJournal
from scaletui.events import EventBus
from scaletui.session.store import SessionStore
from tests.chaos.conftest import root_only

pytestmark = [root_only, pytest.mark.flink, pytest.mark.timeout(600)]


def test_partition_between_two_taskmanagers_applies_and_reverts(
    flink_cluster: LocalClusterBackend, tmp_path: Path
) -> None:
    bus = EventBus()
    capabilities = local_capabilities(flink_cluster, bus)
    ledger = ChaosLedger(
        SessionFaultJournal(SessionStore.open(tmp_path / "s")),
        bus,
        list(capabilities.faults),
        instances=flink_cluster.instances,
    ).start()
    tms = sorted(i.name for i in flink_cluster.instances() if i.role == "taskmanager" and i.pid is not None)
    assert len(tms) == 2
    try:
        fault = ledger.fire("partition", [tms[0]], duration=60, params={"peers": [tms[1]]})
        rules = netfilter.tagged_rules(NetnsRef(), netfilter.comment(fault.id))
        assert rules and all("DROP" in rule for rule in rules), rules
        assert ledger.revert(fault.id)
        assert netfilter.tagged_rules(NetnsRef(), netfilter.comment(fault.id)) == []
    finally:
        ledger.close()
        capabilities.close(False)
