"""The faults scaletui knows and their parameters, validated once at the edge for every backend.

A bad parameter (from the Chaos pane or an experiment's [[faults]] table) becomes one ConfigError sentence.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scaletui.errors import ConfigError

FaultKind = Literal["delay", "loss", "bandwidth", "kill", "pause", "cpu-stress"]
KINDS: tuple[str, ...] = ("delay", "loss", "bandwidth", "kill", "pause", "cpu-stress")
NETWORK_KINDS = frozenset({"delay", "loss", "bandwidth"})

_RATE = re.compile(r"^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$")
_RATE_BITS = {"bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9, "bps": 8, "kbps": 8e3, "mbps": 8e6, "gbps": 8e9}


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DelayParams(_Params):
    latency_ms: float = Field(gt=0, le=60_000)
    """Added one-way delay on the target's egress."""
    jitter_ms: float = Field(0.0, ge=0, le=60_000)
    correlation: float = Field(0.0, ge=0, le=100)
    """Percent; used by netem and Chaos Mesh, ignored by the user-space queue."""


class LossParams(_Params):
    percent: float = Field(gt=0, le=100)
    correlation: float = Field(0.0, ge=0, le=100)


class BandwidthParams(_Params):
    rate: str
    """tc rate units: "1mbit", "500kbit", "10mbps" (bytes per second)."""
    limit: int = Field(200_000, ge=1)
    """Bytes that may queue waiting for tokens."""
    buffer: int = Field(65_536, ge=1)
    """Bucket size in bytes (at least the device MTU: 65536 on loopback)."""

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        if not _RATE.match(value):
            raise ValueError('a tc rate like "1mbit", "500kbit" or "10mbps"')
        return value

    @property
    def bits_per_s(self) -> float:
        m = _RATE.match(self.rate)
        assert m is not None
        return float(m.group(1)) * _RATE_BITS[m.group(2)]


class KillParams(_Params):
    container: str = ""
    """On Kubernetes: kill only this container of the pod (container-kill) instead of the whole pod."""


class PauseParams(_Params):
    pass


class StressParams(_Params):
    workers: int = Field(1, ge=1, le=64)
    load: int = Field(100, ge=1, le=100)
    """Percent of each worker's CPU."""


MODELS: dict[str, type[_Params]] = {
    "delay": DelayParams,
    "loss": LossParams,
    "bandwidth": BandwidthParams,
    "kill": KillParams,
    "pause": PauseParams,
    "cpu-stress": StressParams,
}


def parse(kind: str, params: dict[str, Any], where: str = "fault") -> _Params:
    """Typed parameters for `kind`, or a ConfigError naming the key and what was expected."""
    model = MODELS.get(kind)
    if model is None:
        raise ConfigError(f"{where}: key kind expected one of {', '.join(KINDS)}, got {kind!r}.")
    try:
        return model.model_validate(params)
    except ValidationError as e:
        err = e.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "params"
        raise ConfigError(
            f"{where}: key params.{key}: {err['msg']}.",
            f"See the {kind} fault's parameters: {', '.join(model.model_fields)}.",
        ) from None
