"""Submit the workload job through the REST API and wait until every vertex runs, or say why it did not.

A job whose `main` throws is refused by `/jars/<id>/run` (Flink's reply carries the exception); a job that starts
and then fails shows FAILED with a root exception. Both become a JobError with the first meaningful line.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from scaletui.config.models import JobSpec
from scaletui.errors import Cancelled, JobError, PlatformError
from scaletui.flink.rest import FlinkRestClient, FlinkRestError

JOB_NAME = "scaletui-workload"
OPERATORS = ("source", "parse", "expensive", "window", "sink")
TERMINAL = ("FAILED", "CANCELED", "FINISHED")


def workload_args(spec: JobSpec, rate_file: Path, rate: float, parallelism: dict[str, int] | None = None) -> list[str]:
    """Program arguments of WorkloadJob for this spec; `parallelism` overrides the spec's per operator."""
    chosen = {**spec.parallelism, **(parallelism or {})}
    unknown = sorted(set(chosen) - set(OPERATORS))
    if unknown:
        raise JobError(
            f"The workload job has no operator named {', '.join(unknown)}.", f"Use one of: {', '.join(OPERATORS)}."
        )
    args = [
        "--rate-file", str(rate_file),
        "--rate", f"{rate:g}",
        "--cost-ms", f"{spec.cost_ms:g}",
        "--wait-ms", f"{spec.wait_ms:g}",
        "--window-ms", str(int(spec.window_s * 1000)),
        "--keys", str(spec.keys),
        "--max-parallelism", str(spec.max_parallelism),
        "--name", JOB_NAME,
    ]  # fmt: skip
    for name, value in sorted(chosen.items()):
        args += [f"--parallelism.{name}", str(value)]
    return args


def run_and_wait(
    rest: FlinkRestClient,
    jar_id: str,
    args: list[str],
    timeout_s: float = 120.0,
    savepoint_path: str | None = None,
    cancel: threading.Event | None = None,
) -> str:
    """Run the jar; return the job id once all its vertices are RUNNING. Raises JobError if it fails to start."""
    try:
        job_id = rest.run_jar(jar_id, args, savepoint_path=savepoint_path, allow_non_restored_state=True)
    except FlinkRestError as e:
        raise JobError(f"The workload job failed at start: {_cause(e.errors)}", "Check the job's parameters.") from None
    wait_running(rest, job_id, timeout_s, cancel)
    return job_id


def wait_running(
    rest: FlinkRestClient,
    job_id: str,
    timeout_s: float = 120.0,
    cancel: threading.Event | None = None,
    parallelism: dict[str, int] | None = None,
) -> float:
    """Wait until the job and all its vertices run (with `parallelism` by vertex id if given); the time it did."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cancel is not None and cancel.is_set():
            raise Cancelled("Cancelled while waiting for the job to run.")
        detail = rest.job(job_id)
        state = detail["state"]
        if state in TERMINAL:
            raise JobError(f"The workload job ended as {state}: {root_cause(rest, job_id)}", "See the JobManager log.")
        vertices = detail["vertices"]
        running = state == "RUNNING" and all(v["status"] == "RUNNING" for v in vertices)
        scaled = not parallelism or all(
            parallelism.get(v["id"], v["parallelism"]) == v["parallelism"] for v in vertices
        )
        if running and scaled:
            return time.monotonic()
        time.sleep(0.1)
    raise JobError(f"The workload job {job_id} did not reach RUNNING within {timeout_s:.0f} s.", "Are slots free?")


def attempts(rest: FlinkRestClient, job_id: str) -> tuple[object, ...] | None:
    """What changes whenever the job's tasks restart: vertex start times and the last RESTARTING time.

    None while a rescale is still pending (a vertex below its requested upper bound), since the adaptive scheduler
    may restart the job to use new slots a moment later."""
    detail = rest.job(job_id)
    requirements = rest.resource_requirements(job_id)
    for vertex in detail["vertices"]:
        wanted = requirements.get(vertex["id"], {}).get("parallelism", {}).get("upperBound")
        if wanted is not None and int(wanted) > int(vertex["parallelism"]):
            return None
    starts = tuple((v["id"], v.get("start-time")) for v in detail["vertices"])
    return (detail.get("timestamps", {}).get("RESTARTING"), starts)


def root_cause(rest: FlinkRestClient, job_id: str) -> str:
    try:
        history = rest.job_exceptions(job_id)
    except PlatformError:
        return "no exception recorded"
    entries = history.get("exceptionHistory", {}).get("entries", [])
    text = entries[0].get("stacktrace", "") if entries else history.get("root-exception", "")
    return _cause([text]) if text else "no exception recorded"


def _cause(errors: list[str]) -> str:
    """The most specific 'SomeException: message' line of Flink's error text."""
    lines = [line.strip() for text in errors for line in str(text).splitlines() if line.strip()]
    causes = [line for line in lines if "Exception:" in line or "Error:" in line]
    best = causes[-1] if causes else (lines[0] if lines else "unknown error")
    if best.startswith("Caused by: "):
        best = best[len("Caused by: ") :]
    return best[:300]
