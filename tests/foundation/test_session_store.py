"""The session file: round trips, atomic saves with a backup, migrations, and clear errors on damage."""

from __future__ import annotations

import os
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaletui.errors import ConfigError
from scaletui.session import store as store_mod
from scaletui.session.model import FaultRecord, JobRecord, OperatorRecord, RunRecord, Session
from scaletui.session.store import SessionStore, dumps, loads

names = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=12)
finite = st.floats(min_value=0, max_value=1e10, allow_nan=False)
free_values = st.one_of(st.integers(-(2**31), 2**31), st.text(max_size=20), st.booleans(), finite)
free_tables = st.dictionaries(names.filter(lambda k: not store_mod.SECRET_KEY.search(k)), free_values, max_size=4)

sessions = st.builds(
    Session,
    name=names,
    created_at=finite,
    job=st.builds(
        JobRecord,
        job_id=names,
        state=st.sampled_from(["none", "RUNNING", "FAILED"]),
        operators=st.lists(st.builds(OperatorRecord, name=names, parallelism=st.integers(1, 64)), max_size=5),
        taskmanagers=st.integers(0, 20),
        load_profile=free_tables,
    ),
    faults=st.lists(
        st.builds(
            FaultRecord,
            id=names,
            kind=st.sampled_from(["delay", "kill", "pause"]),
            targets=st.lists(names, max_size=3),
            params=free_tables,
            started_at=finite,
            expires_at=finite,
            undo=free_tables,
        ),
        max_size=3,
    ),
    runs=st.lists(st.builds(RunRecord, id=names, experiment=names, started_at=finite), max_size=3),
)


@given(sessions)
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
def test_round_trip(session: Session) -> None:
    assert loads(dumps(session)) == session


