"""EnosLib, python-grid5000, OAR and SSH failures as one readable sentence.

EnosLib raises Ansible results (whose repr is a page of Python), exceptions with no text whose reason is on their
`__cause__` (a reservation refused as too old), or the Grid5000 API's "code: message". The user gets one sentence
naming the nodes and the first line of the reason; the whole of it goes to the session log (`detail`).
Nothing here imports EnosLib: the errors are read by their class names and attributes.
"""

from __future__ import annotations

import traceback

MAX_REASON = 200
SHOWN_HOSTS = 3
TESTBED_CLIENTS = frozenset(
    {"grid5000", "requests", "urllib3", "http", "keystoneauth1", "blazarclient", "novaclient", "iotlabcli"}
)
"""Packages whose errors mean a testbed's API answered badly or could not be reached (not a failure here)."""


def first_line(text: object) -> str:
    """The first non-empty line, trimmed to MAX_REASON characters, without a trailing period."""
    for line in str(text or "").replace("\r", "\n").splitlines():
        line = line.strip()
        if line:
            return (line if len(line) <= MAX_REASON else line[: MAX_REASON - 3] + "...").rstrip(".")
    return ""


def _hosts(results: object) -> list[str]:
    hosts = [str(getattr(r, "host", r)) for r in (results if isinstance(results, list | tuple) else [])]
    return sorted(set(hosts))


def _named(hosts: list[str]) -> str:
    shown = ", ".join(hosts[:SHOWN_HOSTS])
    return shown + (f" and {len(hosts) - SHOWN_HOSTS} more" if len(hosts) > SHOWN_HOSTS else "")


def _payload_reason(results: object) -> str:
    for r in results if isinstance(results, list | tuple) else []:
        payload = getattr(r, "payload", None) or {}
        for key in ("msg", "stderr", "stdout"):
            reason = first_line(payload.get(key)) if isinstance(payload, dict) else ""
            if reason:
                return reason
    return ""


def reason(error: BaseException) -> str:
    """Why, in a few words: the error's own text, else its `msg`, else its cause's (the Grid5000 API's message)."""
    kind = type(error).__name__
    if kind == "EnosUnreachableHostsError":
        hosts = _hosts(getattr(error, "hosts", []))
        why = _payload_reason(getattr(error, "hosts", []))
        return f"SSH to {_named(hosts) or 'the nodes'} failed" + (f" ({why})" if why else "")
    if kind == "EnosFailedHostsError":
        results = getattr(error, "hosts", [])
        task = next((str(getattr(r, "task", "")) for r in results if getattr(r, "task", "")), "a setup task")
        why = _payload_reason(results)
        return f"{task} failed on {_named(_hosts(results)) or 'the nodes'}" + (f" ({why})" if why else "")
    own = first_line(getattr(error, "error_message", "") or str(error)) or first_line(getattr(error, "msg", ""))
    cause = error.__cause__ or error.__context__
    because = reason(cause) if cause is not None and cause is not error else ""
    if own and because and because not in own:
        return f"{own} ({because})"
    return own or because or kind


def detail(error: BaseException) -> str:
    """Everything, for the session log: the traceback of the error and of its causes."""
    return "".join(traceback.format_exception(error))


def from_testbed(error: BaseException) -> bool:
    """Whether the error (or one it came from) is the testbed's API refusing or not answering, rather than a
    failure on this machine before anything reached the testbed."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ConnectionError | TimeoutError) or type(seen).__module__.split(".")[0] in TESTBED_CLIENTS:
            return True
        seen = seen.__cause__ or seen.__context__
    return False
