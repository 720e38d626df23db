"""Real processes and namespaces for the local fault tests (root only), and the leak check they all end with."""

from __future__ import annotations

import functools
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from scaletui.chaos import netfilter, procs, tc
from scaletui.chaos.netns import NetnsRef, NetnsSandbox
from scaletui.cluster.base import Instance

ECHO = Path(__file__).with_name("echo_server.py")
IS_ROOT = os.geteuid() == 0


@dataclass
class EchoInstance:
    """An echo server process inside a sandbox namespace, seen as a TaskManager instance."""

    process: subprocess.Popen[str]
    port: int
    instance: Instance

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, 18)  # SIGCONT first: a stopped process ignores SIGTERM until resumed
            self.process.kill()
        self.process.wait(timeout=10)


def new_sandbox() -> NetnsSandbox:
    index = random.randint(1, 250)
    return NetnsSandbox(name=f"stt{os.getpid()}x{index}", index=index).create()


def start_echo(sandbox: NetnsSandbox, name: str = "tm-1") -> EchoInstance:
    proc = subprocess.Popen(
        sandbox.wrap([sys.executable, str(ECHO), sandbox.inner_ip]), stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    inst = Instance(name=name, role="taskmanager", state="running", address=sandbox.inner_ip, pid=proc.pid)
    return EchoInstance(proc, port, inst)


@functools.cache
def preexisting() -> tuple[str, ...]:
    """What fault leftovers the host had before this test session, remembered on the first call.

    A scaletui killed mid-fault whose session directory is gone (a test run aborted with kill -9) leaves its rules on
    the host, where no ledger will clean them; the leak checks count only what appears after."""
    return tuple(_leftovers(None, [], "scaletui:"))


def leaks(sandbox: NetnsSandbox | None, pids: list[int], prefix: str = "scaletui:") -> list[str]:
    """Everything a fault could leave: our qdisc or rules (host and sandbox), stopped targets, marked processes;
    leftovers the host had before the session are not counted."""
    before = set(preexisting())
    return [x for x in _leftovers(sandbox, pids, prefix) if x not in before]


def _leftovers(sandbox: NetnsSandbox | None, pids: list[int], prefix: str) -> list[str]:
    found = []
    spaces = [NetnsRef()] + ([sandbox.ref] if sandbox else [])
    for ns in spaces:
        devs = ["lo"] + ([f"sti{sandbox.index}"] if sandbox and ns.path else [])
        found += [f"qdisc on {d} in {ns.path or 'host'}" for d in devs if tc.leftover(ns, d)]
        found += netfilter.tagged_rules(ns, prefix)
    found += [f"pid {p} stopped" for p in pids if procs.run_state(p) == "T"]
    found += [f"marked process {p}" for p in marked_anywhere()]
    return found


def marked_anywhere() -> list[int]:
    return list(procs.fault_markers())


def wait_for(condition, timeout: float = 10.0, interval: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())
