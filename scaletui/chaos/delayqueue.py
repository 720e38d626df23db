"""The user-space delay queue: holds each packet of one NFQUEUE for latency ± jitter, then lets it go.

Used for network delay when the kernel has no sch_netem. It runs as its own process (started in the target's
network namespace, marked with the fault id) so a busy or killed scaletui neither slows it nor leaves packets
stuck: the iptables rule uses --queue-bypass, so without this process packets simply pass.

    python -m scaletui.chaos.delayqueue --queue 4242 --latency-ms 100 --jitter-ms 10
"""

from __future__ import annotations

import argparse
import heapq
import random
import select
import signal
import sys
import time
from typing import Any


class _Stop(Exception):
    """Raised by the SIGTERM handler so a blocking select ends at once (PEP 475 would otherwise resume it)."""


def serve(queue: int, latency_ms: float, jitter_ms: float) -> None:
    from netfilterqueue import COPY_META, NetfilterQueue

    held: list[tuple[float, int, Any]] = []
    seq = 0
    last_due = 0.0

    def on_packet(pkt: Any) -> None:
        nonlocal seq, last_due
        delay = max(0.0, latency_ms + random.uniform(-jitter_ms, jitter_ms)) / 1000.0
        due = max(time.monotonic() + delay, last_due)  # keep order: TCP suffers from reordering
        last_due = due
        seq += 1
        heapq.heappush(held, (due, seq, pkt))

    def on_term(signum: int, frame: Any) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    nfq = NetfilterQueue()
    nfq.bind(queue, on_packet, max_len=65536, mode=COPY_META)
    fd = nfq.get_fd()
    print("ready", flush=True)
    try:
        while True:
            wait = max(0.0, held[0][0] - time.monotonic()) if held else 0.5
            readable, _, _ = select.select([fd], [], [], wait)
            if readable:
                nfq.run(block=False)
            now = time.monotonic()
            while held and held[0][0] <= now:
                heapq.heappop(held)[2].accept()
    except _Stop:
        pass
    finally:
        for _, _, pkt in held:
            pkt.accept()
        nfq.unbind()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scaletui.chaos.delayqueue")
    parser.add_argument("--queue", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, required=True)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    try:
        serve(args.queue, args.latency_ms, args.jitter_ms)
    except OSError as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
