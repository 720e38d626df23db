"""Pod logs, recent events and a `kubectl describe`-like text, for the Pods pane's `l` and `d` keys."""

from __future__ import annotations

import time
from typing import Any

from scaletui.cluster.kubernetes.pods import PodEvent, _ts, pod_view


def recent_events(core: Any, namespace: str, pod: str, limit: int = 10) -> list[PodEvent]:
    """The pod's latest events, newest last."""
    reply = core.list_namespaced_event(namespace, field_selector=f"involvedObject.name={pod}", _request_timeout=10)
    events = [
        PodEvent(
            ts=_ts(e.last_timestamp or e.event_time or e.first_timestamp),
            type=e.type or "",
            reason=e.reason or "",
            message=(e.message or "").strip(),
            count=e.count or 1,
        )
        for e in reply.items
    ]
    return sorted(events, key=lambda e: e.ts or 0.0)[-limit:]


def logs(core: Any, namespace: str, pod: str, tail: int = 200, container: str | None = None) -> str:
    kwargs: dict[str, Any] = {"tail_lines": tail, "_request_timeout": 15}
    if container:
        kwargs["container"] = container
    return str(core.read_namespaced_pod_log(pod, namespace, **kwargs))


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def describe(core: Any, namespace: str, pod: str) -> str:
    """Name, placement, status, containers, conditions and events, laid out like `kubectl describe pod`."""
    raw = core.read_namespaced_pod(pod, namespace, _request_timeout=10)
    view = pod_view(raw)
    lines = [
        f"Name:         {view.name}",
        f"Namespace:    {view.namespace}",
        f"Node:         {view.node or '<none>'}/{raw.status.host_ip or ''}",
        f"Start Time:   {_when(view.started_at)}",
        "Labels:       " + ("\n              ".join(f"{k}={v}" for k, v in sorted(view.labels.items())) or "<none>"),
        f"Status:       {view.phase}{' (terminating)' if view.terminating else ''}",
        f"IP:           {view.ip or '<none>'}",
        "Containers:",
    ]
    specs = {c.name: c for c in raw.spec.containers}
    for cs in raw.status.container_statuses or []:
        state = next((k for k in ("running", "waiting", "terminated") if getattr(cs.state, k, None)), "unknown")
        detail = getattr(cs.state, state, None)
        reason = f" ({detail.reason})" if detail is not None and getattr(detail, "reason", None) else ""
        lines += [
            f"  {cs.name}:",
            f"    Image:          {specs[cs.name].image if cs.name in specs else cs.image}",
            f"    State:          {state.capitalize()}{reason}",
            f"    Ready:          {cs.ready}",
            f"    Restart Count:  {cs.restart_count}",
        ]
    lines.append("Conditions:")
    lines += [f"  {c.type:<16}{c.status}" for c in raw.status.conditions or []]
    lines.append("Events:")
    events = recent_events(core, namespace, pod)
    lines += [f"  {e.type:<8}{e.reason:<16}{_when(e.ts)}  {e.message}" for e in events] or ["  <none>"]
    return "\n".join(lines)
