"""A local fault this machine cannot do fails before anything is recorded, with one sentence and what to do."""

from __future__ import annotations

import shutil

import pytest

from scaletui.chaos import process_faults
from scaletui.chaos.process_faults import LocalFaults
from scaletui.errors import PlatformError


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
