"""Runs side by side: one markdown table (metrics as rows, runs as columns) and overlay plots.

This is how strategies or faults are compared: the same experiment run with a different [strategy] or [[faults]].
With exactly two runs a last column gives the difference B − A.
"""

from __future__ import annotations

import string
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scaletui.config.models import SloSpec
from scaletui.config.units import human_duration
from scaletui.errors import ConfigError
from scaletui.results.layout import distinct_short_ids, parse_trial_name
from scaletui.results.plots import plot_overlays
from scaletui.results.rundata import RunData, load_run
from scaletui.results.summary import RunSummary, SummaryItem, summarize

COMPARE_MD = "compare.md"
CROWDED = 12
"""More runs than this crowd an overlay: it is still drawn, and compare.md suggests naming the runs to compare."""

SAME_LENGTH = 0.95
"""Runs whose lengths differ by less than 5 % count as equally long: two runs of one file end a sample apart."""


@dataclass(frozen=True)
class Comparison:
    table: str
    markdown: Path
    plots: list[Path]
    notes: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    """The table's cells, plain, for a face that lays it out for its width (the run history's comparison screen)."""
    rows: list[list[str]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    """Each run's letter and what it is: its directory, experiment, strategy and status."""


def _letter(i: int) -> str:
    return string.ascii_uppercase[i] if i < 26 else f"R{i + 1}"


def _delta(a: SummaryItem | None, b: SummaryItem | None) -> str:
    if a is None or b is None or a.value is None or b.value is None or a.key == "slo_passed":
        return "—"
    diff = b.value - a.value
    text = f"{diff:+,.1f} {a.unit}" if a.unit else f"{diff:+,.0f}"  # no unit: a count
    return text + (f" ({diff / a.value:+.1%})" if a.value else "")


def _cell(item: SummaryItem | None) -> str:
    if item is None:
        return "—"
    if item.key == "slo_passed":  # the reasons are in each run's report; here the verdict
        return "not judged" if item.value is None else "pass" if item.value else "FAIL"
    return item.text


def _markdown_cell(cell: str, row: int) -> str:
    """A run that did not end as planned has its status (row 0) in bold: its "—" cells and short duration are
    explained there."""
    bold = row == 0 and cell not in ("done", "—", "status")
    return f"**{cell}**" if bold else cell.replace("|", "\\|")


def _short_name(name: str) -> str:
    """A scalability trial reads `300/p1`, as on the run history screen; any other run, its experiment's name."""
    trial = parse_trial_name(name)
    return f"{trial[1]}/p{trial[2]}" if trial else name


def run_labels(summaries: Sequence[RunSummary]) -> list[str]:
    """One rule for any number of runs: the short name and the strategy, `300/p1 (none)`; runs whose labels would
    be the same also get their short run id, told apart as the run history tells them."""
    labels = [f"{_short_name(s.name)} ({s.strategy})" for s in summaries]
    ids = distinct_short_ids((s.run_id, s.name) for s in summaries)
    return [f"{label} {ids[s.run_id]}" if labels.count(label) > 1 else label for label, s in zip(labels, summaries)]


def comparison_cells(summaries: list[RunSummary]) -> tuple[list[str], list[list[str]]]:
    """The header and the rows, plain: metrics as rows, runs as columns, and with two runs Δ B − A last."""
    letters = [_letter(i) for i in range(len(summaries))]
    header = ["metric"] + [f"{letter}: {label}" for letter, label in zip(letters, run_labels(summaries))]
    if len(summaries) == 2:
        header.append("Δ B − A")
    keys: dict[str, str] = {}
    for s in summaries:
        for item in s.items:
            keys.setdefault(item.key, item.label)
    rows = [["status"] + [s.status for s in summaries] + (["—"] if len(summaries) == 2 else [])]
    for key, label in keys.items():
        found = [next((i for i in s.items if i.key == key), None) for s in summaries]
        row = [label] + [_cell(item) for item in found]
        if len(summaries) == 2:
            row.append(_delta(found[0], found[1]))
        rows.append(row)
    return header, rows


def comparison_table(summaries: list[RunSummary]) -> str:
    """The comparison as compare.md holds it: a markdown table."""
    return markdown_table(*comparison_cells(summaries))


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_markdown_cell(cell, n) for cell in row) + " |" for n, row in enumerate(rows)]
    return "\n".join(lines)


def _crowded_note(runs: list[RunData]) -> list[str]:
    if len(runs) <= CROWDED:
        return []
    return [
        f"The overlays hold {len(runs)} runs and are crowded beyond {CROWDED}: name the runs to compare, "
        f"e.g. `scaletui compare {runs[0].run_dir} {runs[-1].run_dir}`."
    ]


