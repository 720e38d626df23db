"""Traffic shaping of one process's egress with tc: an HTB root whose unclassified traffic passes untouched, one
class per fault holding a TBF (bandwidth) or netem (delay) qdisc, and u32 filters on the target's source ports.

Only faults add classes under our root handle; the root is removed when its last class goes. Every delete is
idempotent so the same undo step can run again after a crash.
"""

from __future__ import annotations

import functools
import re
import subprocess
from typing import Any

from scaletui.chaos import netns
from scaletui.chaos.netns import NetnsRef
from scaletui.errors import PlatformError

ROOT = "5c7"
_CLASS = re.compile(rf"class htb {ROOT}:([0-9a-f]+) ")


@functools.cache
def netem_available() -> bool:
    """Whether this kernel has sch_netem, tried in a throwaway namespace that vanishes with the probe."""
    try:
        done = subprocess.run(
            ["unshare", "--net", "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _tc(ns: NetnsRef, args: list[str]) -> subprocess.CompletedProcess[str]:
    return netns.run(ns, ["tc", *args])


def _bands(ns: NetnsRef, dev: str) -> set[int]:
    return {int(m, 16) for m in _CLASS.findall(_tc(ns, ["class", "show", "dev", dev]).stdout + "\n")}


def ensure_root(ns: NetnsRef, dev: str) -> None:
    root = _tc(ns, ["qdisc", "show", "dev", dev, "root"]).stdout
    if f"htb {ROOT}:" in root:
        return
    if re.search(r"qdisc \S+ 0: root", root) is None and root.strip():
        raise PlatformError(
            f"Device {dev} already has a root qdisc scaletui did not add: {root.strip()}.",
            f"Remove it (tc qdisc del dev {dev} root) or pick another target.",
        )
    done = _tc(ns, ["qdisc", "add", "dev", dev, "root", "handle", f"{ROOT}:", "htb", "default", "0"])
    if done.returncode != 0 and f"htb {ROOT}:" not in _tc(ns, ["qdisc", "show", "dev", dev, "root"]).stdout:
        raise PlatformError(
            f"tc could not add a root qdisc on {dev}: {done.stderr.strip()}.",
            "Bandwidth and delay faults need root and the kernel's sch_htb and cls_u32 modules.",
        )


def free_band(ns: NetnsRef, dev: str) -> int:
    used = _bands(ns, dev)
    return next(n for n in range(2, 0xFFF) if n not in used)


def undo_steps(ns: NetnsRef, dev: str, band: int) -> list[dict[str, Any]]:
    """Recorded before anything is added: remove our class, then the root if it is left empty."""
    where = {"netns": ns.to_dict(), "dev": dev}
    return [{"op": "tc-root-release", **where}, {"op": "tc-band-delete", **where, "band": band}]


def add_band(ns: NetnsRef, dev: str, band: int, qdisc: list[str], ports: list[int]) -> None:
    """Class `band` with child `qdisc` (e.g. ["tbf", "rate", "1mbit", ...]) fed by the given source ports."""
    classid = f"{ROOT}:{band:x}"
    steps = [
        [
            "class",
            "add",
            "dev",
            dev,
            "parent",
            f"{ROOT}:",
            "classid",
            classid,
            "htb",
            "rate",
            "10gbit",
            "quantum",
            "60000",
        ],
        ["qdisc", "add", "dev", dev, "parent", classid, "handle", f"{band + 0x100:x}:", *qdisc],
    ]
    steps += [
        [
            "filter",
            "add",
            "dev",
            dev,
            "parent",
            f"{ROOT}:",
            "protocol",
            "ip",
            "prio",
            str(band),
            "u32",
            "match",
            "ip",
            "sport",
            str(port),
            "0xffff",
            "flowid",
            classid,
        ]
        for port in ports
    ]
    for args in steps:
        done = _tc(ns, args)
        if done.returncode != 0:
            raise PlatformError(
                f"tc refused `{' '.join(args[:2])}` on {dev}: {done.stderr.strip()}.",
                "Check that the kernel has sch_htb, sch_tbf (or sch_netem) and cls_u32.",
            )


def delete_band(step: dict[str, Any]) -> None:
    ns, dev, band = NetnsRef.from_dict(step["netns"]), step["dev"], int(step["band"])
    if not ns.alive():
        return
    _tc(ns, ["filter", "del", "dev", dev, "parent", f"{ROOT}:", "protocol", "ip", "prio", str(band)])
    _tc(ns, ["class", "del", "dev", dev, "classid", f"{ROOT}:{band:x}"])
    if band in _bands(ns, dev):
        raise PlatformError(
            f"tc class {ROOT}:{band:x} on {dev} would not go away.", f"Remove it by hand: tc qdisc del dev {dev} root."
        )


def release_root(step: dict[str, Any]) -> None:
    ns, dev = NetnsRef.from_dict(step["netns"]), step["dev"]
    if not ns.alive():
        return
    if f"htb {ROOT}:" in _tc(ns, ["qdisc", "show", "dev", dev, "root"]).stdout and not _bands(ns, dev):
        _tc(ns, ["qdisc", "del", "dev", dev, "root", "handle", f"{ROOT}:"])


def leftover(ns: NetnsRef, dev: str) -> bool:
    """True when our root qdisc is still on `dev` (what a leak check looks for)."""
    return f"htb {ROOT}:" in _tc(ns, ["qdisc", "show", "dev", dev]).stdout


def shaped_devices(listing: str) -> list[str]:
    """The devices a `tc qdisc show` listing shows with our root qdisc on them (a leftover once no fault runs)."""
    return re.findall(rf"^qdisc htb {ROOT}: dev (\S+) root", listing, re.M)
