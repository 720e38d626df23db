"""The doctor's check for what faults left on this host: rules, qdiscs and processes no ledger will revert."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from scaletui.doctor_context import DoctorContext, Finding

LEFTOVER_TABLES = ("mangle", "filter")
"""Where faults' iptables rules are looked for, every chain: scaletui/chaos/netfilter.py writes only to mangle
(OUTPUT: NFQUEUE for delay, DROP for loss and partitions); filter costs one more command and catches a tagged rule
put there by hand."""
ALL_CLEAR = (
    "no fault leftovers in this host's network namespace (tagged iptables rules, scaletui's shaping qdisc, marked "
    "processes); not looked for: a paused target (a stopped process that carries no mark: `ps -eo pid,stat,cmd | "
    "awk '$2 ~ /^T/'`) and faults inside containers' namespaces"
)


def check_fault_leftovers(ctx: DoctorContext) -> list[Finding]:
    """What faults changed on this host that is still there: iptables rules tagged `scaletui:<fault id>`, our tc root
    qdisc, processes marked SCALETUI_FAULT. A scaletui killed with kill -9 whose session directory is gone leaves them
    for good (no ledger will revert them); each is one finding with the command that removes it. The active faults of
    a scaletui running now are listed the same way: nothing on the host tells the two apart."""
    from scaletui.chaos import netfilter, procs, tc

    found: list[Finding] = []
    unseen: list[str] = []

    iptables = ctx.sbin("iptables")
    if iptables is None:
        unseen.append("iptables rules (no iptables on PATH or in /usr/sbin)")
    unread: dict[str, list[str]] = {}  # why -> the tables iptables would not list for that reason
    for table in LEFTOVER_TABLES if iptables else ():
        listing = ctx.run([str(iptables), "-w", "1", "-t", table, "-S"])
        if listing is None or listing.returncode != 0:
            why = re.sub(r"^iptables v\S+(?: \(\S+\))?: ", "", _why(ctx, listing))
            unread.setdefault(why, []).append(table)
            continue
        for rule in (line for line in netfilter.tagged_lines(listing.stdout) if line.startswith("-A ")):
            chain, _, spec = rule.removeprefix("-A ").partition(" ")
            action = spec[spec.find("-j ") :] if "-j " in spec else spec
            detail = f"fault {netfilter.fault_id(rule) or '?'}: iptables rule in {table} {chain} ({action})"
            fix = f"iptables -t {table} -D {chain} {spec}"
            found.append(Finding(f"iptables rule {len(found) + 1}", False, detail, fix, False, "network faults", True))

    for why, tables in unread.items():
        unseen.append(f"the iptables {' and '.join(tables)} table{'s' if len(tables) > 1 else ''} ({why})")

    tc_path = ctx.sbin("tc")
    shown = ctx.run([str(tc_path), "qdisc", "show"]) if tc_path else None
    if tc_path is None or shown is None or shown.returncode != 0:
        unseen.append("tc qdiscs (" + (_why(ctx, shown) if tc_path else "no tc on PATH or in /usr/sbin") + ")")
    for dev in tc.shaped_devices(shown.stdout) if shown else ():
        detail = f"scaletui's shaping root qdisc htb {tc.ROOT}: on {dev} (tc keeps no fault id)"
        fix = f"tc qdisc del dev {dev} root"
        found.append(Finding(f"tc qdisc {dev}", False, detail, fix, False, "network faults", True))

    for pid, marker in sorted(procs.fault_markers().items()):
        if pid == os.getpid():
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            command = "?"
        stopped = procs.run_state(pid) == "T"
        what = "stopped process" if stopped else "process"
        detail = f"fault {marker}: {what} {pid} ({command[:60]})"
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


def _why(ctx: DoctorContext, result: subprocess.CompletedProcess[str] | None) -> str:
    """Why a listing command gave nothing: its first line of stderr, its exit status, or the timeout."""
    if result is None:
        return f"it did not answer within {ctx.timeout:g} s"
    lines = result.stderr.strip().splitlines()
    return lines[0] if lines else f"exit status {result.returncode}"
