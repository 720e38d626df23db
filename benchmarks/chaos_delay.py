"""Local network faults measured side by side (root): requested delay against the connect round trip it causes,
bulk throughput under the user-space delay queue and under a TBF limit, and the ledger's cost to inject and revert.

An echo server runs in a namespace of its own (veth); every figure comes from the same run.

    sudo .venv/bin/python benchmarks/chaos_delay.py [--probes 30]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scaletui.chaos import tc
from scaletui.chaos.ledger import ChaosLedger
from scaletui.chaos.netns import NetnsSandbox
from scaletui.chaos.process_faults import LocalFaults
from scaletui.cluster.base import Instance
from scaletui.engine.reducer import SessionFaultJournal
from scaletui.events import EventBus
from scaletui.latency.probe import connect_rtt_ms
from scaletui.session.store import SessionStore

ECHO = """
import socket, sys, threading
s = socket.create_server((sys.argv[1], 0)); print(s.getsockname()[1], flush=True)
def serve(c):
    with c:
        while d := c.recv(65536): c.sendall(d)
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
"""


def rtt(addr: str, port: int, n: int) -> float:
    return statistics.median(v for _ in range(n) if (v := connect_rtt_ms(addr, port)) is not None)


def throughput_mbit(addr: str, port: int, size: int = 2_000_000) -> float:
    payload = b"x" * size
    start = time.perf_counter()
    with socket.create_connection((addr, port), timeout=60) as s:
        s.sendall(payload)
        got = 0
        while got < size:
            got += len(s.recv(1 << 16))
    return size * 8 / (time.perf_counter() - start) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--probes", type=int, default=30)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root", file=sys.stderr)
        return 1
    sandbox = NetnsSandbox(name=f"stbench{os.getpid()}", index=251).create()
    server = subprocess.Popen(
        sandbox.wrap([sys.executable, "-c", ECHO, sandbox.inner_ip]), stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    port = int(server.stdout.readline())
    addr = sandbox.inner_ip
    inst = Instance(name="tm-1", role="taskmanager", state="running", address=addr, pid=server.pid)
    tmp = Path(tempfile.mkdtemp())
    ledger = ChaosLedger(
        SessionFaultJournal(SessionStore.open(tmp / "s")), EventBus(), [LocalFaults()], instances=lambda: [inst]
    )
    try:
        print(f"delay backend: {'netem' if tc.netem_available() else 'user-space NFQUEUE queue'}")
        base = rtt(addr, port, args.probes)
        print(f"\n{'requested ms':>12} {'connect RTT ms':>15} {'added ms':>9} {'error ms':>9}")
        print(f"{0:>12} {base:>15.2f} {0:>9.2f} {'':>9}")
        for want in (5, 20, 50, 100):
            f = ledger.fire("delay", ["tm-1"], 60, {"latency_ms": want})
            got = rtt(addr, port, args.probes)
            ledger.revert(f.id)
            print(f"{want:>12} {got:>15.2f} {got - base:>9.2f} {got - base - want:>9.2f}")
        free = throughput_mbit(addr, port)
        f = ledger.fire("delay", ["tm-1"], 60, {"latency_ms": 0.1})
        queued = throughput_mbit(addr, port)
        ledger.revert(f.id)
        f = ledger.fire("bandwidth", ["tm-1"], 60, {"rate": "20mbit"})
        limited = throughput_mbit(addr, port)
        ledger.revert(f.id)
        print(
            f"\nbulk echo throughput: free {free:.0f} Mbit/s, through the 0.1 ms delay queue {queued:.0f} Mbit/s "
            f"({queued / free:.2f}x), TBF 20mbit {limited:.1f} Mbit/s"
        )
        timings: dict[str, list[float]] = {}
        for kind, params in (
            ("delay", {"latency_ms": 10}),
            ("loss", {"percent": 1}),
            ("bandwidth", {"rate": "1mbit"}),
            ("pause", {}),
            ("cpu-stress", {"workers": 1, "load": 5}),
        ):
            t0 = time.perf_counter()
            f = ledger.fire(kind, ["tm-1"], 60, params)
            t1 = time.perf_counter()
            ledger.revert(f.id)
            t2 = time.perf_counter()
            timings[kind] = [(t1 - t0) * 1000, (t2 - t1) * 1000]
        print(f"\n{'fault':>11} {'inject ms':>10} {'revert ms':>10}   (ledger writes fsync'd TOML per step)")
        for kind, (inj, rev) in timings.items():
            print(f"{kind:>11} {inj:>10.0f} {rev:>10.0f}")
    finally:
        ledger.close()
        server.kill()
        server.wait()
        sandbox.delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
