"""Real ansible-runner runs of the infrastructure stage and the local playbooks against 127.0.0.1 (this machine,
local connection), including a cancel in the middle. `scaletui_local_test` keeps the infrastructure stage from
installing packages, applying sysctl or touching the clock here; folders and files go under a temporary root.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from scaletui.config.models import PlatformFile
from scaletui.events import Event, EventBus, StageStateChanged, StageTask
from scaletui.platforms.registry import create_platform
from scaletui.session.store import SessionStore
from tests.recording import recorded, reservation_flow, stages_runner


@pytest.fixture
def session(tmp_path: Path) -> SessionStore:
    store = SessionStore.open(tmp_path / "session")
    flow = reservation_flow(store)
    pf = PlatformFile.model_validate({"platform": {"name": "local", "type": "local"}})
    flow.add(create_platform(pf))
    flow.reserve("local", threading.Event())
    return store


def collect(bus: EventBus) -> list[Event]:
    seen: list[Event] = []
    bus.subscribe(seen.append)
    return seen


def test_infrastructure_stage_runs_for_real(session: SessionStore, tmp_path: Path) -> None:
    bus = EventBus()
    seen = collect(bus)
    root = tmp_path / "root"
    runner = stages_runner(
        session,
        bus,
        extravars={
            "scaletui_local_test": True,
            "scaletui_root": str(root),
            "base_sysctl_file": str(tmp_path / "sysctl.conf"),
        },
    )
    result = runner.run_stage("infrastructure", threading.Event())

    assert result.state == "done", result.message
    assert {p.name for p in root.iterdir()} >= {"data", "logs", "checkpoints", "savepoints", "tmp", "node.json"}
    node = json.loads((root / "node.json").read_text())
    assert node["cluster_role"] == "control" and node["platform_name"] == "local"
    assert "vm.max_map_count = 262144" in (tmp_path / "sysctl.conf").read_text()

    tasks = [e for e in seen if isinstance(e, StageTask)]
    by_task = {(t.task, t.status) for t in tasks}
    assert ("Install the base packages", "skipped") in by_task
    assert ("Create the scaletui folders", "changed") in by_task
    assert all(t.host == "localhost" and t.stage == "infrastructure" for t in tasks)
    assert any(t.duration_s is not None for t in tasks if t.status != "started")
    assert result.tasks_total is not None and result.tasks_done == result.tasks_total >= 7
    states = [e.state for e in seen if isinstance(e, StageStateChanged)]
    assert states == ["running", "done"]

    record = session.session.stages["infrastructure"]
    assert record.state == "done" and record.last_run == result.run_id
    log = Path(record.log_file).read_text()
    assert "Create the scaletui folders" in log and "PLAY RECAP" in log


def test_local_playbook_prepares_this_machine(session: SessionStore, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    result = stages_runner(session).run_stage("local", threading.Event(), extravars={"scaletui_cache_dir": str(cache)})
    assert result.state == "done", result.message
    assert (cache / "flink").is_dir() and (cache / "workload" / "classes").is_dir()
    found = json.loads((cache / "local-platform.json").read_text())
    assert "version" in found["java"]


def test_failure_names_the_task_and_its_message(session: SessionStore, tmp_path: Path) -> None:
    result = stages_runner(session).run_stage(
        "local", threading.Event(), extravars={"scaletui_cache_dir": str(tmp_path), "local_min_java": 99}
    )
    assert result.state == "failed"
    assert result.failed_task == "Check Java is installed and recent enough for Flink"
    assert "Flink needs Java 99 or newer" in result.message
    record = session.session.stages["local"]
    assert record.state == "failed" and record.failed_task == result.failed_task


def test_a_module_that_cannot_run_is_said_as_such_not_blamed_on_java(session: SessionStore, tmp_path: Path) -> None:
    """A host whose Python interpreter fails (MODULE FAILURE, rc 127) was reported as "Flink needs Java 11 or newer
    (java -version: not found)": "Find Java" ignores its own failure, so the module's went unsaid."""
    result = stages_runner(session).run_stage(
        "local",
        threading.Event(),
        extravars={"scaletui_cache_dir": str(tmp_path), "ansible_python_interpreter": "/nonexistent/python3"},
    )
    assert result.state == "failed"
    assert result.failed_task == "Check Ansible could run a module on the host"
    assert "failed: could not run a module on localhost: /" in result.message, result.message
    assert "/nonexistent/python3" in result.message and "rc 127" in result.message
    assert "ansible_python_interpreter" in result.message and "Java" not in result.message


