"""A scaletui fault-injecting process for the kill test: it recovers the session's orphaned faults, then fires and
reverts local and Chaos Mesh faults at random until it is killed. Prints one JSON line per step.

    python -m tests.chaos.kill_driver --session DIR --pid PID --address ADDR --kubeconfig FILE [--recover-only]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from scaletui.chaos.chaosmesh import ChaosMeshFaults
from scaletui.chaos.ledger import ChaosLedger
from scaletui.chaos.process_faults import LocalFaults
from scaletui.cluster.base import Instance
from scaletui.engine.reducer import SessionFaultJournal
from scaletui.events import EventBus
from scaletui.session.store import SessionStore

LOCAL = [
    ("delay", {"latency_ms": 30, "jitter_ms": 5}),
    ("loss", {"percent": 10}),
    ("bandwidth", {"rate": "5mbit"}),
    ("pause", {}),
    ("cpu-stress", {"workers": 1, "load": 10}),
]
MESH = [("delay", {"latency_ms": 100}), ("kill", {}), ("cpu-stress", {"workers": 1}), ("bandwidth", {"rate": "1mbps"})]


def say(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--session", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--recover-only", action="store_true")
    args = parser.parse_args()
    target = Instance(name="tm-1", role="taskmanager", state="running", address=args.address, pid=args.pid)
    mesh = ChaosMeshFaults.from_kubeconfig(args.kubeconfig, "flink")
    ledger = ChaosLedger(
        SessionFaultJournal(SessionStore.open(Path(args.session))),
        EventBus(),
        [LocalFaults(), mesh],
        instances=lambda: [target],
    )
    cleaned = ledger.recover()
    say(step="recovered", cleaned=len(cleaned), left=len(ledger.active()))
    if args.recover_only:
        return 0
    ledger.start()
    rng = random.Random()
    while True:
        if ledger.active() and rng.random() < 0.25:
            victim = rng.choice(ledger.active())
            ledger.revert(victim.id)
            say(step="reverted", id=victim.id)
        elif len(ledger.active()) < 5:
            backend = rng.choice(["local", "local", "chaos-mesh"])
            kind, params = rng.choice(LOCAL if backend == "local" else MESH)
            fault = ledger.fire(kind, ["tm-1"], rng.uniform(0.3, 3.0), params, backend=backend)
            say(step="fired", id=fault.id, kind=kind, backend=backend)
        time.sleep(rng.uniform(0.0, 0.1))


if __name__ == "__main__":
    sys.exit(main())
