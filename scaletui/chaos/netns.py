"""Network namespaces: which one a target process lives in, and running tc/iptables inside it.

Rules are applied in the target's own namespace, so a target started in a namespace of its own (veth) is isolated
from everything else on the machine, and a target in ours is matched by its ports. `NetnsSandbox` creates such a
namespace with a veth pair for launching an instance inside it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaletui.chaos import procs
from scaletui.errors import PlatformError

NETNS_DIR = Path("/var/run/netns")

TOOL_PACKAGES = {"tc": "iproute2", "ip": "iproute2", "iptables": "iptables", "nsenter": "util-linux"}


@dataclass(frozen=True)
class NetnsRef:
    """A network namespace: ours (path ""), a named one (/var/run/netns/<name>), or a process's (pid + start)."""

    path: str = ""
    pid: int = 0
    start: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "pid": self.pid, "start": self.start}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> NetnsRef:
        return cls(path=str(doc.get("path", "")), pid=int(doc.get("pid", 0)), start=int(doc.get("start", 0)))

    def alive(self) -> bool:
        """False when the namespace is gone (its process died): nothing is left in it to clean."""
        if not self.path:
            return True
        if self.pid:
            return procs.same_process(self.pid, self.start)
        return Path(self.path).exists()

    def wrap(self, argv: list[str]) -> list[str]:
        return ["nsenter", f"--net={self.path}", *argv] if self.path else list(argv)


def inode(path: str) -> int | None:
    """The inode `path` names (a namespace's identity), or None when it is gone or unreadable."""
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def netns_of(pid: int) -> NetnsRef:
    """The namespace of `pid`: ours, a named one when it matches one, else the process's own."""
    ino = inode(f"/proc/{pid}/ns/net")
    if ino is None:
        raise PlatformError(f"Process {pid} is gone.", "Pick a running instance.")
    if ino == inode("/proc/self/ns/net"):
        return NetnsRef()
    if NETNS_DIR.is_dir():
        for entry in NETNS_DIR.iterdir():
            if inode(str(entry)) == ino:
                return NetnsRef(path=str(entry))
    start = procs.start_time(pid) or 0
    return NetnsRef(path=f"/proc/{pid}/ns/net", pid=pid, start=start)


def require_tool(name: str) -> None:
    if shutil.which(name) is None:
        pkg = TOOL_PACKAGES.get(name, name)
        raise PlatformError(
            f"This fault needs `{name}`, which is not installed.", f"Install it: apt-get install -y {pkg}."
        )


def run(ns: NetnsRef, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a network tool inside `ns`; returns the completed process (callers decide what an error means)."""
    require_tool(argv[0])
    if ns.path:
        require_tool("nsenter")
    return subprocess.run(ns.wrap(argv), capture_output=True, text=True, timeout=15, check=False)


def device_for(ns: NetnsRef, address: str) -> str:
    """The interface holding `address` in `ns` (lo for loopback addresses): where the target's egress is shaped."""
    if address.startswith("127.") or address in ("localhost", "::1"):
        return "lo"
    out = run(ns, ["ip", "-o", "addr", "show", "to", address]).stdout.split()
    if len(out) > 1:
        return out[1]
    raise PlatformError(
        f"No interface holds address {address} in the target's network namespace.", "Check the instance's address."
    )


@dataclass
class NetnsSandbox:
    """A named namespace joined to ours by a veth pair: host side `host_ip`, inside `inner_ip` (a /30)."""

    name: str
    index: int

    @property
    def host_ip(self) -> str:
        return f"10.213.{self.index}.1"

    @property
    def inner_ip(self) -> str:
        return f"10.213.{self.index}.2"

    @property
    def ref(self) -> NetnsRef:
        return NetnsRef(path=str(NETNS_DIR / self.name))

    def create(self) -> NetnsSandbox:
        if os.geteuid() != 0:
            raise PlatformError("A network namespace needs root.", "Run scaletui as root, or run without isolation.")
        host_if, inner_if = f"sth{self.index}", f"sti{self.index}"
        steps = [
            ["ip", "netns", "add", self.name],
            ["ip", "link", "add", host_if, "type", "veth", "peer", "name", inner_if],
            ["ip", "link", "set", inner_if, "netns", self.name],
            ["ip", "addr", "add", f"{self.host_ip}/30", "dev", host_if],
            ["ip", "link", "set", host_if, "up"],
            ["ip", "-n", self.name, "addr", "add", f"{self.inner_ip}/30", "dev", inner_if],
            ["ip", "-n", self.name, "link", "set", inner_if, "up"],
            ["ip", "-n", self.name, "link", "set", "lo", "up"],
        ]
        for argv in steps:
            done = run(NetnsRef(), argv)
            if done.returncode != 0:
                self.delete()
                raise PlatformError(
                    f"Could not create network namespace {self.name}: {done.stderr.strip()}.",
                    "Delete a leftover one with `ip netns del`.",
                )
        return self

    def wrap(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]

    def delete(self) -> None:
        """Idempotent: deleting the namespace also removes the veth pair."""
        run(NetnsRef(), ["ip", "netns", "del", self.name])
        run(NetnsRef(), ["ip", "link", "del", f"sth{self.index}"])
