"""The Grid5000 reservation flow, end to end through EnosLib and python-grid5000, against the HTTP-level fake of the
Grid5000 REST API on 127.0.0.1 (tests/fakes/g5k.py documents the endpoints and where their JSON shapes come from).

What the fake cannot cover: after the job runs, EnosLib's `init()` grants root access by running `sudo-g5k` over SSH
on every node (through access.grid5000.fr). There are no such nodes here, so that one step is replaced by a recorder
that checks it was asked for the right hosts; everything before and after it is EnosLib's real code.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import yaml

from scaletui.config.loader import load_platform
from scaletui.engine.reservations import ReservationFlow, expiring, remaining_s
from scaletui.events import Progress
from scaletui.platforms.enos import EnosPlatform
from scaletui.session.store import SessionStore
from tests.fakes.g5k import FakeGrid5000
from tests.recording import reservation_flow

PLATFORM_TOML = """
[platform]
name = "g5k"            # the platform's name in the session and the inventory
type = "Grid5000"

[roles]
control = 1
workers = 2

[settings]
site = "rennes"
cluster = "paravance"
walltime = "1h"
"""


@pytest.fixture
def granted(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    from enoslib.infra.enos_g5k.provider import G5kBase

    calls: list[list[str]] = []
    monkeypatch.setattr(G5kBase, "grant_root_access", lambda self: calls.append([h.fqdn for h in self.sshable_hosts]))
    return calls


@pytest.fixture
def flow(tmp_path: Path, g5k_api: FakeGrid5000) -> ReservationFlow:
    conf = tmp_path / "conf" / "platforms"
    conf.mkdir(parents=True)
    (conf / "g5k.toml").write_text(PLATFORM_TOML)
    store = SessionStore.open(tmp_path / "session")
    f = reservation_flow(store, tmp_path / "conf")
    f.add(EnosPlatform(load_platform(conf / "g5k.toml"), str(conf / "g5k.toml"), poll_s=0.05))
    return f


def test_reserve_records_the_job_and_writes_the_inventory(
    flow: ReservationFlow, g5k_api: FakeGrid5000, granted: list[list[str]]
) -> None:
    events: list[Progress] = []
    flow.bus.subscribe(events.append, Progress)  # type: ignore[arg-type]
    reservation = flow.reserve("g5k", threading.Event())

    submitted = [r for r in g5k_api.requests if r.method == "POST" and r.path == "/stable/sites/rennes/jobs"]
    assert len(submitted) == 1
    assert submitted[0].user == "alice"
    assert (
        submitted[0].body["resources"]
        == "{cluster='paravance'}/nodes=1+{cluster='paravance'}/nodes=2,walltime=01:00:00"
    )
    assert submitted[0].body["name"] == "scaletui-g5k"

    assert reservation.state == "running"
    assert reservation.job_id == str(next(iter(g5k_api.jobs)))
    assert (reservation.site, reservation.cluster, reservation.walltime_s) == ("rennes", "paravance", 3600)
    assert reservation.started_at > 0
    assert sorted(n.role for n in reservation.nodes) == ["control", "worker", "worker"]
    assert len(granted) == 1 and sorted(granted[0]) == sorted(n.name for n in reservation.nodes)
    assert events[-1].done and events[-1].fraction == 1.0
    assert any("submitting" in e.message for e in events)

    inventory = yaml.safe_load(Path(flow.store.session.inventory_file).read_text())
    groups = inventory["all"]["children"]
    assert list(groups["control"]["hosts"]) == ["paravance-1.rennes.grid5000.fr"]
    assert len(groups["agents"]["hosts"]) == 2
    host = groups["agents"]["hosts"]["paravance-2.rennes.grid5000.fr"]
    assert host["ansible_host"] == "paravance-2.rennes.grid5000.fr"
    assert (host["ansible_user"], host["cluster_role"], host["platform_name"]) == ("root", "worker", "g5k")
    assert set(groups["g5k"]["hosts"]) == {n.name for n in reservation.nodes}
    assert remaining_s(reservation) is not None and 3500 < remaining_s(reservation) <= 3600  # type: ignore[operator]
    assert not expiring(reservation) and expiring(reservation, now=reservation.started_at + 3300)


def test_extend_status_and_release(flow: ReservationFlow, g5k_api: FakeGrid5000, granted: list[list[str]]) -> None:
    flow.reserve("g5k", threading.Event())
    extended = flow.extend("g5k", 1800)
    change = [r for r in g5k_api.requests if r.path.endswith("/walltime")]
    assert change and change[-1].body == {"walltime": "+00:30"}
    assert extended.walltime_s == 5400

    with pytest.raises(Exception, match="needs a confirmation"):
        flow.release("g5k", confirmed=False)
    assert flow.status("g5k").state == "running"

    released = flow.release("g5k", confirmed=True)
    assert released.state == "released" and released.nodes == []
    assert any(r.method == "DELETE" for r in g5k_api.requests)
    assert next(iter(g5k_api.jobs.values()))["state"] == "error"
    inventory = yaml.safe_load(Path(flow.store.session.inventory_file).read_text())
    assert inventory["all"]["children"]["control"]["hosts"] == {}


def test_cancel_while_waiting_deletes_the_job(
    flow: ReservationFlow, g5k_api: FakeGrid5000, granted: list[list[str]]
) -> None:
    g5k_api.hold = True
    cancel = threading.Event()
    result: dict[str, object] = {}
    worker = threading.Thread(target=lambda: result.setdefault("r", flow.reserve("g5k", cancel)))
    worker.start()
    deadline = time.monotonic() + 20
    while not g5k_api.jobs and time.monotonic() < deadline:
        time.sleep(0.02)
    assert g5k_api.jobs, "the job was never submitted"
    deadline = time.monotonic() + 10
    while not flow.store.session.reservations[0].job_id and time.monotonic() < deadline:
        time.sleep(0.02)
    recorded = flow.store.session.reservations[0]
    assert recorded.state == "waiting" and recorded.job_id, "the job id is recorded while waiting"
    started = time.monotonic()
    cancel.set()
    worker.join(timeout=15)
    assert not worker.is_alive()
    assert time.monotonic() - started < 5
    reservation = result["r"]
    assert reservation.state == "released" and reservation.message == "cancelled"  # type: ignore[attr-defined]
    assert next(iter(g5k_api.jobs.values()))["state"] == "error"
    assert granted == []


def test_restart_reattaches_to_the_recorded_job(
    flow: ReservationFlow, g5k_api: FakeGrid5000, tmp_path: Path, granted: list[list[str]]
) -> None:
    first = flow.reserve("g5k", threading.Event())
    posts_before = sum(r.method == "POST" for r in g5k_api.requests)

    reopened = SessionStore.open(tmp_path / "session")
    again = reservation_flow(reopened, tmp_path / "conf")
    attached = again.reattach()
    assert [r.job_id for r in attached] == [first.job_id]
    assert attached[0].state == "running"
    assert sum(r.method == "POST" for r in g5k_api.requests) == posts_before

    g5k_api.jobs[int(first.job_id)]["state"] = "error"
    assert again.status("g5k").state == "released"
