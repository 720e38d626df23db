"""The session: the single model every pane and worker shares, saved as TOML.

Pydantic models with unknown keys refused, so a hand-edited or damaged file is caught at load with the key named.
Secrets have no field here; `store.py` also refuses secret-looking keys inside free-form tables.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

StageStateName = Literal["pending", "running", "done", "failed", "cancelled"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Node(_Model):
    """One reserved machine and the role it plays."""

    name: str
    address: str
    role: Literal["control", "producer", "consumer", "worker"]
    user: str = "root"
    vars: dict[str, str | int] = Field(default_factory=dict)
    """Connection extras the inventory needs again after a restart (ansible_port, ansible_connection...)."""


class Reservation(_Model):
    """A platform's reservation: enough to re-attach after a restart (job id, site) and to count down walltime."""

    platform: str
    type: str
    conf_file: str = ""
    state: Literal["none", "reserving", "waiting", "running", "released", "failed"] = "none"
    job_id: str = ""
    site: str = ""
    cluster: str = ""
    walltime_s: int = 0
    started_at: float = 0.0
    nodes: list[Node] = Field(default_factory=list)
    message: str = ""
    asked_testbed: bool = True
    """False when the reservation failed before anything was asked of the testbed (its EnosLib provider could not be
    loaded or configured): there is nothing there to release."""


class StageRecord(_Model):
    state: StageStateName = "pending"
    last_run: str = ""
    started_at: float = 0.0
    ended_at: float = 0.0
    log_file: str = ""
    failed_task: str = ""
    message: str = ""


class AppRecord(_Model):
    """An application deployed by the application stage (flink, kafka, minio, ...)."""

    state: Literal["deployed", "deleted", "failed"] = "deployed"
    version: str = ""
    updated_at: float = 0.0


class ProcessRecord(_Model):
    """A process scaletui started, so a restarted scaletui can adopt or stop it."""

    role: str
    name: str
    pid: int
    ports: list[int] = Field(default_factory=list)
    started_at: float = 0.0


class ClusterRecord(_Model):
    backend: Literal["none", "local", "kubernetes", "simulator"] = "none"
    rest_url: str = ""
    flink_home: str = ""
    flink_version: str = ""
    namespace: str = ""
    kubeconfig: str = ""
    processes: list[ProcessRecord] = Field(default_factory=list)


class OperatorRecord(_Model):
    name: str
    vertex_id: str = ""
    parallelism: int = Field(1, ge=1)
    max_parallelism: int = Field(128, ge=1)


class JobRecord(_Model):
    job_id: str = ""
    name: str = ""
    state: str = "none"
    operators: list[OperatorRecord] = Field(default_factory=list)
    taskmanagers: int = Field(0, ge=0)
    load_profile: dict[str, Any] = Field(default_factory=dict)
    """The load the live session last applied, which its next cluster starts with (an experiment's is its file's)."""


class StrategyRecord(_Model):
    """The live session's autoscaler, which its next cluster starts with: an experiment's strategy, run from the run
    history or by `--script`, is its file's and never reaches it."""

    name: str = "none"
    params: dict[str, Any] = Field(default_factory=dict)
    dry_run: bool = False
    loop: dict[str, int | float] = Field(default_factory=dict)
    """The loop's settings changed live (timing in seconds, guard rails whole), as with `params`: a restarted cluster
    runs with them over the live defaults' [strategy] table, which gives the rest (an edit of the file reaches the
    settings never changed)."""
    paused: bool = False
    pause_reason: str = ""
    """Why it is paused: the user, or the loop itself (the job failed over, a change by hand), which a restarted
    cluster does not inherit."""


class FaultRecord(_Model):
    """A fault in the ledger: what, where, when it ends, and how to undo it (backend-specific `undo` table)."""

    id: str
    kind: str
    backend: Literal["local", "chaos-mesh"] = "local"
    targets: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    started_at: float
    expires_at: float
    undo: dict[str, Any] = Field(default_factory=dict)


class RunRecord(_Model):
    id: str
    experiment: str
    started_at: float
    ended_at: float = 0.0
    status: Literal["running", "done", "failed", "interrupted"] = "running"
    results_dir: str = ""
    summary: dict[str, Any] = Field(default_factory=dict)
    live: bool = False
    """An open-ended run: what was done by hand in the app, recorded like an experiment."""
    headless: bool = False
    """Run with no app behind it (`--script`): listed with the others, but the app's plots do not reopen on it."""
    backend: Literal["", "local", "kubernetes", "simulator"] = ""
    """What the run's job ran on, once it opened one: the history marks a simulated run's length as simulated."""


class UiState(_Model):
    theme: str = ""
    pane: str = "reservations"
    layout: Literal["auto", "tabs", "dashboard"] = "auto"
    """auto: the dashboard (plots, pods and chaos at once) on terminals of at least 140x40, tabs below that."""


class Session(_Model):
    schema_version: int = SCHEMA_VERSION
    name: str = "default"
    created_at: float = Field(default_factory=time.time)
    reservations: list[Reservation] = Field(default_factory=list)
    inventory_file: str = ""
    stages: dict[str, StageRecord] = Field(default_factory=dict)
    apps: dict[str, AppRecord] = Field(default_factory=dict)
    cluster: ClusterRecord = Field(default_factory=ClusterRecord)
    job: JobRecord = Field(default_factory=JobRecord)
    strategy: StrategyRecord = Field(default_factory=StrategyRecord)
    faults: list[FaultRecord] = Field(default_factory=list)
    runs: list[RunRecord] = Field(default_factory=list)
    ui: UiState = Field(default_factory=UiState)

    def reserved_platform(self) -> str | None:
        """The most recent running reservation's platform: what `s` starts (else local Flink)."""
        running = [r.platform for r in self.reservations if r.state == "running"]
        return running[-1] if running else None
