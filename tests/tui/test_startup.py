"""The first frame is painted before any heavy library (enoslib, kubernetes, ansible_runner, matplotlib...) loads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = Path(__file__).parents[2] / "benchmarks" / "first_frame_probe.py"


def test_first_frame_before_heavy_imports() -> None:
    out = subprocess.run([sys.executable, str(PROBE)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["heavy_loaded"] == []
    assert probe["first_frame_s"] > 0
