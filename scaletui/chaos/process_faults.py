"""Faults on local processes, for real: SIGKILL, SIGSTOP/SIGCONT, stress-ng CPU and memory hogs, network delay, loss
and bandwidth limits on one process's egress (matched by its TCP source ports, in its own network namespace), and a
partition (iptables DROP between the target's and the peers' ports, in the sending side's namespace).

A selection mode (params `mode`, `value`) picks among the targets as Chaos Mesh would. Ports are read when the
fault starts: a connection opened during a partition from a new ephemeral port is cut only where its other end
was already known.

Every step's undo is handed to `write_ahead` BEFORE the step runs, so the ledger holds something revertable at any
instant; every undo is idempotent. Works on any process given as a `cluster.base.Instance` with a pid.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from importlib.util import find_spec
from typing import Any

from pydantic import BaseModel

from scaletui.chaos import netfilter, procs, tc
from scaletui.chaos import targets as fault_targets
from scaletui.chaos.backend import PlannedFault, WriteAhead
from scaletui.chaos.kinds import NETWORK_KINDS
from scaletui.chaos.netns import NetnsRef, device_for, netns_of
from scaletui.chaos.params import (
    BandwidthParams,
    DelayParams,
    LossParams,
    MemoryStressParams,
    PartitionParams,
    StressParams,
)
from scaletui.cluster.base import Instance
from scaletui.errors import PlatformError

USER_SPACE_DELAY = "through scaletui's user-space NFQUEUE queue"
NEEDS_ROOT = PlatformError(
    "Network faults need root to change tc and iptables rules.",
    "Run scaletui as root (sudo), or use kill, pause or cpu-stress, which need no root.",
)


class LocalFaults:
    """The `local` fault backend."""

    name = "local"

    def __init__(self, python: str = sys.executable, instances: Callable[[], list[Instance]] | None = None) -> None:
        self.python = python
        self.instances = instances
        """The cluster's instances, to resolve a partition's peers by name or role (without it: "pid:<n>" only)."""
        self._children: dict[str, list[subprocess.Popen[bytes]]] = {}
        self._queues: set[tuple[str, str, int, int]] = set()
        """(fault id, network namespace) pairs with a delay queue running: a fault's targets sharing a namespace
        share its queue, since one NFQUEUE number can be bound once."""
        self._lock = threading.Lock()

    # --- checks before anything is recorded --------------------------------------------------------------------

    def check(self, kind: str, params: BaseModel | None = None) -> None:
        """Raise the one-sentence error for a fault this machine cannot do, or a parameter it would not apply, before
        the ledger records anything."""
        if kind in NETWORK_KINDS:
            if os.geteuid() != 0:
                raise NEEDS_ROOT
            if shutil.which("iptables") is None and kind != "bandwidth":
                raise PlatformError(
                    "Network faults need iptables, which is not installed.", "Install it: apt-get install -y iptables."
                )
        if kind == "delay" and not tc.netem_available() and find_spec("netfilterqueue") is None:
            raise PlatformError(
                "This kernel has no sch_netem, and the user-space delay queue needs the NetfilterQueue package.",
                "Install it: apt-get install -y libnetfilter-queue-dev && pip install NetfilterQueue.",
            )
        if kind in ("cpu-stress", "memory-stress") and shutil.which("stress-ng") is None:
            raise PlatformError(
                f"{kind.capitalize()} needs stress-ng, which is not installed.",
                "Install it: apt-get install -y stress-ng.",
            )
        if isinstance(params, DelayParams) and params.correlation and not tc.netem_available():
            raise PlatformError(
                f"This kernel has no sch_netem, so the delay runs {USER_SPACE_DELAY}, which ignores correlation.",
                "Leave correlation out, or load sch_netem (modprobe sch_netem) to have it applied.",
            )
        if isinstance(params, LossParams) and params.correlation:
            raise PlatformError(
                "Local loss drops each packet independently (iptables statistic), so it does not apply correlation.",
                "Leave correlation out; Chaos Mesh applies it on Kubernetes.",
            )

    def how(self, kind: str) -> str:
        """Delay without sch_netem is the user-space queue: it is said, since its timing is coarser than netem's."""
        if kind == "delay" and not tc.netem_available():
            return f"{USER_SPACE_DELAY} (no sch_netem in this kernel)"
        return ""

    # --- inject ------------------------------------------------------------------------------------------------

    def inject(self, fault: PlannedFault, write_ahead: WriteAhead) -> None:
        self.check(fault.kind, fault.params)
        params = fault.params
        chosen = fault_targets.select(fault.targets, getattr(params, "mode", "all"), getattr(params, "value", None))
        for target in chosen:
            pid = _pid(target)
            if fault.kind == "kill":
                _signal(target, pid, signal.SIGKILL)
            elif fault.kind == "pause":
                write_ahead({"op": "signal-cont", "pid": pid, "start": procs.start_time(pid) or 0})
                _signal(target, pid, signal.SIGSTOP)
            elif isinstance(params, StressParams):
                self._stress(fault, pid, ["--cpu", str(params.workers), "--cpu-load", str(params.load)], write_ahead)
            elif isinstance(params, MemoryStressParams):
                hog = ["--vm", str(params.workers), "--vm-bytes", params.stress_ng_bytes, "--vm-keep"]
                self._stress(fault, pid, hog, write_ahead)
            elif isinstance(params, PartitionParams):
                self._partition(fault, target, pid, params, write_ahead)
            else:
                self._network(fault, target, pid, write_ahead)

    def _stress(self, fault: PlannedFault, pid: int, hog: list[str], write_ahead: WriteAhead) -> None:
        write_ahead({"op": "kill-marked", "marker": fault.id})
        # stress-ng's own --timeout is a last resort: even if every revert failed, the hog ends by itself.
        timeout = min(int(fault.duration) + 5, 30 * 86400)
        argv = ["stress-ng", *hog, "--timeout", f"{timeout}s", "--quiet", "--keep-name"]
        cpus = os.sched_getaffinity(pid)
        if cpus != os.sched_getaffinity(0) and shutil.which("taskset"):
            argv = ["taskset", "-c", ",".join(str(c) for c in sorted(cpus)), *argv]
        child = self._spawn(fault.id, argv)
        time.sleep(0.05)
        if child.poll() not in (None, 0):
            raise PlatformError("stress-ng failed to start.", "Run `stress-ng --cpu 1 --timeout 1s` to see why.")

    def _network(self, fault: PlannedFault, target: Instance, pid: int, write_ahead: WriteAhead) -> None:
        ns = netns_of(pid)
        ports = procs.tcp_ports(pid)
        if not ports:
            raise PlatformError(
                f"Instance {target.name} has no TCP sockets, so it has no traffic to fault.",
                "Pick an instance that serves or holds connections.",
            )
        params = fault.params
        if isinstance(params, LossParams):
            action = [
                "-m",
                "statistic",
                "--mode",
                "random",
                "--probability",
                f"{params.percent / 100:.4f}",
                "-j",
                "DROP",
            ]
            self._rules(fault.id, ns, ports, action, write_ahead)
        elif isinstance(params, BandwidthParams):
            qdisc = ["tbf", "rate", params.rate, "burst", str(params.buffer), "limit", str(params.limit)]
            self._band(ns, device_for(ns, target.address), qdisc, ports, write_ahead)
        elif isinstance(params, DelayParams) and tc.netem_available():
            qdisc = ["netem", "delay", f"{params.latency_ms}ms", f"{params.jitter_ms}ms", f"{params.correlation}%"]
            self._band(ns, device_for(ns, target.address), qdisc, ports, write_ahead)
        elif isinstance(params, DelayParams):
            queue = 20000 + int(fault.id[:4], 16) % 40000
            key = (fault.id, ns.path, ns.pid, ns.start)
            with self._lock:
                running = key in self._queues
            if not running:
                self._delay_queue(fault.id, ns, queue, params, write_ahead)
                with self._lock:
                    self._queues.add(key)
            self._rules(
                fault.id, ns, ports, ["-j", "NFQUEUE", "--queue-num", str(queue), "--queue-bypass"], write_ahead
            )

    def _partition(
        self, fault: PlannedFault, target: Instance, pid: int, params: PartitionParams, write_ahead: WriteAhead
    ) -> None:
        peers = fault_targets.resolve(params.peers, self.instances() if self.instances is not None else [])
        mine = procs.tcp_ports(pid)
        for peer in peers:
            peer_pid = _pid(peer)
            theirs = procs.tcp_ports(peer_pid)
            if not mine or not theirs:
                who = target.name if not mine else peer.name
                raise PlatformError(
                    f"Instance {who} has no TCP sockets, so there is no traffic to cut.",
                    "Partition instances that serve or hold connections.",
                )
            if params.direction in ("to", "both"):
                for rule in netfilter.pair_rules(fault.id, mine, theirs, ["-j", "DROP"]):
                    self._rule(netns_of(pid), rule, write_ahead)
            if params.direction in ("from", "both"):
                for rule in netfilter.pair_rules(fault.id, theirs, mine, ["-j", "DROP"]):
                    self._rule(netns_of(peer_pid), rule, write_ahead)

    @staticmethod
    def _rule(ns: NetnsRef, rule: list[str], write_ahead: WriteAhead) -> None:
        write_ahead(netfilter.undo_step(ns, rule))
        netfilter.add(ns, rule)

    def _rules(self, fault_id: str, ns: NetnsRef, ports: list[int], action: list[str], write_ahead: WriteAhead) -> None:
        for rule in netfilter.port_rules(fault_id, ports, action):
            write_ahead(netfilter.undo_step(ns, rule))
            netfilter.add(ns, rule)

    def _band(self, ns: NetnsRef, dev: str, qdisc: list[str], ports: list[int], write_ahead: WriteAhead) -> None:
        with self._lock:
            band = tc.free_band(ns, dev)
            for step in tc.undo_steps(ns, dev, band):
                write_ahead(step)
            tc.ensure_root(ns, dev)
            tc.add_band(ns, dev, band, qdisc, ports)

    def _delay_queue(
        self, fault_id: str, ns: NetnsRef, queue: int, params: DelayParams, write_ahead: WriteAhead
    ) -> None:
        write_ahead({"op": "kill-marked", "marker": fault_id})
        argv = ns.wrap(
            [
                self.python,
                "-m",
                "scaletui.chaos.delayqueue",
                "--queue",
                str(queue),
                "--latency-ms",
                str(params.latency_ms),
                "--jitter-ms",
                str(params.jitter_ms),
            ]
        )
        child = self._spawn(fault_id, argv, stdout=subprocess.PIPE)
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], 10.0)
        line = child.stdout.readline().decode().strip() if ready else ""
        if line != "ready":
            err = child.stderr.read().decode().strip() if child.stderr and child.poll() is not None else "no answer"
            raise PlatformError(
                f"The user-space delay queue did not start ({err}).",
                "Network delay without sch_netem needs root and the kernel's nfnetlink_queue.",
            )

    def _spawn(self, marker: str, argv: list[str], stdout: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
        env = {**os.environ, procs.MARKER_ENV: marker}
        child = subprocess.Popen(
            argv, env=env, stdout=stdout, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, start_new_session=True
        )
        with self._lock:
            self._children.setdefault(marker, []).append(child)
        return child

    # --- undo --------------------------------------------------------------------------------------------------

    def undo(self, step: dict[str, Any]) -> None:
        """Run one recorded undo step; running it twice is harmless."""
        op = step["op"]
        if op == "signal-cont":
            procs.send_signal(int(step["pid"]), int(step["start"]), signal.SIGCONT)
        elif op == "kill-marked":
            self._kill_marked(step["marker"])
            with self._lock:
                self._queues = {k for k in self._queues if k[0] != step["marker"]}
        elif op == "iptables-delete":
            netfilter.delete(step)
        elif op == "tc-band-delete":
            tc.delete_band(step)
        elif op == "tc-root-release":
            tc.release_root(step)
        else:
            raise PlatformError(f"Unknown local undo step {op!r} in the fault ledger.", "Revert it by hand.")

    def _kill_marked(self, marker: str) -> None:
        deadline = time.monotonic() + 5.0
        sig = signal.SIGTERM
        while pids := procs.marked_pids(marker):
            if time.monotonic() > deadline - 3.0:
                sig = signal.SIGKILL
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            self._reap(marker)
            if time.monotonic() > deadline:
                raise PlatformError(f"Processes of fault {marker} would not stop: {pids}.", "Kill them by hand.")
            time.sleep(0.05)
        self._reap(marker)

    def _reap(self, marker: str) -> None:
        with self._lock:
            children = self._children.get(marker, [])
            self._children[marker] = [c for c in children if c.poll() is None]
            if not self._children[marker]:
                del self._children[marker]


def _pid(target: Instance) -> int:
    if target.pid is None:
        raise PlatformError(
            f"Instance {target.name} has no local process to fault.",
            "Local faults need instances with a pid; on Kubernetes use the Chaos Mesh backend.",
        )
    return target.pid


def _signal(target: Instance, pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        raise PlatformError(
            f"Instance {target.name} (pid {pid}) is not running.", "Refresh the instance list."
        ) from None
    except PermissionError:
        raise PlatformError(
            f"Not allowed to signal instance {target.name} (pid {pid}).",
            "Run scaletui as the user that owns it, or as root.",
        ) from None
