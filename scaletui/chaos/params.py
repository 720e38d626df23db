"""The faults scaletui knows and their parameters, validated once at the edge for every backend.

A bad parameter (from the Chaos pane or an experiment's [[faults]] table) becomes one ConfigError sentence, before
anything is recorded or created. Values are kept in forms every backend can express exactly: bandwidth rates in
whole units (Chaos Mesh reads the number as an unsigned integer), delays of at least a microsecond (netem's
resolution), memory sizes as Chaos Mesh and stress-ng both read them.

Every kind also takes a pod selection, as Chaos Mesh selects among the targets: `mode` all (default), one, fixed
(`value` targets), fixed-percent (`value` percent, rounded up: Scalehub's affected_nodes_percentage) or
random-max-percent (a random share up to `value` percent).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from scaletui.chaos.kinds import KINDS
from scaletui.errors import ConfigError

SelectionMode = Literal["all", "one", "fixed", "fixed-percent", "random-max-percent"]
PERCENT_MODES = ("fixed-percent", "random-max-percent")

_RATE = re.compile(r"^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit|tbit|bps|kbps|mbps|gbps|tbps)$")
_BIT_UNITS = ("tbit", "gbit", "mbit", "kbit", "bit")
_BYTE_UNITS = ("tbps", "gbps", "mbps", "kbps", "bps")
_SIZE = re.compile(r"^(\d+)(%|B|KB|MB|GB)$")
_SIZE_BYTES = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9}
INT32_MAX = 2**31 - 1


def plain(value: float) -> str:
    """A number as plain decimal text ("0.00001", "100"), never in exponent form: Chaos Mesh's patterns and Go's
    parsers are not all written for "1e-05"."""
    return format(Decimal(repr(float(value))).normalize(), "f")


def whole_rate(rate: str) -> str:
    """The same rate in the largest unit of its family (bits or bytes per second) where its number is whole:
    "1.5mbit" -> "1500kbit". Raises ValueError when not even the base unit gives a whole number."""
    m = _RATE.match(rate)
    if m is None:
        raise ValueError('a tc rate like "1mbit", "500kbit" or "10mbps"')
    units = _BIT_UNITS if m.group(2) in _BIT_UNITS else _BYTE_UNITS
    scale = 1000 ** (len(units) - 1 - units.index(m.group(2)))
    base = Decimal(m.group(1)) * scale
    if base != base.to_integral_value():
        raise ValueError(f"{rate} is not a whole number of {units[-1]}, so Chaos Mesh cannot express it")
    count = int(base)
    if count == 0:
        raise ValueError("a rate above 0")
    for n, unit in enumerate(units):
        step = 1000 ** (len(units) - 1 - n)
        if count % step == 0:
            return f"{count // step}{unit}"
    raise AssertionError("the base unit always divides")


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: SelectionMode = "all"
    """Which of the resolved targets the fault hits (see the module docstring)."""
    value: int | None = None
    """A count for mode fixed, a percent (1-100) for the percent modes; absent otherwise."""

    @model_validator(mode="after")
    def _selection(self) -> _Params:
        if self.mode in ("all", "one") and self.value is not None:
            raise ValueError(f"value applies to modes fixed and {' and '.join(PERCENT_MODES)}, not {self.mode}")
        if self.mode == "fixed" and (self.value is None or self.value < 1):
            raise ValueError("mode fixed needs value, a count of at least 1")
        if self.mode in PERCENT_MODES and (self.value is None or not 1 <= self.value <= 100):
            raise ValueError(f"mode {self.mode} needs value, a percent from 1 to 100")
        return self


class DelayParams(_Params):
    latency_ms: float = Field(ge=0.001, le=60_000)
    """Added one-way delay on the target's egress; at least a microsecond (netem's resolution)."""
    jitter_ms: float = Field(0.0, ge=0, le=60_000)
    correlation: float = Field(0.0, ge=0, le=100)
    """Percent; used by netem and Chaos Mesh, ignored by the user-space queue."""

    @field_validator("jitter_ms")
    @classmethod
    def _jitter(cls, value: float) -> float:
        if 0 < value < 0.001:
            raise ValueError("0, or at least a microsecond (0.001 ms)")
        return value


class LossParams(_Params):
    percent: float = Field(gt=0, le=100)
    correlation: float = Field(0.0, ge=0, le=100)


class BandwidthParams(_Params):
    rate: str
    """tc rate units: "1mbit", "500kbit", "10mbps" (bytes per second); kept in whole units ("1.5mbit" is stored as
    "1500kbit")."""
    limit: int = Field(200_000, ge=1, le=INT32_MAX)
    """Bytes that may queue waiting for tokens."""
    buffer: int = Field(65_536, ge=1, le=INT32_MAX)
    """Bucket size in bytes (at least the device MTU: 65536 on loopback)."""

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        return whole_rate(value.strip().lower())

    @property
    def bits_per_s(self) -> int:
        m = _RATE.match(self.rate)
        assert m is not None
        unit = m.group(2)
        units = _BIT_UNITS if unit in _BIT_UNITS else _BYTE_UNITS
        per = 1000 ** (len(units) - 1 - units.index(unit)) * (1 if units is _BIT_UNITS else 8)
        return int(m.group(1)) * per


class PartitionParams(_Params):
    peers: tuple[str, ...] = Field(min_length=1)
    """The other side: instance names, "role:<role>" or "pid:<n>"; traffic between targets and peers is cut."""
    direction: Literal["to", "from", "both"] = "both"
    """to: targets cannot reach peers; from: peers cannot reach targets; both."""


class KillParams(_Params):
    container: str = ""
    """On Kubernetes: kill only this container of the pod (container-kill) instead of the whole pod."""


class PauseParams(_Params):
    pass


class StressParams(_Params):
    workers: int = Field(1, ge=1, le=64)
    load: int = Field(100, ge=1, le=100)
    """Percent of each worker's CPU."""


