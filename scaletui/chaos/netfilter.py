"""iptables rules that pick out one process's egress by its TCP source ports, tagged with the fault id.

Each rule is recorded (table, chain, spec) before it is added, and deleting it is idempotent, so a revert after a
crash at any point leaves no rule behind.
"""

from __future__ import annotations

import re
from typing import Any

from scaletui.chaos import netns
from scaletui.chaos.netns import NetnsRef
from scaletui.errors import PlatformError

TABLE = "mangle"
CHAIN = "OUTPUT"
MAX_PORTS = 15  # the multiport match takes at most 15 ports per rule


def comment(fault_id: str) -> str:
    return f"scaletui:{fault_id}"


def port_rules(fault_id: str, ports: list[int], action: list[str]) -> list[list[str]]:
    """One rule per group of up to 15 source ports, each ending with `action` (e.g. ["-j", "DROP"])."""
    rules = []
    for i in range(0, len(ports), MAX_PORTS):
        group = ",".join(str(p) for p in ports[i : i + MAX_PORTS])
        rules.append(
            [
                "-p",
                "tcp",
                "-m",
                "multiport",
                "--sports",
                group,
                "-m",
                "comment",
                "--comment",
                comment(fault_id),
                *action,
            ]
        )
    return rules


def pair_rules(fault_id: str, sports: list[int], dports: list[int], action: list[str]) -> list[list[str]]:
    """Rules matching packets from any of `sports` to any of `dports` (groups of 15 each way), each ending with
    `action`: the traffic between two processes, one way."""
    rules = []
    for i in range(0, len(sports), MAX_PORTS):
        for j in range(0, len(dports), MAX_PORTS):
            rules.append(
                [
                    "-p",
                    "tcp",
                    "-m",
                    "multiport",
                    "--sports",
                    ",".join(str(p) for p in sports[i : i + MAX_PORTS]),
                    "-m",
                    "multiport",
                    "--dports",
                    ",".join(str(p) for p in dports[j : j + MAX_PORTS]),
                    "-m",
                    "comment",
                    "--comment",
                    comment(fault_id),
                    *action,
                ]
            )
    return rules


def undo_step(ns: NetnsRef, rule: list[str]) -> dict[str, Any]:
    return {"op": "iptables-delete", "netns": ns.to_dict(), "table": TABLE, "chain": CHAIN, "rule": rule}


def add(ns: NetnsRef, rule: list[str]) -> None:
    done = netns.run(ns, ["iptables", "-w", "5", "-t", TABLE, "-A", CHAIN, *rule])
    if done.returncode != 0:
        raise PlatformError(
            f"iptables refused the fault's rule: {done.stderr.strip()}.",
            "Run as root on a kernel with the iptables mangle table and the needed match modules.",
        )


def delete(step: dict[str, Any]) -> None:
    """Delete every copy of the rule; a rule that is not there (or a namespace that is gone) is already undone."""
    ns = NetnsRef.from_dict(step["netns"])
    if not ns.alive():
        return
    base = ["iptables", "-w", "5", "-t", step["table"]]
    for _ in range(16):
        if netns.run(ns, [*base, "-C", step["chain"], *step["rule"]]).returncode != 0:
            return
        netns.run(ns, [*base, "-D", step["chain"], *step["rule"]])
    raise PlatformError(f"iptables rule {' '.join(step['rule'])} would not go away.", "Delete it by hand.")


def tagged_rules(ns: NetnsRef, prefix: str = "scaletui:") -> list[str]:
    """Rules in our chain whose comment starts with `prefix` (what a leak check looks for)."""
    return tagged_lines(netns.run(ns, ["iptables", "-w", "5", "-t", TABLE, "-S", CHAIN]).stdout, prefix)


def tagged_lines(listing: str, prefix: str = "scaletui:") -> list[str]:
    """The lines of an `iptables -S` listing whose comment starts with `prefix`, quoted (nf_tables) or not."""
    return [line for line in listing.splitlines() if f'"{prefix}' in line or f" {prefix}" in line]


def fault_id(rule: str) -> str | None:
    """The fault id in a rule's `scaletui:<id>` comment, or None."""
    match = re.search(rf"{re.escape(comment(''))}([^\s\"]+)", rule)
    return match.group(1) if match else None
