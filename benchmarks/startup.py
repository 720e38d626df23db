"""Startup cost: time to the app's first frame and each heavy import, as ratios against a bare interpreter start.

Everything is measured in this one run, each figure the median of N fresh interpreters, so the ratios compare
like with like on whatever machine runs it.   python benchmarks/startup.py [-n 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
HEAVY = ("enoslib", "kubernetes", "ansible_runner", "textual_plotext", "matplotlib.pyplot", "pyarrow")


def wall(args: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)
    return time.perf_counter() - start, out.stdout


def median(n: int, args: list[str]) -> float:
    return statistics.median(wall(args)[0] for _ in range(n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=5, help="fresh interpreters per figure (median)")
    n = parser.parse_args().n
    py = sys.executable
    bare = median(n, [py, "-c", "pass"])
    rows: list[tuple[str, float]] = [("bare interpreter", bare)]
    rows.append(("import scaletui.cli", median(n, [py, "-c", "import scaletui.cli"])))
    rows.append(("import textual.app", median(n, [py, "-c", "import textual.app"])))
    frames = []
    heavy_at_frame: set[str] = set()
    for _ in range(n):
        _, out = wall([py, str(HERE / "first_frame_probe.py")])
        probe = json.loads(out.strip().splitlines()[-1])
        frames.append(probe["first_frame_s"])
        heavy_at_frame.update(probe["heavy_loaded"])
    rows.append(("app first frame (80x24)", statistics.median(frames)))
    for module in HEAVY:
        rows.append((f"import {module}", median(n, [py, "-c", f"import {module}"]) - bare))
    print(f"{'what':<28}{'seconds':>10}{'x bare':>10}")
    for name, seconds in rows:
        print(f"{name:<28}{seconds:>10.3f}{seconds / bare:>10.1f}")
    print("(heavy imports are shown as their own cost: interpreter start subtracted)")
    print(f"heavy modules loaded at first frame: {', '.join(sorted(heavy_at_frame)) or 'none'}")


if __name__ == "__main__":
    main()