def test_cancel_in_the_middle_stops_the_run(session: SessionStore, tmp_path: Path) -> None:
    bus = EventBus()
    cancel = threading.Event()
    seen = collect(bus)

    def cancel_on_folders(event: Event) -> None:
        if isinstance(event, StageTask) and event.task == "Create the scaletui folders":
            cancel.set()

    bus.subscribe(cancel_on_folders)
    runner = stages_runner(
        session,
        bus,
        extravars={
            "scaletui_local_test": True,
            "scaletui_root": str(tmp_path / "r"),
            "base_sysctl_file": str(tmp_path / "sysctl.conf"),
        },
    )
    result = runner.run_stage("infrastructure", cancel)

    assert result.state == "cancelled"
    assert session.session.stages["infrastructure"].state == "cancelled"
    assert [e.state for e in seen if isinstance(e, StageStateChanged)] == ["running", "cancelled"]
    finished = {e.task for e in seen if isinstance(e, StageTask) and e.status != "started"}
    assert "Record what this node offers" not in finished
    assert not (tmp_path / "r" / "node.json").exists()


def test_interrupted_runs_are_marked_cancelled_on_restart(session: SessionStore) -> None:
    from scaletui.engine.reducer import SessionReducer

    recorded(session).publish(StageStateChanged(stage="orchestration", state="running", run_id="x"))
    assert session.session.stages["orchestration"].last_run == "x"
    assert SessionReducer(session, EventBus()).mark_interrupted_stages() == ["orchestration"]
    assert session.session.stages["orchestration"].state == "cancelled"


def test_app_playbook_renders_then_names_the_failing_kubectl_task(session: SessionStore, tmp_path: Path) -> None:
    """No Kubernetes here: the flink playbook renders its manifests for real, then `k3s kubectl` is missing."""
    from scaletui.errors import ConfigError

    runner = stages_runner(session, extravars={"manifests_root": str(tmp_path / "manifests")})
    with pytest.raises(ConfigError, match="action 'explode' is not one of deploy, delete, reload"):
        runner.run_app("flink", "explode", threading.Event())  # type: ignore[arg-type]
    result = runner.run_app("flink", "deploy", threading.Event())
    assert result.state == "failed" and result.stage == "app:flink"
    assert result.failed_task == "Ensure the namespace exists"
    assert "k3s" in result.message
    rendered = {p.name for p in (tmp_path / "manifests" / "flink").iterdir()}
    assert rendered == {"jobmanager-service.yaml", "jobmanager-deployment.yaml", "taskmanager-deployment.yaml"}
    assert session.session.apps["flink"].state == "failed"
    assert session.session.stages["app:flink"].failed_task == "Ensure the namespace exists"


def test_experiment_steps_name_stages_or_apps(session: SessionStore, tmp_path: Path) -> None:
    from scaletui.errors import ConfigError

    runner = stages_runner(session)
    with pytest.raises(ConfigError, match="stage 'nope' is not one of"):
        runner.run_step("nope", threading.Event())
    with pytest.raises(ConfigError, match="application 'nope' is not one of"):
        runner.run_step("app:nope", threading.Event())
    with pytest.raises(ConfigError, match="action 'redeploy' is not one of"):
        runner.run_step("app:flink:redeploy", threading.Event())
    result = runner.run_step("local", threading.Event(), {"scaletui_cache_dir": str(tmp_path / "c")})
    assert result.state == "done" and result.stage == "local"
