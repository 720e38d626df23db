"""A decision as the history (h), report.md and the chart markers tell it: its "from", what it changes and whether
it was applied, by one rule, so the three say the same of the same decision; and the legend of the steps marked
beside the decisions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from scaletui.events import DecisionEvent

STEP_LEGEND = "steps (hand/file)"
"""The legend of the markers of the steps that changed the job (`StepTaken.changes_job`), in the charts and the
PNGs: taken by a person or by the experiment file (report.md's Timeline tells which)."""


def with_before(decisions: Iterable[DecisionEvent]) -> Iterator[tuple[DecisionEvent, dict[str, int], int | None]]:
    """Each decision with its "from" (parallelism, TaskManagers): recorded with it, or (in runs recorded before it
    was, or a "from" left empty) the previous decision's "to"."""
    prev: dict[str, int] = {}
    prev_tms: int | None = None
    for d in decisions:
        yield d, d.before or prev, d.taskmanagers_before if d.taskmanagers_before is not None else prev_tms
        prev, prev_tms = dict(d.parallelism), d.taskmanagers


def change_text(d: DecisionEvent, before: dict[str, int], taskmanagers_before: int | None) -> str:
    """What the decision asks to change, from → to ("expensive 1→3, TMs 1→2"); "keep" when nothing."""
    parts = [f"{op} {before[op]}→{to}" for op, to in d.parallelism.items() if op in before and before[op] != to]
    if d.taskmanagers is not None and taskmanagers_before is not None and d.taskmanagers != taskmanagers_before:
        parts.append(f"TMs {taskmanagers_before}→{d.taskmanagers}")
    return ", ".join(parts) or "keep"


def applied_text(d: DecisionEvent, change: str) -> str:
    """The Applied word: "in progress", "dry-run" (shown only), "yes", "no" (a change not applied), "-" (none)."""
    if d.in_progress:
        return "in progress"
    if d.dry_run:
        return "dry-run"
    if d.applied:
        return "yes"
    return "-" if change == "keep" else "no"


@dataclass(frozen=True)
class Entry:
    """A decision with its "from" and the words the history and the report show for it."""

    decision: DecisionEvent
    before: dict[str, int]
    taskmanagers_before: int | None
    change: str
    applied: str


def entries(decisions: Iterable[DecisionEvent]) -> list[Entry]:
    out: list[Entry] = []
    for d, before, tms in with_before(decisions):
        change = change_text(d, before, tms)
        out.append(Entry(d, before, tms, change, applied_text(d, change)))
    return out
