"""A TaskManager counts as registered only once its slots are there: `set_taskmanagers(3)` once returned with three
TaskManagers registered but 4 of 6 slots (tests/local/test_cluster.py failed once in a clean `make test`).

Flink lists a new TaskManager (GET /taskmanagers) before its slot report arrives, with `slotsNumber` 0 until then,
and the slot manager's total (GET /overview) follows later still. That order cannot be forced on a real cluster,
so this test serves the JobManager's REST replies in that order from a loopback HTTP server (Flink's own JSON
shapes, as recorded from Flink 2.3 here) and checks that the wait does not return before the slots are counted.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scaletui.flink.cluster_config import ClusterSettings
from scaletui.flink.install import FlinkHome
from scaletui.flink.standalone import LocalFlinkCluster


class RegistrationReplies:
    """The JobManager's view while taskmanager-3 registers: listed with 0 slots, then 2, then counted in the total."""

    def __init__(self) -> None:
        self.phase = 0
        self.lock = threading.Lock()

    def taskmanagers(self) -> dict[str, object]:
        third = {0: 0, 1: 2, 2: 2}[self.phase]
        tms = [{"id": f"taskmanager-{i}", "slotsNumber": 2, "freeSlots": 0} for i in (1, 2)]
        return {"taskmanagers": [*tms, {"id": "taskmanager-3", "slotsNumber": third, "freeSlots": third}]}

    def overview(self) -> dict[str, object]:
        total = {0: 4, 1: 4, 2: 6}[self.phase]
        return {"taskmanagers": 3, "slots-total": total, "slots-available": total - 4, "flink-version": "2.3.0"}


@pytest.fixture
def replies() -> Iterator[tuple[RegistrationReplies, int]]:
    state = RegistrationReplies()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            with state.lock:
                body = state.taskmanagers() if self.path.startswith("/taskmanagers") else state.overview()
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_taskmanager_listed_without_its_slots_is_not_yet_registered(
    replies: tuple[RegistrationReplies, int], tmp_path: Path
) -> None:
    state, port = replies
    home = FlinkHome(path=tmp_path, version="2.3.0", java=tmp_path / "java", javac=None)
    cluster = LocalFlinkCluster(home, tmp_path / "flink", ClusterSettings(slots_per_taskmanager=2))
    cluster.rest_port = port
    done = threading.Event()

    def wait() -> None:
        cluster.wait_registered(["taskmanager-3"], deadline=time.monotonic() + 30)
        done.set()

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    assert not done.wait(1.0), "listed with 0 slots: not registered yet"
    with state.lock:
        state.phase = 1
    assert not done.wait(1.0), "its 2 slots reported, but the cluster's total still 4: not registered yet"
    with state.lock:
        state.phase = 2
    assert done.wait(10.0), "6 slots in the total: registered"
