"""Session writes in a live session: how many times session.toml is written per minute, and how long the thread
that drives the UI spends in the session calls it makes (tab switches, theme changes), this tree against a
baseline revision, measured side by side in one run.

    python benchmarks/session_writes.py [--seconds 60] [--baseline 5a45caa]

The workload is a live session on the simulator driven like a user would: start, submit the job, choose a strategy,
switch tabs, change the theme, rescale by hand, resume the autoscaler, for `--seconds` of wall time. Writes are
counted where every session write ends: the rename of its temp file onto session.toml.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PANES = ("reservations", "stages", "pods", "plots", "chaos")


def measure(seconds: float) -> dict[str, float]:
    """One measurement in this interpreter, with whichever scaletui is first on sys.path."""
    from scaletui.config.models import AppConfig, Paths
    from scaletui.engine import Engine

    writes = [0]
    real_replace = os.replace

    def counting_replace(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(dst).endswith("session.toml"):
            writes[0] += 1
        return real_replace(src, dst, *args, **kwargs)

    os.replace = counting_replace  # type: ignore[assignment]
    tmp = Path(tempfile.mkdtemp(prefix="scaletui-writes-"))
    config = AppConfig(
        paths=Paths(sessions=str(tmp / "s"), results=str(tmp / "r"), cache=str(tmp / "c"), conf=str(ROOT / "conf"))
    )
    engine = Engine(config, "bench")
    ui_seconds = [0.0]

    def on_ui_thread(call) -> None:  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        call()
        ui_seconds[0] += time.perf_counter() - began

    def remember(pane: str | None = None, theme: str | None = None) -> None:
        if hasattr(engine, "remember_ui"):
            engine.remember_ui(pane=pane, theme=theme)
        elif pane is not None:
            engine.store.update(lambda s: setattr(s.ui, "pane", pane))
        else:
            engine.store.update(lambda s: setattr(s.ui, "theme", theme))

    began = time.monotonic()
    start_writes = writes[0]
    engine.live.start("simulator")
    try:
        engine.live.submit_job()
    except Exception:  # the simulator has no job control since the capability sets: said, not done
        pass
    after_submit = writes[0]
    engine.live.set_strategy("ds2")
    for i in range(10):
        on_ui_thread(lambda i=i: remember(pane=PANES[i % len(PANES)]))
    for theme in ("light", "ansi16", "dark"):
        on_ui_thread(lambda theme=theme: remember(theme=theme))
    engine.live.rescale("expensive", 2)
    engine.live.toggle_pause()
    while time.monotonic() - began < seconds:
        time.sleep(0.2)
    engine.live.stop()
    minutes = (time.monotonic() - began) / 60
    total = writes[0] - start_writes
    engine.close()
    os.replace = real_replace  # type: ignore[assignment]
    return {
        "writes": total,
        "writes_per_minute": total / minutes,
        "writes_start_and_submit": after_submit - start_writes,
        "ui_thread_ms": ui_seconds[0] * 1000,
        "ui_calls": 13,
    }


def run_tree(tree: Path, seconds: float) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, __file__, "--measure", "--seconds", str(seconds)],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds * 4 + 300,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--baseline", help="a git revision to measure beside this tree")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.seconds)))
        return
    results = {"this tree": run_tree(ROOT, args.seconds)}
    if args.baseline:
        with tempfile.TemporaryDirectory(prefix="scaletui-baseline-") as tmp:
            tree = Path(tmp) / "tree"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), args.baseline],
                           check=True, capture_output=True)  # fmt: skip
            try:
                results[f"baseline {args.baseline}"] = run_tree(tree, args.seconds)
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    names = list(results)
    print(f"{'':36}" + "".join(f"{n:>22}" for n in names))
    for key, label in (
        ("writes_per_minute", "session writes per minute"),
        ("writes_start_and_submit", "writes to start and submit"),
        ("ui_thread_ms", "UI-thread ms in 13 session calls"),
    ):
        print(f"{label:36}" + "".join(f"{results[n][key]:>22.1f}" for n in names))
    if args.baseline:
        base, this = results[names[1]], results[names[0]]
        print(f"\nwrites per minute: {this['writes_per_minute'] / max(base['writes_per_minute'], 1e-9):.2f}x the "
              f"baseline; UI-thread time: {this['ui_thread_ms'] / max(base['ui_thread_ms'], 1e-9):.3f}x")  # fmt: skip


if __name__ == "__main__":
    main()
