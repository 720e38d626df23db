"""What the live plots cost: the app's own process on the simulator, with a full history window, at 1 Hz.

The real app (the same `ScaletuiApp` `make run` starts, on a real terminal: a tmux pane of 100x30) runs a live
session on the simulator platform (conf/platforms/simulator.toml, in real time, the transscale strategy deciding).
Rather than waiting ten minutes, the Plots window (`PLOT_WINDOW_S` of scaletui/tui/panes/plots.py) is filled at
once with a realistic run fed into the engine's series (a load that steps and swings, a latency spike, a fault
window, decisions); then everything measured is the steady state: one live sample a second and the Plots pane
redrawing at `refresh.plots` (1 s) with a full window.

Side by side, one after the other in the same process: the Pods pane visible (the plots hidden), then the Plots
pane visible. For each, the process's CPU time over wall time (% of one core, from /proc/PID/stat) and the slope
of a linear fit of its RSS (sampled every second, MB/h).

    python benchmarks/tui_live.py [--seconds 90] [--plots-seconds S] [--keep]

`--plots-seconds 3600` measures the Plots pane for an hour (a meaningful RSS slope); `--keep` leaves the tmux
session to look at. The last line is `plots live: cpu X% of a core, rss slope Y MB/h`.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
REPO = HERE.parent
SIZE = (100, 30)
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# --- the app's side: a live simulator session with a full window, then the app ------------------------------------


def synthetic_run(template, end: float, seconds: int):  # type: ignore[no-untyped-def]
    """`seconds` one-second samples ending before `end`, shaped like a real run of the simulated job: the load
    steps 300 -> 900 and swings, an early 34 s latency spike, a fault raising p99 300 -> 1100 ms, the expensive
    operator rescaled 1 -> 3 -> 4; plus the decisions and the fault window."""
    import dataclasses
    import random

    from scaletui.events import DecisionEvent, FaultEvent

    rng = random.Random(1)
    start = end - seconds
    samples, events = [], []
    fault = (start + seconds * 0.65, start + seconds * 0.75)
    steps = [(start + seconds * 0.3, 3), (start + seconds * 0.5, 4)]
    for i in range(seconds):
        ts = start + i
        target = (300.0 if i < seconds * 0.25 else 900.0) + 60 * math.sin(i / 30)
        achieved = target * (0.97 + 0.03 * rng.random())
        in_fault = fault[0] <= ts < fault[1]
        p99 = 34_000.0 if abs(i - seconds * 0.1) < 3 else (1100.0 if in_fault else 300.0) * (0.9 + 0.2 * rng.random())
        p = 1
        for at, to in steps:
            if ts >= at:
                p = to
        ops = {}
        for name, op in template.operators.items():
            par = p if name == "expensive" else op.parallelism
            ops[name] = dataclasses.replace(
                op,
                parallelism=par,
                records_in_per_s=achieved * (0.98 + 0.02 * rng.random()),
                records_out_per_s=achieved * (0.98 + 0.02 * rng.random()),
                busy_ms_per_s=min(1000.0, achieved / par * (0.8 + 0.4 * rng.random())),
            )
        samples.append(
            dataclasses.replace(
                template,
                ts=ts,
                operators=ops,
                target_rate=target,
                achieved_rate=achieved,
                latency_ms={"p50": p99 / 3, "p95": p99 * 0.8, "p99": p99},
            )
        )
    before = 1
    for at, to in steps:
        reason = f"expensive {before}->{to} (needs {to} at the observed rate)"
        events.append(
            DecisionEvent(
                ts=at - 1,
                strategy="transscale",
                parallelism={"expensive": to},
                taskmanagers=None,
                reason=reason,
                applied=True,
                before={"expensive": before},
            )
        )
        before = to
    events.append(
        FaultEvent(ts=fault[0], fault_id="bench-delay", kind="delay", action="injected", targets=("taskmanager-1",))
    )
    events.append(
        FaultEvent(ts=fault[1], fault_id="bench-delay", kind="delay", action="reverted", targets=("taskmanager-1",))
    )
    return samples, events


def fill_window(engine, seconds: int) -> None:  # type: ignore[no-untyped-def]
    """Replace the few live samples so far with a full window ending at the last one (retried if a live sample
    lands while it is being written: a later sample makes the store drop the earlier ones)."""
    from scaletui.events import MetricsEvent

    store = engine.series
    for _ in range(10):
        first = store.version
        while store.version == first:
            time.sleep(0.05)
        live = store.last_sample
        samples, events = synthetic_run(live, live.ts, seconds)
        store.clear()
        for sample in [*samples, live]:
            store.record(MetricsEvent(ts=sample.ts, source="metrics", sample=sample))
        for event in events:
            store.record(event)
        if len(store.series("rate.target")[0]) >= seconds:
            return
    raise SystemExit("could not fill the window: live samples kept arriving")


def app_main(home: Path, ready: Path) -> None:
    from scaletui.config.models import AppConfig, Paths
    from scaletui.engine import Engine
    from scaletui.session.model import Node, Reservation
    from scaletui.tui.app import ScaletuiApp
    from scaletui.tui.panes.plots import PLOT_WINDOW_S

    config = AppConfig(
        paths=Paths(
            sessions=str(home / "sessions"),
            results=str(home / "results"),
            cache=str(home / "cache"),
            conf=str(REPO / "conf"),
            themes=str(REPO / "themes"),
        )
    )
    engine = Engine(config, "bench")
    engine.store.update(
        lambda s: s.reservations.append(
            Reservation(
                platform="simulator",
                type="simulator",
                state="running",
                nodes=[Node(name="sim", address="127.0.0.1", role="worker")],
            )
        )
    )
    engine.remember_ui(pane="pods")
    engine.live.start("simulator")
    engine.live.set_strategy("transscale")
    fill_window(engine, int(PLOT_WINDOW_S))
    app = ScaletuiApp(engine)
    app.call_later(lambda: ready.write_text(str(os.getpid())))
    try:
        app.run()
    finally:
        engine.live.stop()
        engine.close()


# --- the measuring side ---------------------------------------------------------------------------------------------


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20


def slope_per_h(ts: list[float], ys: list[float]) -> float:
    n = len(ts)
    mt, my = sum(ts) / n, sum(ys) / n
    var = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (y - my) for t, y in zip(ts, ys)) / var * 3600 if var else 0.0


def measure(pid: int, seconds: float) -> tuple[float, float, float]:
    """% of one core, RSS slope (MB/h) and the last RSS (MB) over `seconds`."""
    t0, c0 = time.monotonic(), cpu_s(pid)
    ts, rss = [], []
    while (now := time.monotonic()) - t0 < seconds:
        ts.append(now - t0)
        rss.append(rss_mb(pid))
        time.sleep(1.0)
    cpu = (cpu_s(pid) - c0) / (time.monotonic() - t0) * 100
    return cpu, slope_per_h(ts, rss), rss[-1]


def tmux(*args: str) -> None:
    subprocess.run(["tmux", *args], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=90, help="measuring time of each pane (at least 60)")
    parser.add_argument("--plots-seconds", type=float, help="measuring time of the Plots pane (default --seconds)")
    parser.add_argument("--settle", type=float, default=10, help="seconds after switching panes before measuring")
    parser.add_argument("--keep", action="store_true", help="leave the tmux session running")
    parser.add_argument("--app", type=Path, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.app:
        try:
            app_main(opts.app, opts.app / "ready")
        except BaseException:  # the app's stderr is the terminal: say why in a file the parent reads
            import traceback

            (opts.app / "error").write_text(traceback.format_exc())
            raise
        return
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is needed: the app is measured on a real terminal")
    home = Path(tempfile.mkdtemp(prefix="scaletui-live-"))
    ready = home / "ready"
    name = f"tui-live-{os.getpid()}"
    env = f"env -u NO_COLOR TERM=xterm-256color COLORTERM=truecolor PYTHONPATH={REPO} SCALETUI_HOME={home}"
    command = f"cd {REPO} && {env} {sys.executable} {Path(__file__).resolve()} --app {home}"
    tmux("new-session", "-d", "-s", name, "-x", str(SIZE[0]), "-y", str(SIZE[1]), command)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            if time.monotonic() > deadline:
                error = home / "error"
                raise SystemExit(f"the app did not start: {error.read_text() if error.exists() else 'no error'}")
            time.sleep(0.5)
        time.sleep(0.5)
        pid = int(ready.read_text())
        rows = []
        for key, pane, seconds in (("3", "Pods", opts.seconds), ("4", "Plots", opts.plots_seconds or opts.seconds)):
            tmux("send-keys", "-t", name, key)
            time.sleep(opts.settle)
            rows.append((pane, *measure(pid, seconds), seconds))
        print(f"the app on the simulator at {SIZE[0]}x{SIZE[1]} in tmux, a full window, 1 Hz (pid {pid})")
        print(f"{'pane visible':<16}{'seconds':>9}{'cpu % core':>12}{'rss MB':>9}{'rss MB/h':>10}")
        for pane, cpu, slope, rss, seconds in rows:
            print(f"{pane:<16}{seconds:>9.0f}{cpu:>12.2f}{rss:>9.1f}{slope:>10.1f}")
        _, cpu, slope, _, _ = rows[-1]
        print(f"plots live: cpu {cpu:.1f}% of a core, rss slope {slope:.1f} MB/h")
    finally:
        if not opts.keep:
            tmux("kill-session", "-t", name)
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
