"""An HTTP-level fake of the Grid5000 REST API (the parts EnosLib 10.9 and python-grid5000 1.2 call), on 127.0.0.1.

Endpoints served under `/stable` (JSON unless noted), in the order EnosLib calls them:

| method | path | used for |
|---|---|---|
| GET | /sites | cluster -> site lookup at `finalize()`; job reload by name on every site |
| GET | /sites/{site} | network facts: `kavlans`, `g5ksubnet`, `ipv6.site_index` |
| GET | /sites/{site}/clusters, /sites/{site}/clusters/{cluster} | cluster -> site, `exotic` |
| GET | /sites/{site}/clusters/{cluster}/nodes/{uid} | `network_adapters` of each assigned node |
| GET | /sites/{site}/servers/dns | DNS address of the production network |
| GET | /sites/{site}/jobs?name=&state=&user= | reload a job by name (`{total, offset, items, links}`) |
| POST | /sites/{site}/jobs | submit `{name, types, resources, command, queue, reservation?, project?}` -> 201 + job |
| GET | /sites/{site}/jobs/{id} | job: `state`, `scheduled_at`, `started_at`, `walltime`, `assigned_nodes`, ... |
| DELETE | /sites/{site}/jobs/{id} | -> 202, empty body; the job then ends in state `error` (an `oardel`-ed job) |
| POST | /sites/{site}/jobs/{id}/walltime | `{"walltime": "+HH:MM"}` -> 202 (walltime change) |

Where the shapes come from: sites, clusters, nodes and the DNS server are trimmed copies of the Grid5000 reference
repository fixtures in github.com/grid5000/g5k-api (commit a00628f, `spec/fixtures/reference-repository/`,
Apache-2.0), kept in `g5k_reference.json`; `ipv6.site_index` is added to the site as the live API serves it
(EnosLib reads it, the older fixture predates it). Job bodies follow `app/models/grid5000/job.rb` (the API's job
model and its Swagger doc) and the list wrapper `{total, offset, items}` of `app/controllers/jobs_controller.rb`;
the walltime change body follows `app/models/grid5000/job_walltime.rb`.

A job waits `polls_until_running` GETs of itself before running; `hold = True` keeps new jobs waiting forever
(to test cancel). A submission whose `reservation` date (Europe/Paris) has passed is refused with 400 and OAR's
"Reservation too old" (the words EnosLib looks for; the rest of that reply's wording is this fake's own). Every
request is recorded in `requests` for assertions.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

REFERENCE = json.loads((Path(__file__).with_name("g5k_reference.json")).read_text())
SITE_INDEX = {"rennes": 4, "grenoble": 1, "lille": 2, "lyon": 3, "nancy": 5, "nantes": 6}


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    user: str


@dataclass
class FakeGrid5000:
    """The fake's state; `start()` serves it on 127.0.0.1 at `self.uri`."""

    username: str = "alice"
    password: str = "not-a-real-password"
    polls_until_running: int = 1
    hold: bool = False
    walltime_gate: threading.Event | None = None
    """When set, a walltime change waits for it (after `walltime_asked`): an extension still under way at the API."""
    walltime_asked: threading.Event = field(default_factory=threading.Event)
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    _next_id: int = 1900000
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def uri(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/stable"

    def start(self) -> FakeGrid5000:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: Any = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                auth = self.headers.get("Authorization", "")
                user = base64.b64decode(auth[6:]).decode().split(":")[0] if auth.startswith("Basic ") else ""
                if method == "POST" and url.path.endswith("/walltime") and fake.walltime_gate is not None:
                    fake.walltime_asked.set()
                    fake.walltime_gate.wait(120)
                with fake._lock:
                    fake.requests.append(Recorded(method, url.path, parse_qs(url.query), body, user))
                    status, reply = fake.route(method, url.path, parse_qs(url.query), body)
                self._reply(status, reply)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def yaml_config(self) -> str:
        """The ~/.python-grid5000.yaml that points python-grid5000 (and so EnosLib) at this fake."""
        return f"uri: {self.uri}\nusername: {self.username}\npassword: {self.password}\nverify_ssl: false\n"

    # --- routing ---------------------------------------------------------------------------------------------------

    def route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] != "stable":
            return 404, {"code": 404, "message": f"no route {path}"}
        parts = parts[1:]
        if parts == ["sites"] and method == "GET":
            return 200, self._list([self._site(s) for s in REFERENCE["sites"]])
        if len(parts) < 2 or parts[0] != "sites" or parts[1] not in REFERENCE["sites"]:
            return 404, {"code": 404, "message": f"no route {path}"}
        site = parts[1]
        rest = parts[2:]
        if not rest and method == "GET":
            return 200, self._site(site)
        if rest == ["clusters"] and method == "GET":
            return 200, self._list(list(REFERENCE["clusters"][site].values()))
        if len(rest) == 2 and rest[0] == "clusters" and method == "GET":
            cluster = REFERENCE["clusters"][site].get(rest[1])
            return (200, cluster) if cluster else (404, {"code": 404, "message": "unknown cluster"})
        if len(rest) == 4 and rest[0] == "clusters" and rest[2] == "nodes" and method == "GET":
            node = REFERENCE["nodes"].get(rest[3])
            return (200, node) if node else (404, {"code": 404, "message": "unknown node"})
        if len(rest) == 2 and rest[0] == "servers" and method == "GET":
            server = REFERENCE["servers"][site].get(rest[1])
            return (200, server) if server else (404, {"code": 404, "message": "unknown server"})
        if rest and rest[0] == "jobs":
            return self._jobs(method, site, rest[1:], query, body)
        return 404, {"code": 404, "message": f"no route {path}"}

    def _site(self, site: str) -> dict[str, Any]:
        data = dict(REFERENCE["sites"][site])
        data["ipv6"] = {"site_index": SITE_INDEX.get(site, 9), "prefix": "2001:660:4406::/48"}
        return data

    @staticmethod
    def _list(items: list[Any]) -> dict[str, Any]:
        return {"total": len(items), "offset": 0, "items": items, "links": []}

    def _jobs(self, method: str, site: str, rest: list[str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        if not rest and method == "GET":
            states = set(query.get("state", [""])[0].split(",")) - {""}
            name = query.get("name", [None])[0]
            user = query.get("user", [None])[0]
            items = [
                j
                for j in self.jobs.values()
                if j["site"] == site
                and (not states or j["state"] in states)
                and (name is None or j["name"] == name)
                and (user is None or j["user"] == user)
            ]
            return 200, self._list([self._public(j) for j in items])
        if not rest and method == "POST":
            return self._submit(site, body)
        job = self.jobs.get(int(rest[0])) if rest and rest[0].isdigit() else None
        if job is None or job["site"] != site:
            return 404, {"code": 404, "message": "unknown job"}
        if len(rest) == 1 and method == "GET":
            self._advance(job)
            return 200, self._public(job)
        if len(rest) == 1 and method == "DELETE":
            if job["state"] in ("error", "terminated"):
                return 400, {"code": 400, "message": "This job was already killed"}
            job["state"] = "error"
            job["message"] = "Job killed"
            return 202, None
        if rest[1:] == ["walltime"] and method == "POST":
            change = str((body or {}).get("walltime", ""))
            match = re.fullmatch(r"\+(\d+):(\d\d)(?::(\d\d))?", change)
            if not match:
                return 400, {"code": 400, "message": "The job walltime change you are trying to submit is not valid"}
            job["walltime"] += int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3] or 0)
            return 202, {"uid": job["uid"], "walltime": change, "status": "accepted"}
        return 404, {"code": 404, "message": "no such job route"}

    def _submit(self, site: str, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or "resources" not in body or "command" not in body:
            return 400, {"code": 400, "message": "you must give a :command to execute on launch"}
        if body.get("reservation") and _paris_epoch(str(body["reservation"])) < time.time():
            return 400, {"code": 400, "title": "Bad Request",
                         "message": f"Reservation too old: {body['reservation']} has passed"}  # fmt: skip
        walltime = re.search(r"walltime=(\d+):(\d\d)(?::(\d\d))?", body["resources"])
        nodes: list[str] = []
        for cluster, count in re.findall(r"cluster='(\w[\w-]*)'\}/nodes=(\d+)", body["resources"]):
            busy = {
                a.split(".")[0]
                for j in self.jobs.values()
                if j["state"] in ("waiting", "running")
                for a in j["assigned_nodes"]
            } | {a.split(".")[0] for a in nodes}
            free = sorted(n for n in REFERENCE["nodes"] if n.split("-")[0] == cluster and n not in busy)
            if len(free) < int(count):
                return 400, {"code": 400, "message": f"There are not enough resources on {cluster}"}
            nodes += [f"{n}.{site}.grid5000.fr" for n in free[: int(count)]]
        self._next_id += 1
        now = int(time.time())
        job = {
            "uid": self._next_id,
            "user_uid": self.username,
            "user": self.username,
            "name": body.get("name", ""),
            "project": body.get("project", "default"),
            "queue": body.get("queue", "default"),
            "types": body.get("types", []),
            "mode": "PASSIVE",
            "command": body["command"],
            "state": "waiting",
            "submitted_at": now,
            "scheduled_at": now + 30,
            "started_at": 0,
            "walltime": int(walltime[1]) * 3600 + int(walltime[2]) * 60 + int(walltime[3] or 0) if walltime else 3600,
            "resources": body["resources"],
            "reservation": body.get("reservation"),
            "directory": f"/home/{self.username}",
            "events": [],
            "message": "",
            "properties": "",
            "site": site,
            "assigned_nodes": nodes,
            "resources_by_type": {"cores": [], "vlans": [], "subnets": []},
            "_polls": 0,
        }
        self.jobs[job["uid"]] = job
        return 201, self._public(job)

    def _advance(self, job: dict[str, Any]) -> None:
        if job["state"] != "waiting" or self.hold:
            return
        job["_polls"] += 1
        if job["_polls"] >= self.polls_until_running:
            job["state"] = "running"
            job["started_at"] = int(time.time())

    def _public(self, job: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in job.items() if not k.startswith("_") and v is not None}
        base = f"/stable/sites/{job['site']}/jobs/{job['uid']}"
        out["links"] = [
            {"rel": "self", "href": base, "type": "application/vnd.grid5000.item+json"},
            {"rel": "parent", "href": f"/stable/sites/{job['site']}", "type": "application/vnd.grid5000.item+json"},
        ]
        return out


def _paris_epoch(text: str) -> float:
    """ "2020-01-01 19:00:00" in Europe/Paris (how OAR reads a reservation date), or a Unix time as text."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    if text.strip().isdigit():
        return float(text)
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo("Europe/Paris")).timestamp()
