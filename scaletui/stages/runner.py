"""Run the playbook stages with ansible-runner: stream per-task events, cancel quickly, keep the full log.

Each run gets `<session>/runs/<run-id>/` as ansible-runner's private data dir; the full output is
`artifacts/<run-id>/stdout` there. The stage's state (and, for applications, the app's) is published as events,
which the engine records in the session.
ansible-playbook is found through the venv's `bin/` on PATH; hosts with a local connection carry an explicit
`ansible_python_interpreter` in the inventory.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from scaletui.errors import ConfigError, PlatformError, UserError
from scaletui.events import AppChanged, EventBus, KubeconfigChanged, StageStateChanged, StageTask
from scaletui.stages.catalog import ACTIONS, APPS, Action, app_playbook, app_version, playbooks_dir, stage_playbook
from scaletui.stages.task_count import count_tasks
from scaletui.stages.task_events import TaskTally

RunState = Literal["done", "failed", "cancelled"]
# How often ansible-runner polls cancel_callback (its default, 5 s, makes cancel feel broken).
PEXPECT_TIMEOUT_S = 0.2
APP_STATES: dict[str, Literal["deployed", "deleted"]] = {
    "deploy": "deployed",
    "reload": "deployed",
    "delete": "deleted",
}


@dataclass(frozen=True)
class StageResult:
    """How a run ended; `failed_task`/`message` name the failing task and its message when it failed."""

    stage: str
    run_id: str
    state: RunState
    rc: int
    log_file: str
    failed_task: str = ""
    message: str = ""
    tasks_done: int = 0
    tasks_total: int | None = None
    counts: dict[str, int] = field(default_factory=dict)


class StagesRunner:
    """Runs stages and applications of one session; at most one run per stage at a time."""

    def __init__(
        self,
        session_dir: Path,
        inventory_file: Callable[[], str],
        bus: EventBus,
        playbooks: Path | str | None = None,
        extravars: dict[str, Any] | None = None,
        pexpect_timeout_s: float = PEXPECT_TIMEOUT_S,
    ) -> None:
        """`inventory_file` answers where the session's inventory is now (reservations rewrite it)."""
        self.pexpect_timeout_s = pexpect_timeout_s
        self.session_dir = session_dir
        self.inventory_file = inventory_file
        self.bus = bus
        self.playbooks = playbooks_dir(playbooks)
        self.extravars = dict(extravars or {})
        self._running: set[str] = set()
        self._lock = threading.Lock()

    # --- public entry points -------------------------------------------------------------------------------------

    def run_stage(
        self, stage: str, cancel: threading.Event, extravars: dict[str, Any] | None = None, tags: str = ""
    ) -> StageResult:
        """Run `playbooks/<stage>/setup.yaml` against the session's inventory."""
        playbook = stage_playbook(self.playbooks, stage)
        result = self._run(stage, playbook, cancel, extravars or {}, tags)
        kubeconfig = self.session_dir / "kubeconfig"
        if stage == "orchestration" and result.state == "done" and kubeconfig.is_file():
            self.bus.publish(KubeconfigChanged(source=f"stage:{stage}", path=str(kubeconfig)))
        if stage == "application" and result.state == "done":
            for app in APPS:
                self._app_changed(app, "deploy")
        return result

    def run_app(
        self, app: str, action: Action, cancel: threading.Event, extravars: dict[str, Any] | None = None
    ) -> StageResult:
        """Deploy, delete or reload one application (its playbook with `action` set)."""
        if action not in ACTIONS:
            raise ConfigError(f"action {action!r} is not one of {', '.join(ACTIONS)}.")
        playbook = app_playbook(self.playbooks, app)
        result = self._run(f"app:{app}", playbook, cancel, {**(extravars or {}), "app_action": action}, "")
        if result.state == "done":
            self._app_changed(app, action)
        elif result.state == "failed":
            self._app_changed(app, "failed")
        return result

    def _app_changed(self, app: str, outcome: str) -> None:
        """deploy/reload -> deployed (with the pinned version), delete -> deleted, anything else -> failed."""
        version = app_version(self.playbooks, app)
        self.bus.publish(
            AppChanged(source=f"stage:app:{app}", app=app, state=APP_STATES.get(outcome, "failed"), version=version)
        )

    def run_step(self, step: str, cancel: threading.Event, extravars: dict[str, Any] | None = None) -> StageResult:
        """An experiment file's step: a stage name, or "app:<name>" (deploy) or "app:<name>:<action>"."""
        if not step.startswith("app:"):
            return self.run_stage(step, cancel, extravars)
        _, app, *rest = step.split(":")
        action = rest[0] if rest else "deploy"
        if action not in ACTIONS:
            raise ConfigError(f"step {step!r}: action {action!r} is not one of {', '.join(ACTIONS)}.")
        return self.run_app(app, action, cancel, extravars)  # type: ignore[arg-type]

    # --- one run -------------------------------------------------------------------------------------------------

    def inventory(self) -> Path:
        path = self.inventory_file()
        if not path or not Path(path).is_file():
            # no machines is a platform error (exit code 3), as when a reservation fails
            raise PlatformError("no machines are reserved in this session yet.", "Reserve a platform first.")
        return Path(path)

    def environment(self) -> dict[str, str]:
        """PATH with the venv's bin first (ansible-playbook, and the python the local connection uses)."""
        venv_bin = str(Path(sys.executable).parent)
        env = {
            "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_PYTHON_INTERPRETER": "auto_silent",
        }
        cfg = self.playbooks / "ansible.cfg"
        if cfg.is_file():
            env["ANSIBLE_CONFIG"] = str(cfg)
        return env

    def _run(
        self, key: str, playbook: Path, cancel: threading.Event, extravars: dict[str, Any], tags: str
    ) -> StageResult:
        import ansible_runner

        inventory = self.inventory()
        with self._lock:
            if key in self._running:
                raise UserError(f"{key} is already running.", "Wait for it to finish, or cancel it.")
            self._running.add(key)
        try:
            run_id = f"{key.replace(':', '-')}-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:4]}"
            run_dir = self.session_dir / "runs" / run_id
            (run_dir / "env").mkdir(parents=True)
            variables = {
                **self.extravars,
                **extravars,
                "scaletui_session_dir": str(self.session_dir),
                "scaletui_run_dir": str(run_dir),
            }
            vars_file = run_dir / "extravars.json"
            vars_file.write_text(json.dumps(variables))
            env = {**os.environ, **self.environment()}
            log_file = run_dir / "artifacts" / run_id / "stdout"
            tally = TaskTally(stage=key, run_id=run_id)
            counter = threading.Thread(
                target=lambda: setattr(tally, "tasks_total", count_tasks(playbook, inventory, vars_file, env, tags)),
                name=f"count-tasks-{key}",
                daemon=True,
            )
            counter.start()
            self.bus.publish(
                StageStateChanged(
                    stage=key,
                    state="running",
                    run_id=run_id,
                    started_at=time.time(),
                    ended_at=0.0,
                    log_file=str(log_file),
                    failed_task="",
                    source=f"stage:{key}",
                )
            )

            def on_event(event: dict[str, Any]) -> bool:
                task = tally.handle(event)
                if task is not None:
                    self.bus.publish(task)
                return True

            runner = ansible_runner.run(
                private_data_dir=str(run_dir),
                ident=run_id,
                playbook=str(playbook),
                inventory=str(inventory),
                extravars=variables,
                tags=tags or None,
                envvars=self.environment(),
                settings={"pexpect_timeout": self.pexpect_timeout_s, "suppress_ansible_output": True},
                quiet=True,
                event_handler=on_event,
                cancel_callback=cancel.is_set,
                project_dir=str(playbook.parent),
            )
            counter.join(timeout=0.5)
            return self._finish(key, run_id, runner, tally, str(log_file), cancel)
        finally:
            with self._lock:
                self._running.discard(key)

    def _finish(
        self, key: str, run_id: str, runner: Any, tally: TaskTally, log_file: str, cancel: threading.Event
    ) -> StageResult:
        rc = int(runner.rc if runner.rc is not None else -1)
        state: RunState
        if runner.status == "canceled" or (cancel.is_set() and runner.status != "successful"):
            state, message = "cancelled", "cancelled by the user"
        elif runner.status == "successful" and rc == 0:
            state, message = "done", "; ".join(f"{n} {k}" for k, n in sorted(tally.counts.items()))
        else:
            state = "failed"
            if tally.failed_task:
                message = f"task '{tally.failed_task}' failed: {tally.failed_message}"
            else:
                message = f"ansible-playbook ended with {runner.status} (rc {rc}); see {log_file}"
        if state == "done" and tally.tasks_total is not None:
            tally.tasks_total = max(tally.tasks_total, tally.tasks_done)
        self.bus.publish(
            StageStateChanged(
                stage=key,
                state=state,
                message=message,
                ended_at=time.time(),
                failed_task=tally.failed_task,
                source=f"stage:{key}",
            )
        )
        return StageResult(
            stage=key,
            run_id=run_id,
            state=state,
            rc=rc,
            log_file=log_file,
            failed_task=tally.failed_task,
            message=message,
            tasks_done=tally.tasks_done,
            tasks_total=tally.tasks_total,
            counts=dict(tally.counts),
        )


__all__ = ["StageResult", "StagesRunner", "StageTask", "Action"]
