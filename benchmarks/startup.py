"""Startup cost: the app's first frame against a bare Textual app with the same shell, side by side.

The bare app is built here: a header, five tabs with a table each, and a footer, nothing else. Both run headless at
80x24 in fresh interpreters, alternately (so both see the same machine load), and each figure is the median of N
runs: wall time to the first frame (Textual's Ready), and CPU time to it, which a loaded machine disturbs less.
The app's time until its session is open (the engine, behind the first frame) is shown too.

    python benchmarks/startup.py [-n 7] [--imports]

The last line is `first frame ratio: X (app A ms / bare B ms)`, wall time; `--imports` adds what each heavy library
costs to import, interpreter start subtracted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

START = time.perf_counter()
HERE = Path(__file__).parent
HEAVY = ("enoslib", "kubernetes", "ansible_runner", "matplotlib.pyplot", "pyarrow", "pydantic")


def bare_probe() -> None:
    """The bare app: what any Textual app with this shell pays before its first frame."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer, Header, TabbedContent, TabPane

    class BareApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            with TabbedContent():
                for index, name in enumerate(("Reservations", "Stages", "Pods", "Plots", "Chaos"), start=1):
                    with TabPane(f"{index} {name}"):
                        table: DataTable[str] = DataTable()
                        table.add_columns("Name", "State", "Detail")
                        yield table
            yield Footer()

        def on_ready(self) -> None:
            result.update(first_frame_s=time.perf_counter() - START, first_frame_cpu_s=time.process_time())
            self.exit()

    result: dict[str, float] = {}
    BareApp().run(headless=True, size=(80, 24))
    print(json.dumps(result))


def probe(args: list[str]) -> dict[str, float]:
    out = subprocess.run(args, capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def wall(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, capture_output=True, text=True, timeout=300, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=7, help="runs of each app (median)")
    parser.add_argument("--imports", action="store_true", help="also time each heavy import")
    parser.add_argument("--bare-probe", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.bare_probe:
        bare_probe()
        return
    py = sys.executable
    bare_runs: list[dict[str, float]] = []
    app_runs: list[dict[str, float]] = []
    heavy_at_frame: set[str] = set()
    for _ in range(opts.n):
        bare_runs.append(probe([py, __file__, "--bare-probe"]))
        run = probe([py, str(HERE / "first_frame_probe.py")])
        heavy_at_frame.update(run.pop("heavy_loaded", []))  # type: ignore[arg-type]
        app_runs.append(run)

    def med(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    bare_ms, app_ms = med(bare_runs, "first_frame_s") * 1000, med(app_runs, "first_frame_s") * 1000
    bare_cpu, app_cpu = med(bare_runs, "first_frame_cpu_s") * 1000, med(app_runs, "first_frame_cpu_s") * 1000
    print(f"median of {opts.n} runs each, alternating, headless 80x24")
    print(f"{'':<34}{'bare':>10}{'scaletui':>10}{'ratio':>8}")
    print(f"{'first frame, wall (ms)':<34}{bare_ms:>10.0f}{app_ms:>10.0f}{app_ms / bare_ms:>8.2f}")
    print(f"{'first frame, CPU (ms)':<34}{bare_cpu:>10.0f}{app_cpu:>10.0f}{app_cpu / bare_cpu:>8.2f}")
    print(f"{'session open, wall (ms)':<34}{'':>10}{med(app_runs, 'session_open_s') * 1000:>10.0f}")
    print(f"heavy modules loaded at the first frame: {', '.join(sorted(heavy_at_frame)) or 'none'}")
    if opts.imports:
        base = statistics.median(wall([py, "-c", "pass"]) for _ in range(opts.n))
        for module in HEAVY:
            cost = statistics.median(wall([py, "-c", f"import {module}"]) for _ in range(opts.n)) - base
            print(f"{'import ' + module:<34}{cost * 1000:>10.0f} ms")
    print(f"first frame ratio: {app_ms / bare_ms:.2f} (app {app_ms:.0f} ms / bare {bare_ms:.0f} ms)")


if __name__ == "__main__":
    main()
