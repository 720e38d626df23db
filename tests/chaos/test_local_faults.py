"""Local faults for real (root): an echo server in its own network namespace is the instance; each test injects a
fault through the ledger, measures its effect, reverts, and checks nothing is left behind."""

from __future__ import annotations

import socket
import statistics
import time
from pathlib import Path

import pytest

from scaletui.chaos import procs, tc
from scaletui.chaos.ledger import ChaosLedger
from scaletui.engine.reducer import SessionFaultJournal
from scaletui.events import FaultEvent
from scaletui.latency.probe import ProbeLatency, connect_rtt_ms
from tests.chaos.conftest import Recorder, root_only
from tests.chaos.realenv import EchoInstance, leaks, marked_anywhere, wait_for

pytestmark = [root_only, pytest.mark.timeout(60)]


def rtt(echo: EchoInstance, n: int = 5) -> float:
    values = [v for _ in range(n) if (v := connect_rtt_ms(echo.instance.address, echo.port)) is not None]
    assert values, "echo server unreachable"
    return statistics.median(values)


def test_delay_shows_in_connect_rtt_and_ends_at_expiry(
    ledger: ChaosLedger, echo: EchoInstance, recorder: Recorder
) -> None:
    base = rtt(echo)
    fault = ledger.fire("delay", ["tm-1"], duration=2.0, params={"latency_ms": 80, "jitter_ms": 5})
    delayed = rtt(echo)
    assert delayed > base + 60, (base, delayed)
    assert wait_for(lambda: not ledger.active(), timeout=8)
    assert rtt(echo) < base + 30

    def actions() -> list[str]:
        return [e.action for e in recorder.of(FaultEvent) if e.fault_id == fault.id]

    assert wait_for(lambda: len(actions()) == 2, timeout=8), "the expiry is published once the ledger forgot it"
    assert actions() == ["injected", "expired"]
    assert leaks(echo.sandbox, [echo.process.pid]) == []  # type: ignore[attr-defined]


def test_loss_drops_packets_then_revert_restores(ledger: ChaosLedger, echo: EchoInstance) -> None:
    fault = ledger.fire("loss", ["role:taskmanager"], duration=30, params={"percent": 100})
    assert connect_rtt_ms(echo.instance.address, echo.port, timeout=0.5) is None
    assert ledger.revert(fault.id)
    assert connect_rtt_ms(echo.instance.address, echo.port) is not None
    assert leaks(echo.sandbox, [echo.process.pid]) == []  # type: ignore[attr-defined]


def test_bandwidth_limit_slows_bulk_transfer(ledger: ChaosLedger, echo: EchoInstance) -> None:
    def transfer_s(size: int = 400_000) -> float:
        payload = b"x" * size
        start = time.perf_counter()
        with socket.create_connection((echo.instance.address, echo.port), timeout=20) as s:
            s.sendall(payload)
            got = 0
            while got < size:
                chunk = s.recv(65536)
                assert chunk
                got += len(chunk)
        return time.perf_counter() - start

    free = transfer_s()
    fault = ledger.fire("bandwidth", ["tm-1"], duration=30, params={"rate": "2mbit"})
    limited = transfer_s()
    assert limited > 1.0 > free * 5, (free, limited)  # 3.2 Mbit at 2 Mbit/s: ~1.6 s
    ledger.revert(fault.id)
    assert not tc.leftover(echo.sandbox.ref, f"sti{echo.sandbox.index}")  # type: ignore[attr-defined]
    assert transfer_s() < 1.0


def test_pause_stops_then_resumes(ledger: ChaosLedger, echo: EchoInstance) -> None:
    fault = ledger.fire("pause", ["tm-1"], duration=30)
    assert procs.run_state(echo.process.pid) == "T"
    ledger.revert(fault.id)
    assert wait_for(lambda: procs.run_state(echo.process.pid) != "T")
    assert rtt(echo) < 50


def test_cpu_stress_runs_and_is_killed_on_revert(ledger: ChaosLedger, echo: EchoInstance) -> None:
    fault = ledger.fire("cpu-stress", ["tm-1"], duration=30, params={"workers": 1, "load": 20})
    assert wait_for(lambda: len(procs.marked_pids(fault.id)) >= 2)  # stress-ng and its worker
    ledger.revert(fault.id)
    assert procs.marked_pids(fault.id) == []
    assert marked_anywhere() == []


def test_kill_sends_sigkill(ledger: ChaosLedger, echo: EchoInstance) -> None:
    ledger.fire("kill", ["tm-1"], duration=5)
    assert echo.process.wait(timeout=5) == -9


def test_close_reverts_everything(ledger: ChaosLedger, echo: EchoInstance) -> None:
    ledger.fire("pause", ["tm-1"], duration=60)
    ledger.fire("delay", ["tm-1"], duration=60, params={"latency_ms": 20})
    assert len(ledger.active()) == 2
    assert ledger.close() == 2
    assert ledger.journal.entries() == []
    assert leaks(echo.sandbox, [echo.process.pid]) == []  # type: ignore[attr-defined]


def test_injected_delay_shows_in_the_probe_latency_matrix(ledger: ChaosLedger, echo: EchoInstance) -> None:
    from tests.chaos.realenv import start_echo

    sandbox = echo.sandbox  # type: ignore[attr-defined]
    others = [start_echo(sandbox, name) for name in ("tm-2", "tm-3")]
    try:
        instances = [echo.instance] + [o.instance for o in others]
        ledger.instances = lambda: instances
        probe = ProbeLatency(samples=5)
        before = probe.matrix(instances)
        ledger.fire("delay", ["tm-1"], duration=30, params={"latency_ms": 60})
        during = probe.matrix(instances)
        assert during.get("tm-1", "tm-2") > before.get("tm-1", "tm-2") + 45  # type: ignore[operator]
        assert during.get("tm-2", "tm-3") < 30  # type: ignore[operator]
        assert during.worst(["tm-1", "tm-2", "tm-3"]) == during.worst_from("tm-1")
        ledger.revert_all()
        assert probe.matrix(instances).get("tm-1", "tm-2") < 30  # type: ignore[operator]
    finally:
        for other in others:
            other.stop()


