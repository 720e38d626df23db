"""Wall-clock time for countdowns and uptimes; one place so snapshot tests can pin it."""

from __future__ import annotations

import time


def now() -> float:
    return time.time()
