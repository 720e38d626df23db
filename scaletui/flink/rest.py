"""A thin typed-enough client of Flink's REST API (the calls the local platform and the metrics collector need).

Replies are returned as Flink sends them (dicts), except where a call has one obvious result (an id, a list).
Connection failures become PlatformError, Flink's own error replies FlinkRestError with Flink's message.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from scaletui.errors import PlatformError


class FlinkRestError(PlatformError):
    """Flink answered with an error status; `status` is the HTTP code, `errors` Flink's messages."""

    def __init__(self, message: str, status: int, errors: list[str], hint: str = "") -> None:
        super().__init__(message, hint)
        self.status = status
        self.errors = errors


class FlinkRestClient:
    def __init__(self, base_url: str, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FlinkRestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing -------------------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            reply = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as e:
            raise PlatformError(
                f"Flink's REST API at {self.base_url} did not answer {method} {path} ({type(e).__name__}).",
                "Check that the cluster runs (start it, or look at the JobManager log).",
            ) from None
        if reply.status_code >= 400:
            errors = _errors(reply)
            first = errors[0].strip().splitlines()[0] if errors and errors[0].strip() else reply.reason_phrase
            raise FlinkRestError(f"Flink refused {method} {path}: {first}", reply.status_code, errors)
        if not reply.content:
            return None
        return reply.json()

    def get(self, path: str, **params: Any) -> Any:
        return self._call("GET", path, params=params or None)

    def answers(self) -> bool:
        """True if the REST endpoint replies to /overview right now."""
        try:
            self._http.get("/overview", timeout=2.0).raise_for_status()
        except httpx.HTTPError:
            return False
        return True

    # --- cluster --------------------------------------------------------------------------------------------------

    def overview(self) -> dict[str, Any]:
        return dict(self.get("/overview"))

    def config(self) -> dict[str, Any]:
        return dict(self.get("/config"))

    def taskmanagers(self) -> list[dict[str, Any]]:
        return list(self.get("/taskmanagers")["taskmanagers"])

    def taskmanager(self, tm_id: str) -> dict[str, Any]:
        return dict(self.get(f"/taskmanagers/{tm_id}"))

    def taskmanager_metrics(self, tm_id: str, names: Iterable[str]) -> dict[str, float]:
        reply = self.get(f"/taskmanagers/{tm_id}/metrics", get=",".join(names))
        return {m["id"]: float(m["value"]) for m in reply if _is_number(m.get("value"))}

    def jobmanager_metrics(self, names: Iterable[str]) -> dict[str, float]:
        reply = self.get("/jobmanager/metrics", get=",".join(names))
        return {m["id"]: float(m["value"]) for m in reply if _is_number(m.get("value"))}

    # --- jobs -----------------------------------------------------------------------------------------------------

    def jobs(self) -> list[dict[str, Any]]:
        """id, name, state, start-time... of every job the JobManager knows."""
        return list(self.get("/jobs/overview")["jobs"])

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(self.get(f"/jobs/{job_id}"))

    def job_exceptions(self, job_id: str) -> dict[str, Any]:
        return dict(self.get(f"/jobs/{job_id}/exceptions"))

    def vertices(self, job_id: str) -> list[dict[str, Any]]:
        return list(self.job(job_id)["vertices"])

    def job_plan(self, job_id: str) -> dict[str, Any]:
        return dict(self.get(f"/jobs/{job_id}/plan")["plan"])

    def cancel(self, job_id: str) -> None:
        self._call("PATCH", f"/jobs/{job_id}", params={"mode": "cancel"})

    # --- jars -----------------------------------------------------------------------------------------------------

    def upload_jar(self, jar: Path) -> str:
        """Upload a job jar; returns the jar id used by `run_jar`."""
        with jar.open("rb") as f:
            reply = self._call(
                "POST", "/jars/upload", files={"jarfile": (jar.name, f, "application/x-java-archive")}, timeout=120.0
            )
        return str(reply["filename"]).rsplit("/", 1)[-1]

    def jars(self) -> list[dict[str, Any]]:
        return list(self.get("/jars")["files"])

    def delete_jar(self, jar_id: str) -> None:
        self._call("DELETE", f"/jars/{jar_id}")

    def run_jar(
        self,
        jar_id: str,
        args: list[str],
        entry_class: str | None = None,
        parallelism: int | None = None,
        savepoint_path: str | None = None,
        allow_non_restored_state: bool = False,
    ) -> str:
        """Run an uploaded jar with `programArgsList` (Flink silently ignores a `programArgs` string); the job id."""
        body: dict[str, Any] = {"programArgsList": args}
        if entry_class:
            body["entryClass"] = entry_class
        if parallelism:
            body["parallelism"] = parallelism
        if savepoint_path:
            body["savepointPath"] = savepoint_path
            body["allowNonRestoredState"] = allow_non_restored_state
        reply = self._call("POST", f"/jars/{jar_id}/run", json=body, timeout=120.0)
        return str(reply["jobid"])

    # --- rescaling ------------------------------------------------------------------------------------------------

    def resource_requirements(self, job_id: str) -> dict[str, dict[str, Any]]:
        """{vertex id: {"parallelism": {"lowerBound": n, "upperBound": m}}} (adaptive scheduler only)."""
        return dict(self.get(f"/jobs/{job_id}/resource-requirements"))

    def set_resource_requirements(self, job_id: str, requirements: dict[str, dict[str, Any]]) -> None:
        """PUT the whole map back; Flink refuses a map that misses a vertex."""
        self._call("PUT", f"/jobs/{job_id}/resource-requirements", json=requirements)

    # --- savepoints -----------------------------------------------------------------------------------------------

    def trigger_savepoint(self, job_id: str, directory: str | None = None, cancel_job: bool = False) -> str:
        body: dict[str, Any] = {"cancel-job": cancel_job}
        if directory:
            body["target-directory"] = directory
        return str(self._call("POST", f"/jobs/{job_id}/savepoints", json=body)["request-id"])

    def stop_with_savepoint(self, job_id: str, directory: str | None = None) -> str:
        body: dict[str, Any] = {"drain": False}
        if directory:
            body["targetDirectory"] = directory
        return str(self._call("POST", f"/jobs/{job_id}/stop", json=body)["request-id"])

    def savepoint_status(self, job_id: str, request_id: str) -> dict[str, Any]:
        """{"status": {"id": "IN_PROGRESS"|"COMPLETED"}, "operation": {"location": ...} or {"failure-cause": ...}}."""
        return dict(self.get(f"/jobs/{job_id}/savepoints/{request_id}"))

    # --- metrics --------------------------------------------------------------------------------------------------

    def subtask_metrics(
        self, job_id: str, vertex_id: str, names: Iterable[str], agg: str = "sum,max,avg"
    ) -> dict[str, dict[str, float]]:
        """Aggregated over subtasks: {metric: {"sum": .., "max": .., "avg": ..}}; absent metrics are left out."""
        reply = self.get(f"/jobs/{job_id}/vertices/{vertex_id}/subtasks/metrics", get=",".join(names), agg=agg)
        out: dict[str, dict[str, float]] = {}
        for metric in reply or []:
            values = {k: float(v) for k, v in metric.items() if k != "id" and _is_number(v)}
            if values:
                out[str(metric["id"])] = values
        return out


def _is_number(value: Any) -> bool:
    """Flink reports an unmeasured gauge as "NaN" (busyTimeMsPerSecond before the first tick): that is missing, not a
    number, so it must not reach a plot or a strategy."""
    if isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _errors(reply: httpx.Response) -> list[str]:
    try:
        data = reply.json()
    except ValueError:
        return [reply.text[:500]]
    errors = data.get("errors") if isinstance(data, dict) else None
    return [str(e) for e in errors] if isinstance(errors, list) else [str(data)[:500]]
