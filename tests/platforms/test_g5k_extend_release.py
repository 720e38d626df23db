"""An extension of a reservation's walltime and its release run one after the other (review 38 F7).

`e` and `x` in the Reservations pane run in different work groups, so an extension still waiting for the testbed's
answer could end after the release and record the job it had asked about as running again: the session then showed a
released reservation as running. On the fake Grid5000 API (tests/fakes/g5k.py), which holds the walltime change
until the test lets it through.
"""

from __future__ import annotations

import threading
from pathlib import Path

from scaletui.config.models import AppConfig, Paths
from scaletui.engine import Engine
from scaletui.events import Progress
from tests.fakes.g5k import FakeGrid5000
from tests.platforms.test_g5k_setup_failure import conf_dir, granted  # noqa: F401


def test_a_release_waits_for_the_extension_under_way_and_the_reservation_stays_released(
    tmp_path: Path,
    g5k_api: FakeGrid5000,
    granted: list[list[str]],  # noqa: F811
) -> None:
    conf_dir(tmp_path)
    g5k_api.walltime_gate = threading.Event()
    waiting = threading.Event()
    outcomes: dict[str, object] = {}

    def run(what: str, call) -> threading.Thread:  # type: ignore[no-untyped-def]
        def body() -> None:
            try:
                outcomes[what] = call()
            except Exception as e:  # noqa: BLE001 - the test reports it
                outcomes[what] = e

        thread = threading.Thread(target=body)
        thread.start()
        return thread

    with Engine(AppConfig(paths=Paths(sessions=str(tmp_path / "sessions"), conf=str(tmp_path / "conf"))), "s") as e:
        e.testbed.reserve("g5k")
        e.bus.subscribe(lambda ev: waiting.set() if "waits for the change" in ev.message else None, Progress)
        extending = run("extend", lambda: e.testbed.extend("g5k", "30m"))
        assert g5k_api.walltime_asked.wait(60), "the extension never reached the API"
        releasing = run("release", lambda: e.testbed.release("g5k"))
        try:
            assert waiting.wait(60), f"the release did not wait for the extension: {outcomes}"
        finally:
            g5k_api.walltime_gate.set()
            extending.join(120)
            releasing.join(120)
        assert isinstance(outcomes["extend"], str) and "walltime 1h30m" in outcomes["extend"], outcomes
        assert isinstance(outcomes["release"], str) and "released" in outcomes["release"], outcomes
        (reservation,) = e.store.session.reservations
        assert reservation.state == "released", reservation
    assert [job["state"] for job in g5k_api.jobs.values()] == ["error"], "the job was deleted"
