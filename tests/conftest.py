"""Shared fixtures: an isolated scaletui home per test, an engine on it; and the mark that splits the suite in two
(scripts/run-tests runs the halves side by side)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from scaletui.config.models import AppConfig, Paths

pytest_plugins = ["tests.plugins.flink", "tests.plugins.shared_runs"]

settings.register_profile("loaded", deadline=None)
settings.load_profile("loaded")
"""No per-example deadline in any property test: on a loaded 2-core machine one example took 305 ms against
Hypothesis's default 200 ms (tests/foundation/test_session_store.py failed so). Speed is for benchmarks/."""


SELF_CONTAINED = {
    "capacity": "online properties run_replay_and_benchmark scopes_and_nodes strategies traces",
    "chaos": "chaos_mesh ledger schedule",
    "engine": "close_runs controller_actuation guard_rails_live hand_timeline kept_loop live_runs loop_settings "
    "plan_check run_checks run_loop self_pause",
    "foundation": "config events experiment_errors import_hygiene session_store",
    "headless": "failed_steps script testbed_exit_codes",
    "kubernetes": "backend",
    "local": "counter_rates health job_graph proc_stats",
    "platforms": "enos_conf examples g5k_extend_release g5k_flow g5k_jobless g5k_release_waiting g5k_setup_failure "
    "release_advice static_local static_roles",
    "results": "commands compare crash decision_rows docs export hand_steps recorder report roundtrip run_ids slo sync",
    "scalehub": "import",
    "scaling": "benchmark controller flink_rules predictive scalability simulator strategies",
    "tui": "actions_wiring app capacity_view chaos_empty chaos_form command_line dashboard decision_history "
    "help_layout intents live_keys messages no_color_tmux pane_intents plots_marks redraws replay runs snapshots "
    "startup stop_signals strategy_loop testbed_keys themes_and_boot walkthrough",
    "workload": "profiles",
}
SELF_CONTAINED_MODULES = frozenset(f"{d}/test_{m}.py" for d, names in SELF_CONTAINED.items() for m in names.split())
"""Test modules whose tests keep to themselves: the simulator, Textual's Pilot, files under tmp, their own child
processes and loopback servers (sshd, the Grid5000 API stand-in) on ports the kernel picks. Every other module is
`platform`: real Flink, faults, namespaces, playbooks that prepare this machine, testbed stand-ins; its tests wait
on wall clocks or look at the whole machine (leak checks), so they run one at a time, beside these."""
PLATFORM_FIXTURES = frozenset({"flink_home", "flink_cluster", "flink_job", "workload_jar_path"})


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `platform` every test outside SELF_CONTAINED_MODULES, or one marked `flink` or `root` or asking for real
    Flink (before `-m` selects)."""
    tests = Path(__file__).parent
    for item in items:
        module = item.path.relative_to(tests).as_posix() if item.path.is_relative_to(tests) else ""
        real = item.get_closest_marker("flink") or item.get_closest_marker("root")
        if module not in SELF_CONTAINED_MODULES or real or PLATFORM_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.platform)


@pytest.fixture
def app_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppConfig:
    """App settings whose sessions, cache and results live under the test's tmp dir."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("SCALETUI_THEME", raising=False)
    return AppConfig(
        paths=Paths(
            sessions=str(tmp_path / "sessions"),
            results=str(tmp_path / "results"),
            cache=str(tmp_path / "cache"),
            conf=str(Path(__file__).parent.parent / "conf"),
        )
    )


@pytest.fixture
def engine(app_config: AppConfig):
    from scaletui.engine import Engine

    eng = Engine(app_config, "test")
    yield eng
    eng.close()
