"""Run the real app headless, as `scaletui` starts it, until its first frame and until its session is open; print
both times and which heavy modules were loaded at the first frame.

Used by benchmarks/startup.py and tests/tui/test_startup.py; the clock starts when this interpreter starts. The app
runs on a fresh home (SCALETUI_HOME) so that no earlier session changes what it shows.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

START = time.perf_counter()
HEAVY = ("enoslib", "kubernetes", "ansible_runner", "matplotlib", "pyarrow", "pydantic")


def main() -> None:
    os.environ["SCALETUI_HOME"] = tempfile.mkdtemp(prefix="scaletui-probe-")
    from scaletui.tui.app import ScaletuiApp
    from scaletui.tui.boot import Boot

    result: dict[str, object] = {}

    class ProbeApp(ScaletuiApp):
        def on_ready(self) -> None:
            """Textual posts Ready once the first frame is on screen."""
            result["first_frame_s"] = time.perf_counter() - START
            result["first_frame_cpu_s"] = time.process_time()
            result["heavy_loaded"] = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
            super().on_ready()

        def engine_opened(self, engine) -> None:  # type: ignore[no-untyped-def]
            super().engine_opened(engine)
            result["session_open_s"] = time.perf_counter() - START
            self.exit()

    app = ProbeApp(boot=Boot.read(None, "probe"))
    app.run(headless=True, size=(80, 24))
    if app.engine_ready:
        app.engine.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