class MemoryStressParams(_Params):
    workers: int = Field(1, ge=1, le=64)
    size: str = "256MB"
    """Memory each worker holds: "N%" of the available memory, or N B, KB, MB or GB (powers of 1000)."""

    @field_validator("size")
    @classmethod
    def _size(cls, value: str) -> str:
        m = _SIZE.match(value.strip())
        if m is None:
            raise ValueError('a size like "256MB", "1GB" or "25%"')
        if m.group(2) == "%" and not 1 <= int(m.group(1)) <= 100:
            raise ValueError("a percent from 1 to 100")
        if int(m.group(1)) == 0:
            raise ValueError("a size above 0")
        return value.strip()

    @property
    def stress_ng_bytes(self) -> str:
        """stress-ng's --vm-bytes: the percent as is, else plain bytes."""
        m = _SIZE.match(self.size)
        assert m is not None
        return self.size if m.group(2) == "%" else str(int(m.group(1)) * _SIZE_BYTES[m.group(2)])


MODELS: dict[str, type[_Params]] = {
    "delay": DelayParams,
    "loss": LossParams,
    "bandwidth": BandwidthParams,
    "partition": PartitionParams,
    "kill": KillParams,
    "pause": PauseParams,
    "cpu-stress": StressParams,
    "memory-stress": MemoryStressParams,
}


def own_fields(kind: str) -> list[str]:
    """The parameters of `kind` besides the selection (mode, value) every kind takes."""
    return [name for name in MODELS[kind].model_fields if name not in _Params.model_fields]


def list_fields(kind: str) -> frozenset[str]:
    """The parameters of `kind` that hold a list (a partition's peers)."""
    fields = MODELS[kind].model_fields
    return frozenset(name for name, info in fields.items() if get_origin(info.annotation) in (tuple, list))


def parse(kind: str, params: dict[str, Any], where: str = "fault") -> _Params:
    """Typed parameters for `kind`, or a ConfigError naming the key and what was expected."""
    model = MODELS.get(kind)
    if model is None:
        raise ConfigError(f"{where}: key kind expected one of {', '.join(KINDS)}, got {kind!r}.")
    try:
        return model.model_validate(params)
    except ValidationError as e:
        err = sorted(e.errors(), key=lambda x: x["type"] != "extra_forbidden")[0]  # a typo explains a missing key
        key = ".".join(["params", *(str(p) for p in err["loc"])])
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = f"not a parameter of the {kind} fault"
        raise ConfigError(
            f"{where}: key {key}: {message}.",
            f"See the {kind} fault's parameters: {', '.join(model.model_fields)}.",
        ) from None
