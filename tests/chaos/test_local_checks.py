"""A local fault this machine cannot do fails before anything is recorded, with one sentence and what to do."""

from __future__ import annotations

import shutil

import pytest

from scaletui.chaos import process_faults, tc
from scaletui.chaos.ledger import ChaosLedger
from scaletui.chaos.params import DelayParams, LossParams
from scaletui.chaos.process_faults import LocalFaults
from scaletui.errors import PlatformError
from scaletui.events import FaultEvent
from tests.chaos.conftest import Recorder, root_only


@pytest.mark.parametrize("kind", ["delay", "loss", "bandwidth"])
def test_network_faults_without_root(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    monkeypatch.setattr(process_faults.os, "geteuid", lambda: 1000)
    with pytest.raises(PlatformError) as err:
        LocalFaults().check(kind)
    assert err.value.message == "Network faults need root to change tc and iptables rules."
    assert "sudo" in err.value.hint


def test_signal_faults_need_no_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process_faults.os, "geteuid", lambda: 1000)
    LocalFaults().check("pause")
    LocalFaults().check("kill")


def test_missing_stress_ng_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = shutil.which
    monkeypatch.setattr(process_faults.shutil, "which", lambda name: None if name == "stress-ng" else real(name))
    with pytest.raises(PlatformError, match="stress-ng") as err:
        LocalFaults().check("cpu-stress")
    assert err.value.hint == "Install it: apt-get install -y stress-ng."


def test_delay_without_netem_or_netfilterqueue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process_faults.os, "geteuid", lambda: 0)
    monkeypatch.setattr(process_faults.tc, "netem_available", lambda: False)
    monkeypatch.setattr(process_faults, "find_spec", lambda name: None)
    with pytest.raises(PlatformError, match="no sch_netem") as err:
        LocalFaults().check("delay")
    assert "NetfilterQueue" in err.value.hint


def test_a_correlation_the_local_mechanism_would_ignore_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Review 33 #9: `correlation` was accepted and silently dropped by the user-space delay queue (and by the
    local loss, an independent random drop). Refused now, before anything is recorded; kept where netem applies it."""
    monkeypatch.setattr(process_faults.os, "geteuid", lambda: 0)
    monkeypatch.setattr(process_faults.tc, "netem_available", lambda: False)
    with pytest.raises(PlatformError, match="user-space NFQUEUE queue, which ignores correlation"):
        LocalFaults().check("delay", DelayParams(latency_ms=50, correlation=50))
    LocalFaults().check("delay", DelayParams(latency_ms=50, jitter_ms=5))
    with pytest.raises(PlatformError, match="does not apply correlation"):
        LocalFaults().check("loss", LossParams(percent=5, correlation=25))
    monkeypatch.setattr(process_faults.tc, "netem_available", lambda: True)
    LocalFaults().check("delay", DelayParams(latency_ms=50, correlation=50))
    assert LocalFaults().how("delay") == ""


@root_only
def test_a_delay_through_the_user_space_queue_says_so(ledger: ChaosLedger, recorder: Recorder) -> None:
    """Review 33 #9: on a kernel without sch_netem the fire notice said only "delay on tm-1 for 30s"."""
    if tc.netem_available():
        pytest.skip("this kernel has sch_netem: delays go through netem, with nothing to tell")
    with pytest.raises(PlatformError, match="ignores correlation"):
        ledger.fire("delay", ["tm-1"], duration=30, params={"latency_ms": 50, "correlation": 50})
    assert ledger.active() == [] and recorder.of(FaultEvent) == []
    fault = ledger.fire("delay", ["tm-1"], duration=30, params={"latency_ms": 50})
    said = recorder.of(FaultEvent)[-1].message
    assert said == "delay on tm-1 for 30s through scaletui's user-space NFQUEUE queue (no sch_netem in this kernel)"
    assert ledger.said(fault, ["tm-1"]) == said
    ledger.revert(fault.id)
