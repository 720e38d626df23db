"""`scaletui doctor`: what this machine has and lacks for each platform, and how to fix what is missing."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scaletui.machine_checks import Finding


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "doctor",
        help=(
            "check Java, javac, ansible, root for network faults, kubeconfig, Grid5000 credentials and free ports; "
            "list faults' leftovers on this host"
        ),
        description=(
            "Check what the platforms need on this machine and print what is missing with how to fix it. "
            "Exit status 0 when every required check passes (the local platform can run), 1 otherwise; "
            "optional checks only concern the feature they name."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.set_defaults(func=run)
    return parser


def format_findings(findings: list[Finding]) -> list[str]:
    """Plain lines, no colour: a mark per finding, then the fix under anything missing or left over."""
    width = max((len(f.name) for f in findings), default=0)
    lines: list[str] = []
    for title, group in (
        ("Required (the local platform and its stages need these):", [f for f in findings if f.required]),
        (
            "Optional (only the feature in brackets needs these):",
            [f for f in findings if not f.required and not f.leftover],
        ),
        (
            "Fault leftovers (of a scaletui that died, or active in one running now; each fix removes one):",
            [f for f in findings if f.leftover],
        ),
    ):
        if not group:
            continue
        lines.append(title)
        for f in group:
            mark = "ok" if f.ok else ("MISSING" if f.required else "leftover" if f.leftover else "missing")
            scope = "" if f.required else f"  [{f.needed_for}]"
            lines.append(f"  {mark:<8} {f.name:<{width}}  {f.detail}{scope}")
            if not f.ok and f.fix:
                lines.append(f"  {'':<8} {'':<{width}}  fix: {f.fix}")
    return lines


def run(args: argparse.Namespace) -> int:
    from scaletui.machine_checks import DoctorContext, all_required_ok, run_checks

    findings = run_checks(DoctorContext.from_app_config(getattr(args, "config", None)))
    ok = all_required_ok(findings)
    if args.json:
        print(json.dumps({"ok": ok, "findings": [f.to_dict() for f in findings]}, indent=2))
        return 0 if ok else 1
    for line in format_findings(findings):
        print(line)
    missing_required = [f.name for f in findings if f.required and not f.ok]
    missing_optional = [f.name for f in findings if not f.required and not f.ok and not f.leftover]
    leftovers = [f for f in findings if f.leftover]
    if missing_required:
        print(f"Not ready: {len(missing_required)} required check(s) failed ({', '.join(missing_required)}).")
    else:
        tail = f"; {len(missing_optional)} optional item(s) missing" if missing_optional else ""
        print(f"Ready: every required check passes{tail}.")
    if leftovers:
        print(f"{len(leftovers)} fault leftover(s) on this host: run their fix lines to remove them.")
    return 0 if ok else 1
