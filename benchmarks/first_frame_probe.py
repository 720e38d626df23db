"""Run the real app headless until its first frame, then print the elapsed time and which heavy modules are loaded.

Used by benchmarks/startup.py and tests/tui/test_startup.py; the clock starts when this interpreter starts.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time

START = time.perf_counter()
HEAVY = ("enoslib", "kubernetes", "ansible_runner", "plotext", "textual_plotext", "matplotlib", "pyarrow")


def main() -> None:
    from scaletui.config.models import AppConfig, Paths
    from scaletui.engine import Engine
    from scaletui.tui.app import ScaletuiApp

    home = tempfile.mkdtemp(prefix="scaletui-probe-")
    engine = Engine(AppConfig(paths=Paths(sessions=f"{home}/sessions", cache=f"{home}/cache")), "probe")
    result: dict[str, object] = {}

    class ProbeApp(ScaletuiApp):
        def on_ready(self) -> None:
            """Textual posts Ready once the first frame is on screen."""
            result["first_frame_s"] = time.perf_counter() - START
            result["heavy_loaded"] = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
            self.exit()

    ProbeApp(engine).run(headless=True, size=(80, 24))
    engine.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