def test_one_delay_fault_on_two_instances_sharing_a_namespace(
    store,
    bus,
    echo: EchoInstance,  # type: ignore[no-untyped-def]
) -> None:
    """Two TaskManagers in one namespace (as local Flink runs them): one delay queue serves both targets, since an
    NFQUEUE number can be bound once; both are delayed, and the revert leaves nothing."""
    from scaletui.chaos.process_faults import LocalFaults
    from tests.chaos.realenv import start_echo

    second = start_echo(echo.sandbox, "tm-2")  # type: ignore[attr-defined]
    led = ChaosLedger(
        SessionFaultJournal(store), bus, [LocalFaults()], instances=lambda: [echo.instance, second.instance]
    ).start()
    try:
        base = (rtt(echo), rtt(second))
        fault = led.fire("delay", ["role:taskmanager"], duration=30, params={"latency_ms": 60})
        assert rtt(echo) > base[0] + 40 and rtt(second) > base[1] + 40
        assert led.revert(fault.id)
        assert rtt(echo) < base[0] + 30 and rtt(second) < base[1] + 30
        assert leaks(echo.sandbox, [echo.process.pid, second.process.pid]) == []  # type: ignore[attr-defined]
    finally:
        led.close()
        second.stop()


def own_leaks(sandbox, pids: list[int], fault_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    """What this fault could leave (its rules, its processes, stopped targets): other developers' tests on a shared
    machine may have fault processes of their own running at the same moment."""
    left = [x for x in leaks(sandbox, pids, prefix=f"scaletui:{fault_id}") if not x.startswith("marked process")]
    return left + [f"marked process {p}" for p in procs.marked_pids(fault_id)]


PINGER = """
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.settimeout(0.5)
for line in sys.stdin:
    s.sendall(b"ping")
    try:
        got = s.recv(16)
    except OSError:
        got = b""
    while got and got != b"ping":
        got = b""
    print("ok" if got else "cut", flush=True)
"""


def test_partition_cuts_traffic_between_target_and_peer_then_revert_restores(
    store,
    bus,
    echo: EchoInstance,  # type: ignore[no-untyped-def]
) -> None:
    """A client process (the target) holds a connection to the echo server (the peer) in the same namespace; a
    partition drops its traffic both ways (iptables DROP on the two processes' ports), the revert lets TCP's
    retransmission deliver again, and nothing is left."""
    import subprocess
    import sys

    from scaletui.chaos.process_faults import LocalFaults
    from scaletui.cluster.base import Instance

    sandbox = echo.sandbox  # type: ignore[attr-defined]
    argv = sandbox.wrap([sys.executable, "-c", PINGER, echo.instance.address, str(echo.port)])
    client = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert client.stdin is not None and client.stdout is not None

    def ping() -> str:
        client.stdin.write("go\n")  # type: ignore[union-attr]
        client.stdin.flush()  # type: ignore[union-attr]
        return client.stdout.readline().strip()  # type: ignore[union-attr]

    target = Instance(name="client", role="other", state="running", address=echo.instance.address, pid=client.pid)
    instances = [echo.instance, target]
    led = ChaosLedger(
        SessionFaultJournal(store), bus, [LocalFaults(instances=lambda: instances)], instances=lambda: instances
    ).start()
    try:
        assert ping() == "ok"
        fault = led.fire("partition", ["client"], duration=30, params={"peers": ["tm-1"], "direction": "both"})
        assert ping() == "cut"
        assert led.revert(fault.id)
        assert wait_for(lambda: ping() == "ok", timeout=15)
        assert own_leaks(sandbox, [echo.process.pid, client.pid], fault.id) == []
    finally:
        led.close()
        client.kill()
        client.wait(timeout=10)


def test_memory_stress_holds_memory_then_revert_frees_it(ledger: ChaosLedger, echo: EchoInstance) -> None:
    fault = ledger.fire("memory-stress", ["tm-1"], duration=30, params={"workers": 1, "size": "64MB"})

    def held_mb() -> float:
        rss = 0
        for pid in procs.marked_pids(fault.id):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
        return rss / 1024

    assert wait_for(lambda: held_mb() > 50, timeout=15), held_mb()
    ledger.revert(fault.id)
    assert own_leaks(echo.sandbox, [echo.process.pid], fault.id) == []  # type: ignore[attr-defined]


def test_selection_mode_fixed_hits_that_many_targets(store, bus, echo: EchoInstance) -> None:  # type: ignore[no-untyped-def]
    from scaletui.chaos.process_faults import LocalFaults
    from tests.chaos.realenv import start_echo

    second = start_echo(echo.sandbox, "tm-2")  # type: ignore[attr-defined]
    led = ChaosLedger(
        SessionFaultJournal(store), bus, [LocalFaults()], instances=lambda: [echo.instance, second.instance]
    ).start()
    try:
        led.fire("pause", ["role:taskmanager"], duration=30, params={"mode": "fixed", "value": 1})
        states = [procs.run_state(p.process.pid) for p in (echo, second)]
        assert sorted(states) == ["S", "T"] or sorted(states) == ["R", "T"], states
        led.revert_all()
        assert wait_for(lambda: "T" not in [procs.run_state(p.process.pid) for p in (echo, second)])
    finally:
        led.close()
        second.stop()
