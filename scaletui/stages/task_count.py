"""How many tasks a playbook will run, from `ansible-playbook --list-tasks`, for the stage's progress bar.

Counted while the real run starts, in parallel; dynamic includes are counted as the one task that includes them,
so the total is a floor the tally raises when the run goes past it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def parse_task_list(text: str) -> int:
    """Count the task lines of `--list-tasks` output (the lines under each play's `tasks:`)."""
    count = 0
    in_tasks = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("play #"):
            in_tasks = False
        elif stripped == "tasks:":
            in_tasks = True
        elif in_tasks and stripped:
            count += 1
    return count


def count_tasks(
    playbook: Path, inventory: Path, extravars_file: Path, env: dict[str, str], tags: str = "", timeout_s: float = 60
) -> int | None:
    cmd = ["ansible-playbook", "--list-tasks", "-i", str(inventory), "-e", f"@{extravars_file}", str(playbook)]
    if tags:
        cmd += ["--tags", tags]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout_s, cwd=playbook.parent)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return parse_task_list(done.stdout)