@given(st.binary(max_size=300))
@settings(max_examples=200)
def test_hostile_bytes_give_config_error_only(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    try:
        loads(text, "hostile.toml")
    except ConfigError as e:
        assert "hostile.toml" in str(e)


@given(st.dictionaries(names, st.one_of(free_values, st.lists(free_values, max_size=3)), max_size=5))
@settings(max_examples=150)
def test_hostile_tables_give_config_error_only(doc: dict) -> None:
    import tomli_w

    try:
        loads(tomli_w.dumps({"job": doc}), "hostile.toml")
    except ConfigError as e:
        assert "hostile.toml" in str(e) and "job" in str(e)


def test_save_is_atomic_and_keeps_a_backup(tmp_path: Path) -> None:
    store = SessionStore.open(tmp_path / "s")
    store.update(lambda s: setattr(s.job, "taskmanagers", 2), durable=True)
    store.update(lambda s: setattr(s.job, "taskmanagers", 3), durable=True)
    assert SessionStore.open(tmp_path / "s").session.job.taskmanagers == 3
    assert loads(store.backup.read_text()).job.taskmanagers == 2
    assert [p.name for p in (tmp_path / "s").iterdir() if p.name.endswith(".tmp")] == []


def test_corrupt_file_names_file_and_line_and_is_kept(tmp_path: Path) -> None:
    store = SessionStore.open(tmp_path / "s")
    bad = 'schema_version = 1\nname = "s"\n[job\n'
    store.path.write_text(bad)
    with pytest.raises(ConfigError) as err:
        SessionStore.open(tmp_path / "s")
    assert str(store.path) in err.value.message and "line 3" in err.value.message
    assert store.path.read_text() == bad
    assert "backup" not in err.value.hint, "no good copy was kept yet: there is nothing to go back to"


def test_a_corrupt_file_with_a_good_copy_says_how_to_go_back(tmp_path: Path) -> None:
    store = SessionStore.open(tmp_path / "s")
    store.update(lambda s: setattr(s.job, "taskmanagers", 2), durable=True)
    store.update(lambda s: setattr(s.job, "taskmanagers", 3), durable=True)
    store.path.write_text('schema_version = 1\nname = "s"\n[job\n')
    with pytest.raises(ConfigError) as err:
        SessionStore.open(tmp_path / "s")
    assert err.value.hint.endswith(f"cp {store.backup} {store.path}") and store.backup.exists()


def test_invalid_value_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "s" / "session.toml"
    path.parent.mkdir()
    path.write_text('schema_version = 1\n[[job.operators]]\nname = "expensive"\nparallelism = 0\n')
    with pytest.raises(ConfigError, match=r"job\.operators\[0\]\.parallelism .*greater than or equal to 1"):
        SessionStore.open(tmp_path / "s")
    path.write_text("schema_version = 1\nmystery = 1\n")
    with pytest.raises(ConfigError, match="key mystery is not a known key"):
        SessionStore.open(tmp_path / "s")


def test_file_damaged_while_open_is_set_aside_not_overwritten(tmp_path: Path) -> None:
    store = SessionStore.open(tmp_path / "s")
    store.path.write_text("garbage = [")
    store.update(lambda s: setattr(s.job, "taskmanagers", 4), durable=True)
    aside = list((tmp_path / "s").glob("session.toml.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text() == "garbage = ["
    assert SessionStore.open(tmp_path / "s").session.job.taskmanagers == 4


def test_newer_schema_is_refused_and_migrations_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="newer than this scaletui"):
        loads("schema_version = 99\n")
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(store_mod.Session, "model_fields", store_mod.Session.model_fields)

    def v1_to_v2(doc: dict) -> dict:
        doc["name"] = doc.get("name", "") + "-migrated"
        return doc

    monkeypatch.setitem(store_mod.MIGRATIONS, 1, v1_to_v2)
    doc = store_mod.migrate({"schema_version": 1, "name": "old"})
    assert doc == {"schema_version": 2, "name": "old-migrated"}


def test_secrets_are_never_written(tmp_path: Path) -> None:
    store = SessionStore.open(tmp_path / "s")
    with pytest.raises(ConfigError, match=r"strategy\.params\.api_token looks like a secret"):
        store.update(lambda s: s.strategy.params.update({"api_token": "abc"}))
    assert "abc" not in store.path.read_text()
    assert store.session.strategy.params == {}


def test_failed_update_leaves_session_unchanged(tmp_path: Path) -> None:
    store = SessionStore.open(tmp_path / "s")
    before = store.path.stat().st_mtime_ns
    with pytest.raises(ConfigError):
        store.update(
            lambda s: (
                s.job.operators.append(OperatorRecord(name="x", parallelism=1))
                or setattr(s.job.operators[0], "parallelism", 0)
            )
        )
    assert store.session.job.operators == []
    assert store.path.stat().st_mtime_ns == before
    assert os.access(store.path, os.R_OK)


def test_a_burst_of_changes_is_one_write_off_the_callers_thread(tmp_path: Path) -> None:
    """A hundred changes in a burst (a `j` press, a rescale) reach the file in a few coalesced writes, all made by
    the writer thread: the caller never waits on the disk."""
    store = SessionStore.open(tmp_path / "s")
    store.min_interval_s = 60.0  # one write at the first change, the rest wait for close: no timing in the test
    opened = store.writes
    seen: list[frozenset[str]] = []
    store.on_change(lambda session, parts: seen.append(parts))
    for i in range(100):
        store.update(lambda s, i=i: setattr(s.job, "taskmanagers", i % 7))
    assert store.writes - opened <= 1
    store.close()
    assert 1 <= store.writes - opened <= 2
    assert SessionStore.open(tmp_path / "s").session.job.taskmanagers == 99 % 7
    assert seen and all(parts == frozenset({"job"}) for parts in seen)


def test_a_change_that_changes_nothing_is_not_published(tmp_path: Path) -> None:
    store = SessionStore.open(tmp_path / "s")
    seen: list[frozenset[str]] = []
    store.on_change(lambda session, parts: seen.append(parts))
    store.update(lambda s: setattr(s.ui, "pane", "pods"))
    store.update(lambda s: setattr(s.ui, "pane", "pods"))
    assert seen == [frozenset({"ui"})]


def test_durable_change_is_on_disk_when_update_returns(tmp_path: Path) -> None:
    store = SessionStore.open(tmp_path / "s")
    store.update(lambda s: setattr(s.job, "job_id", "abc"), durable=True)
    assert 'job_id = "abc"' in store.path.read_text()
