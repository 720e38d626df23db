"""Turn ansible-runner's per-event dictionaries into `StageTask` events and a running tally.

ansible-runner calls `event_handler` with one dict per Ansible callback (`playbook_on_task_start`,
`runner_on_ok`, `runner_on_failed`, ...); `event_data` carries play, task, host, duration and the module result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scaletui.events import StageTask

RESULTS = {
    "runner_on_start": "started",
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_skipped": "skipped",
    "runner_on_unreachable": "unreachable",
}


def result_message(res: Any) -> str:
    """The one line a user needs from a module result: msg, unless it is the generic "non-zero return code" of a
    command, in which case the last stderr (or stdout) line and the return code."""
    if not isinstance(res, dict):
        return ""
    msg = res.get("msg") if isinstance(res.get("msg"), str) else ""
    for key in ("stderr", "stdout"):
        value = res.get(key)
        if (not msg or msg == "non-zero return code") and isinstance(value, str) and value.strip():
            line = value.strip().splitlines()[-1][:500]
            return f"{line} (rc {res['rc']})" if "rc" in res else line
    return (msg or str(res.get("reason", ""))).strip()[:500]


@dataclass
class TaskTally:
    """What a run did so far: tasks finished, the first real failure (task and message), per-status counts."""

    stage: str
    run_id: str
    tasks_total: int | None = None
    tasks_done: int = 0
    failed_task: str = ""
    failed_message: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    _current_task: str = ""

    def handle(self, event: dict[str, Any]) -> StageTask | None:
        """Update the tally from one ansible-runner event; return the StageTask to publish, if any."""
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        if kind == "playbook_on_task_start":
            if self._current_task:
                self.tasks_done += 1
            self._current_task = data.get("uuid") or data.get("task", "") or "task"
            return None
        if kind == "playbook_on_stats":
            if self._current_task:
                self.tasks_done += 1
                self._current_task = ""
            if self.tasks_total is not None:
                self.tasks_total = max(self.tasks_total, self.tasks_done)
            return None
        status = RESULTS.get(kind)
        if status is None:
            return None
        res = data.get("res") or {}
        if status == "ok" and isinstance(res, dict) and res.get("changed"):
            status = "changed"
        ignored = bool(data.get("ignore_errors"))
        message = result_message(res) if status in ("failed", "unreachable") else ""
        if status in ("failed", "unreachable") and not ignored and not self.failed_task:
            self.failed_task = str(data.get("task", ""))
            self.failed_message = message or status
        if status != "started":
            self.counts[status] = self.counts.get(status, 0) + 1
        duration = data.get("duration")
        return StageTask(
            stage=self.stage,
            run_id=self.run_id,
            play=str(data.get("play", "")),
            task=str(data.get("task", "")),
            host=str(data.get("host", "")),
            status=status,  # type: ignore[arg-type]
            duration_s=float(duration) if isinstance(duration, (int, float)) else None,
            message=message + (" (ignored)" if ignored and message else ""),
            tasks_done=self.tasks_done,
            tasks_total=self.tasks_total,
            source=f"stage:{self.stage}",
        )
