"""How quickly a cancelled stage run stops, with scaletui's pexpect_timeout (0.2 s) and ansible-runner's default (5 s).

Runs the real infrastructure stage against this machine (scaletui_local_test: nothing outside a temporary folder
changes), cancels it when the folders task starts, and prints the seconds from cancel to the runner's return,
side by side in one run. Also prints the offline platform-configuration check time per provider.

Usage: .venv/bin/python benchmarks/stages_cancel.py [repeats]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scaletui.config.models import PlatformFile  # noqa: E402
from scaletui.engine.reservations import ReservationFlow  # noqa: E402
from scaletui.events import Event, EventBus, StageTask  # noqa: E402
from scaletui.platforms.enos_conf import check_configuration  # noqa: E402
from scaletui.platforms.registry import create_platform  # noqa: E402
from scaletui.session.store import SessionStore  # noqa: E402
from scaletui.stages.runner import StagesRunner  # noqa: E402


def cancel_latency(store: SessionStore, root: Path, pexpect_timeout_s: float) -> float:
    bus = EventBus()
    cancel = threading.Event()
    marks: dict[str, float] = {}

    def on_event(event: Event) -> None:
        if isinstance(event, StageTask) and event.task == "Create the scaletui folders" and not cancel.is_set():
            marks["cancel"] = time.monotonic()
            cancel.set()

    bus.subscribe(on_event)
    extravars = {"scaletui_local_test": True, "scaletui_root": str(root), "base_sysctl_file": str(root / "sysctl")}
    result = StagesRunner(store, bus, extravars=extravars, pexpect_timeout_s=pexpect_timeout_s).run_stage(
        "infrastructure", cancel
    )
    assert result.state == "cancelled", result
    return time.monotonic() - marks["cancel"]


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    tmp = Path(tempfile.mkdtemp(prefix="scaletui-bench-"))
    store = SessionStore.open(tmp / "session")
    flow = ReservationFlow(store, EventBus())
    flow.add(create_platform(PlatformFile.model_validate({"platform": {"name": "local", "type": "local"}})))
    flow.reserve("local", threading.Event())

    print(f"cancel latency of a stage run (s), {repeats} runs each")
    for timeout in (0.2, 5.0):
        samples = [cancel_latency(store, tmp / f"root-{timeout}-{i}", timeout) for i in range(repeats)]
        print(f"  pexpect_timeout {timeout:>4} s: median {statistics.median(samples):.2f}  max {max(samples):.2f}")

    print("offline configuration check (EnosLib schema), ms per call")
    cases = {
        "Grid5000": {"site": "rennes", "cluster": "paravance", "walltime": "2h"},
        "VMonG5k": {"cluster": "paravance", "flavour": "large"},
        "FIT": {"site": "grenoble", "archi": "a8:at86rf231"},
        "Static": {"hosts": [{"address": "10.0.0.1"}, {"address": "10.0.0.2"}]},
    }
    started = time.perf_counter()
    check_configuration(
        PlatformFile.model_validate({"platform": {"name": "p", "type": "Static"}, "settings": cases["Static"]})
    )
    print(f"  first call (imports EnosLib): {(time.perf_counter() - started) * 1000:.0f}")
    for kind, settings in cases.items():
        pf = PlatformFile.model_validate({"platform": {"name": "p", "type": kind}, "settings": settings})
        started = time.perf_counter()
        for _ in range(20):
            check_configuration(pf)
        print(f"  {kind:<9} {(time.perf_counter() - started) * 1000 / 20:.1f}")


if __name__ == "__main__":
    main()
