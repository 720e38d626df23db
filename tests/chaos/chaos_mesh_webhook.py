"""Chaos Mesh's admission rules for the resources scaletui sends, written in Python from its Go source (chaos-mesh/
chaos-mesh at commit 608b61e, Apache-2.0): api/v1alpha1/common_webhook.go (Duration, PodSelector, FloatStr),
networkchaos_webhook.go (Rate, direction vs target), podchaos_webhook.go (container-kill needs containerNames),
stresschaos_webhook.go (stressors, Bytes), and Go's own time.ParseDuration / strconv.ParseUint / ParseFloat.

`denials(doc)` returns the messages the webhook would deny the request with ([] = admitted). Tests use it to show
that what scaletui sends passes, and the loopback K3S stand-in uses it to refuse what the real webhook would.
"""

from __future__ import annotations

import re
from typing import Any

INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1
FLOAT32_MAX = 3.4028234663852886e38
_UNIT_NS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_RATE_UNITS = ("kbit", "mbit", "gbit", "tbit", "tbps", "gbps", "mbps", "kbps", "bps", "bit")
_GO_FLOAT = re.compile(r"^[+-]?(inf|infinity|nan|(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?|0x[0-9a-f.]+p[+-]?\d+)$", re.I)
_HUMAN_SIZE = re.compile(r"^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")


def go_parse_duration(text: str) -> int:
    """Nanoseconds, as Go's time.ParseDuration reads `text`; ValueError where Go returns an error (overflow too)."""
    s = text
    sign = -1 if s.startswith("-") else 1
    s = s.lstrip("+-") if s[:1] in "+-" else s
    if s == "0":
        return 0
    if not s:
        raise ValueError(f'time: invalid duration "{text}"')
    total = 0
    pos = 0
    while pos < len(s):
        m = _DURATION_PART.match(s, pos)
        if m is None or m.group(1) in ("", "."):
            raise ValueError(f'time: invalid duration "{text}"')
        whole, _, frac = m.group(1).partition(".")
        unit = _UNIT_NS[m.group(2)]
        value = int(whole or "0") * unit + (int(frac) * unit // 10 ** len(frac) if frac else 0)
        total += value
        if total > INT64_MAX + (1 if sign < 0 else 0):
            raise ValueError(f'time: invalid duration "{text}"')
        pos = m.end()
    return sign * total


def _duration(value: Any, path: str) -> list[str]:
    if value is None or value == "":
        return []
    try:
        go_parse_duration(str(value))
    except ValueError as e:
        return [f"{path}: Invalid value: {value!r}: parse duration field error: {e}"]
    return []


def _float_str(value: Any, path: str) -> list[str]:
    text = str(value)
    if not _GO_FLOAT.match(text.replace("_", "")):
        return [f"{path}: Invalid value: {text!r}: parse correlation field error: invalid syntax"]
    number = float(text) if "x" not in text.lower() else float.fromhex(text)
    if abs(number) > FLOAT32_MAX and number == number and abs(number) != float("inf"):
        return [f"{path}: Invalid value: {text!r}: parse correlation field error: value out of range"]
    return []


def _rate(value: Any, path: str) -> list[str]:
    s = str(value).strip().lower()
    for unit in _RATE_UNITS:
        if s.endswith(unit):
            number = s.removesuffix(unit).strip()
            if number.isdigit() and number.isascii() and int(number) <= UINT64_MAX:
                return []
            return [f"{path}: Invalid value: {value!r}: parse rate field error:strconv.ParseUint: invalid syntax"]
    return [f"{path}: Invalid value: {value!r}: parse rate field error:invalid unit"]


def _go_atoi(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else None


def _selector(spec: dict[str, Any], path: str) -> list[str]:
    mode, value = spec.get("mode"), str(spec.get("value", ""))
    number = _go_atoi(value)
    if mode == "fixed":
        if number is None:
            return [f"{path}.value: Invalid value: {value!r}: parse value field error"]
        if number <= 0:
            return [f"{path}.value: Invalid value: {value!r}: value must be greater than 0 with mode:fixed"]
    if mode in ("fixed-percent", "random-max-percent"):
        if number is None:
            return [f"{path}.value: Invalid value: {value!r}: parse value field error"]
        if not 0 < number <= 100:
            return [f"{path}.value: Invalid value: {value!r}: value of {number} is invalid, Must be (0,100]"]
    return []


def _bytes(value: Any, path: str) -> list[str]:
    size = str(value)
    if not size:
        return []
    if size.endswith("%"):
        number = _go_atoi(size[:-1])
        if number is None or not 0 <= number <= 100:
            return [f"{path}: Invalid value: {size!r}: incorrect bytes format"]
        return []
    return [] if _HUMAN_SIZE.match(size) else [f"{path}: Invalid value: {size!r}: incorrect bytes format"]


def denials(doc: dict[str, Any]) -> list[str]:
    """The webhook's reasons to deny `doc` (a NetworkChaos, PodChaos or StressChaos), in field order."""
    kind, spec = doc.get("kind"), doc.get("spec", {})
    found = _duration(spec.get("duration"), "spec.duration") + _selector(spec, "spec")
    if kind == "NetworkChaos":
        delay, loss, bandwidth = spec.get("delay"), spec.get("loss"), spec.get("bandwidth")
        if delay:
            found += _duration(delay.get("latency"), "spec.delay.latency")
            found += _duration(delay.get("jitter"), "spec.delay.jitter")
            found += _float_str(delay.get("correlation", "0"), "spec.delay.correlation")
        if loss:
            found += _float_str(loss.get("loss"), "spec.loss.loss")
            found += _float_str(loss.get("correlation", "0"), "spec.loss.correlation")
        if bandwidth:
            found += _rate(bandwidth.get("rate", ""), "spec.bandwidth.rate")
        if spec.get("target"):
            found += _selector(spec["target"], "spec.target")
        direction = spec.get("direction", "to")
        if spec.get("action") != "partition" and direction in ("from", "both") and not spec.get("target"):
            found.append("spec.direction: `from` and `both` direction cannot be used when targets is empty")
    elif kind == "PodChaos":
        if spec.get("action") == "container-kill" and not spec.get("containerNames"):
            found.append("spec.containerNames: the name of container is required on container-kill action")
    elif kind == "StressChaos":
        stressors = spec.get("stressors")
        if not stressors and not spec.get("stressngStressors"):
            found.append("spec: missing stressors")
        elif stressors is not None and not stressors.get("memory") and not stressors.get("cpu"):
            found.append("spec.stressors: missing stressors")
        elif stressors and stressors.get("memory"):
            found += _bytes(stressors["memory"].get("size", ""), "spec.stressors.memory.size")
    return found
