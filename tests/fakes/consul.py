"""An HTTP-level fake Consul agent on 127.0.0.1 serving GET /v1/coordinate/nodes as Consul does: a JSON list of
{"Node", "Segment", "Coord": {"Vec", "Error", "Adjustment", "Height"}} with the X-Consul-Index,
X-Consul-Knownleader and X-Consul-Lastcontact headers (Consul HTTP API, /v1/coordinate).

`source`, when set, gives the nodes at each request (the testbed stand-in measures them from real processes)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def coord(vec: list[float], height: float = 1e-5, adjustment: float = 0.0, error: float = 0.2) -> dict[str, Any]:
    return {"Vec": vec, "Error": error, "Adjustment": adjustment, "Height": height}


@dataclass
class FakeConsul:
    nodes: list[dict[str, Any]] = field(default_factory=list)
    index: int = 42
    paths: list[str] = field(default_factory=list)
    source: Callable[[], list[dict[str, Any]]] | None = None

    def add(self, name: str, c: dict[str, Any], segment: str = "") -> None:
        self.nodes.append({"Node": name, "Segment": segment, "Coord": c})

    def start(self) -> FakeConsul:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.paths.append(self.path)
                if self.path.split("?")[0] != "/v1/coordinate/nodes":
                    self.send_response(404)
                    self.end_headers()
                    return
                body = json.dumps(fake.source() if fake.source is not None else fake.nodes).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Consul-Index", str(fake.index))
                self.send_header("X-Consul-Knownleader", "true")
                self.send_header("X-Consul-Lastcontact", "0")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