def _same_run_notes(runs: list[RunData], letters: list[str]) -> list[str]:
    """Δ +0 everywhere says nothing if A and B are one run named twice (`compare A A`, an id and its directory)."""
    seen: dict[Path, str] = {}
    notes = []
    for letter, data in zip(letters, runs):
        where = data.run_dir.resolve()
        if where in seen:
            notes.append(f"Note: {seen[where]} and {letter} are the same run ({data.run_dir}).")
        else:
            seen[where] = letter
    return notes


def _load_of(data: RunData) -> str:
    """What drove the run: its [load] table and the timeline's load steps, as recorded in its experiment.toml."""
    timeline = data.experiment.get("timeline", [])
    steps = [s for s in timeline if isinstance(s, dict) and s.get("do") == "load"] if isinstance(timeline, list) else []
    return repr((data.experiment.get("load"), steps))


def _by_run(values: list[str], letters: list[str]) -> str:
    """`x vs y` for two runs; for more, the letters of each value: `A, B: 1h; C: 20m`."""
    if len(values) == 2:
        return " vs ".join(values)
    groups: dict[str, list[str]] = {}
    for letter, value in zip(letters, values):
        groups.setdefault(value, []).append(letter)
    return "; ".join(f"{', '.join(group)}: {value}" for value, group in groups.items())


def _different_load_notes(runs: list[RunData], letters: list[str]) -> list[str]:
    """Runs of different loads or lengths: the Δ column then measures the load as much as the strategy, so say so.
    The same load under another experiment name (sim-hour-ds2 vs sim-hour-transscale) is what compare is for. The
    lengths are the table's (what the data covers, not what a file asked for: a run cut short ran less, and a live
    session's file is only as long as its last save); lengths within SAME_LENGTH of each other are one length."""
    lengths = [d.duration for d in runs]
    durations = [human_duration(round(length)) for length in lengths]
    other_load = len({_load_of(d) for d in runs}) > 1
    other_length = min(lengths) < max(lengths) * SAME_LENGTH
    if not other_load and not other_length:
        return []
    names = [d.name for d in runs]
    what = f"different experiments ({_by_run(names, letters)})" if len(set(names)) > 1 else "different loads"
    if not other_load:
        return [f"Note: different durations ({_by_run(durations, letters)}): totals such as rescales and "
                "slot-seconds count over different lengths."]  # fmt: skip
    if other_length:
        what += f" and durations ({_by_run(durations, letters)})"
    return [f"Note: {what}: the differences compare different loads."]


def compare_runs(
    run_dirs: Sequence[Path | str], out_dir: Path | str | None = None, slo: SloSpec | None = None
) -> Comparison:
    """Write compare.md and *_overlay.png into `out_dir` (default: compare-<time>/ beside the first run)."""
    if len(run_dirs) < 2:
        raise ConfigError("compare needs at least two run directories.", "Give two or more: results/<s>/<run-id>.")
    runs = [load_run(d) for d in run_dirs]
    summaries = [summarize(data, slo) for data in runs]
    out = (
        Path(out_dir)
        if out_dir is not None
        else (runs[0].run_dir.parent / time.strftime("compare-%Y%m%dT%H%M%SZ", time.gmtime()))
    )
    out.mkdir(parents=True, exist_ok=True)
    letters = [_letter(i) for i in range(len(runs))]
    labels = [f"{letter} {label}" for letter, label in zip(letters, run_labels(summaries))]
    pngs = plot_overlays(runs, letters, labels, out)
    header, rows = comparison_cells(summaries)
    table = markdown_table(header, rows)
    notes = _same_run_notes(runs, letters) + _different_load_notes(runs, letters) + _crowded_note(runs)
    legend = [
        (letter, f"`{data.run_dir}` — {data.name}, strategy {data.strategy}, status {data.status}")
        for letter, data in zip(letters, runs)
    ]
    quoted = [line for note in notes for line in (f"> {note}", "")]
    images = [f"![{p.stem}]({p.name})" for p in pngs]
    listed = [f"- **{letter}**: {what}" for letter, what in legend]
    text = "\n".join(["# Comparison", "", *listed, "", table, "", *quoted, *images, ""])
    (out / COMPARE_MD).write_text(text, encoding="utf-8")
    plain = [(letter, what.replace("`", "")) for letter, what in legend]
    return Comparison(table, out / COMPARE_MD, pngs, notes, header, rows, plain)
