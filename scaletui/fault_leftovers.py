"""The doctor's check for what faults left on this machine: rules, qdiscs and processes no ledger will revert.

Looked at: iptables rules tagged `scaletui:<fault id>` and scaletui's tc root qdisc in the host's network namespace
and, as root, in every other one a fault could have used (the named ones under /var/run/netns and those processes
are in, e.g. containers'; at most 64, entered with nsenter); processes marked SCALETUI_FAULT. Not looked at: a paused
target (a stopped process carries no mark) and a namespace held only by a bind mount elsewhere or an open descriptor.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

from scaletui.doctor_context import DoctorContext, Finding

LEFTOVER_TABLES = ("mangle", "filter")
"""Where faults' iptables rules are looked for, every chain: scaletui/chaos/netfilter.py writes only to mangle
(OUTPUT: NFQUEUE for delay, DROP for loss and partitions); filter costs one more command and catches a tagged rule
put there by hand."""
MAX_NAMESPACES = 64
"""Other network namespaces looked in, at most: three listings each, so a machine running hundreds of containers
still gets its answer in seconds (the finding says how many were left out)."""
SWEEP_SECONDS = 10.0
"""No namespace is entered after this long: a wedged iptables in each would otherwise add up its timeout 64 times."""
ALL_CLEAR = (
    "no fault leftovers: no tagged iptables rule or scaletui shaping qdisc in any network namespace (the host's, the "
    "named ones, those processes are in), no marked process; not looked for: a paused target (a stopped process "
    "that carries no mark: `ps -eo pid,stat,cmd | awk '$2 ~ /^T/'`)"
)


class Netns(NamedTuple):
    """A network namespace to look in: the host's (no path), a named one, or the one a process is in. (A NamedTuple:
    a dataclass would add a millisecond to importing machine_checks, i.e. to every `scaletui doctor`.)"""

    path: str = ""
    name: str = ""
    pid: int = 0
    command: str = ""

    @property
    def where(self) -> str:
        """How a finding's detail names it ("" for the host's)."""
        if self.name:
            return f"netns {self.name}"
        return f"the network namespace of process {self.pid} ({self.command[:40]})" if self.pid else ""

    @property
    def suffix(self) -> str:
        """What keeps finding names unique across namespaces ("" for the host's, so its names stay as they were)."""
        if self.name:
            return f" (netns {self.name})"
        return f" (netns of pid {self.pid})" if self.pid else ""

    def fix(self, command: str) -> str:
        """`command` as a user types it to run it in this namespace."""
        if self.name:
            import shlex  # only once a leftover is found in a named namespace

            return f"ip netns exec {shlex.quote(self.name)} {command}"
        return f"nsenter --net={self.path} {command}" if self.path else command


def check_fault_leftovers(ctx: DoctorContext) -> list[Finding]:
    """What faults changed that is still there: iptables rules tagged `scaletui:<fault id>` and our tc root qdisc, in
    every network namespace (a fault on a target in a namespace of its own changes that one), and processes marked
    SCALETUI_FAULT. A scaletui killed with kill -9 whose session directory is gone leaves them for good (no ledger
    will revert them); each is one finding with the command that removes it. The active faults of a scaletui running
    now are listed the same way: nothing on the machine tells the two apart."""
    from scaletui.chaos import netns, procs

    found: list[Finding] = []
    unseen: list[str] = []
    iptables, tc_path = ctx.sbin("iptables"), ctx.sbin("tc")
    if iptables is None:
        unseen.append("iptables rules (no iptables on PATH or in /usr/sbin)")
    if tc_path is None:
        unseen.append("tc qdiscs (no tc on PATH or in /usr/sbin)")

    places, nsenter = [Netns()], ctx.sbin("nsenter")
    if os.geteuid() != 0:
        unseen.append("the other network namespaces (entering one needs root)")
    elif others := other_namespaces(netns.NETNS_DIR):
        if nsenter is None:
            unseen.append(f"{len(others)} other network namespace(s) (no nsenter on PATH or in /usr/sbin)")
        else:
            places += others
    unread: dict[str, list[str]] = {}  # what could not be listed and why -> where
    deadline = time.monotonic() + SWEEP_SECONDS
    for i, place in enumerate(places):
        if i > MAX_NAMESPACES or (place.path and time.monotonic() > deadline):
            left = len(places) - i
            unseen.append(
                f"{left} more network namespace{'s' if left > 1 else ''} (at most {MAX_NAMESPACES} besides the "
                f"host's are entered, none after {SWEEP_SECONDS:g} s)"
            )
            break
        found += _leftovers_in(ctx, place, iptables, tc_path, nsenter, unread)
    for what, wheres in unread.items():
        named = [w or "the host's network namespace" for w in wheres]
        unseen.append(what if wheres == [""] else f"{what} in {_some(named)}")

    for pid, marker in sorted(procs.fault_markers().items()):
        if pid == os.getpid():
            continue
        stopped = procs.run_state(pid) == "T"
        what = "stopped process" if stopped else "process"
        detail = f"fault {marker}: {what} {pid} ({_command(pid)[:60]})"
        fix = f"kill -CONT {pid}; kill {pid}" if stopped else f"kill {pid}"
        found.append(Finding(f"process {pid}", False, detail, fix, False, "chaos faults", True))
    if os.geteuid() != 0:
        unseen.append("other users' processes (their environment is root's to read)")

    if not unseen:
        return found or [Finding("fault leftovers", True, ALL_CLEAR, "", False, "chaos faults")]
    detail = ("none found where it looked, but " if not found else "") + "could not look at " + "; ".join(unseen)
    if os.geteuid() != 0:
        detail += "; run it as root to see everything"
    return [*found, Finding("fault leftovers", True, detail, "", False, "chaos faults")]


def other_namespaces(netns_dir: Path) -> list[Netns]:
    """Every network namespace but the host's: the named ones in `netns_dir`, then one per namespace processes are
    in (its lowest pid), unless it is a named one. Told apart by inode; a process whose namespace cannot be read
    (another user's, without root) is not seen."""
    from scaletui.chaos.netns import inode

    seen = {None, inode("/proc/self/ns/net")}
    found: list[Netns] = []
    try:
        named = sorted(netns_dir.iterdir())
    except OSError:
        named = []
    for entry in named:
        if (ino := inode(str(entry))) not in seen:
            seen.add(ino)
            found.append(Netns(path=str(entry), name=entry.name))
    for pid in sorted(int(e.name) for e in os.scandir("/proc") if e.name.isdigit()):
        if (ino := inode(f"/proc/{pid}/ns/net")) not in seen:
            seen.add(ino)
            found.append(Netns(path=f"/proc/{pid}/ns/net", pid=pid, command=_command(pid)))
    return found


def _leftovers_in(
    ctx: DoctorContext,
    place: Netns,
    iptables: Path | None,
    tc_path: Path | None,
    nsenter: Path | None,
    unread: dict[str, list[str]],
) -> list[Finding]:
    """The tagged rules and our root qdiscs in one namespace; what it could not list goes into `unread`, unless the
    namespace is gone (its process ended while the doctor looked: nothing is left in it)."""
    from scaletui.chaos import netfilter, tc

    def listing(argv: list[str]) -> subprocess.CompletedProcess[str] | None:
        return ctx.run([str(nsenter), f"--net={place.path}", *argv] if place.path else argv)

    found: list[Finding] = []
    failed: dict[str, list[str]] = {}  # why -> the tables iptables would not list for that reason
    for table in LEFTOVER_TABLES if iptables else ():
        result = listing([str(iptables), "-w", "1", "-t", table, "-S"])
        if result is None or result.returncode != 0:
            why = re.sub(r"^iptables v\S+(?: \(\S+\))?: ", "", _why(ctx, result))
            failed.setdefault(why, []).append(table)
            continue
        for rule in (line for line in netfilter.tagged_lines(result.stdout) if line.startswith("-A ")):
            chain, _, spec = rule.removeprefix("-A ").partition(" ")
            action = spec[spec.find("-j ") :] if "-j " in spec else spec
            detail = f"fault {netfilter.fault_id(rule) or '?'}: iptables rule in {table} {chain} ({action})"
            detail += f" in {place.where}" if place.where else ""
            fix = place.fix(f"iptables -t {table} -D {chain} {spec}")
            name = f"iptables rule {len(found) + 1}{place.suffix}"
            found.append(Finding(name, False, detail, fix, False, "network faults", True))
    whats = [f"the iptables {' and '.join(t)} table{'s' if len(t) > 1 else ''} ({why})" for why, t in failed.items()]

    shown = listing([str(tc_path), "qdisc", "show"]) if tc_path else None
    if tc_path and (shown is None or shown.returncode != 0):
        whats.append(f"tc qdiscs ({_why(ctx, shown)})")
    for dev in tc.shaped_devices(shown.stdout) if shown else ():
        where = f" in {place.where}" if place.where else ""
        detail = f"scaletui's shaping root qdisc htb {tc.ROOT}: on {dev}{where} (tc keeps no fault id)"
        fix = place.fix(f"tc qdisc del dev {dev} root")
        found.append(Finding(f"tc qdisc {dev}{place.suffix}", False, detail, fix, False, "network faults", True))

    if whats and not (place.path and not Path(place.path).exists()):
        for what in whats:
            unread.setdefault(what, []).append(place.where)
    return found


def _command(pid: int) -> str:
    """The process's command line, one space between arguments, or "?" once it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def _some(names: list[str]) -> str:
    """The first three of `names` and how many more: a note stays one line on a machine full of containers."""
    shown = ", ".join(names[:3])
    return shown if len(names) <= 3 else f"{shown} and {len(names) - 3} more"


def _why(ctx: DoctorContext, result: subprocess.CompletedProcess[str] | None) -> str:
    """Why a listing command gave nothing: its first line of stderr, its exit status, or the timeout."""
    if result is None:
        return f"it did not answer within {ctx.timeout:g} s"
    lines = result.stderr.strip().splitlines()
    return lines[0] if lines else f"exit status {result.returncode}"
