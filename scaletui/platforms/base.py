"""What every platform gives the engine: a reservation it can query, extend and release, and an inventory.

A platform is built from a `conf/platforms/<name>.toml` (a `PlatformFile`). The engine drives it only through
the `Platform` protocol, in a worker thread; the reservation flow (`flow.py`) publishes the events and records
the reservation in the session, so platforms stay free of the bus and the store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from scaletui.errors import PlatformError

ClusterRole = Literal["control", "producer", "consumer", "worker"]
ReservationState = Literal["none", "reserving", "waiting", "running", "released", "failed"]

# TOML `[roles]` keys (plural, as in Scalehub's INI) and the `cluster_role` each host gets.
ROLE_KEYS: dict[str, ClusterRole] = {
    "control": "control",
    "producers": "producer",
    "consumers": "consumer",
    "workers": "worker",
}

# Called with a step message and a fraction in [0, 1] (None when unknown).
ProgressFn = Callable[[str, float | None], None]


def no_progress(message: str, fraction: float | None) -> None:
    """The progress callback of callers that do not show progress."""


class ReservationCancelled(PlatformError):
    """The user cancelled a reservation in flight; whatever was submitted has been released."""


@dataclass(frozen=True)
class InventoryHost:
    """One machine as Ansible reaches it; `vars` carries connection extras (ansible_port, key file...)."""

    name: str
    address: str
    user: str
    cluster_role: ClusterRole
    platform_name: str
    vars: dict[str, str | int] = field(default_factory=dict)

    def hostvars(self) -> dict[str, str | int]:
        return {
            "ansible_host": self.address,
            "ansible_user": self.user,
            "cluster_role": self.cluster_role,
            "platform_name": self.platform_name,
            **self.vars,
        }


@dataclass(frozen=True)
class Inventory:
    """The machines of one platform; `inventory.write_inventory` merges several into one file."""

    platform_name: str
    hosts: tuple[InventoryHost, ...] = ()

    def by_role(self, role: ClusterRole) -> list[InventoryHost]:
        return [h for h in self.hosts if h.cluster_role == role]


@dataclass(frozen=True)
class PlatformStatus:
    """Where a reservation stands, in the fields the Reservations pane shows and the session keeps."""

    state: ReservationState
    job_id: str = ""
    site: str = ""
    cluster: str = ""
    walltime_s: int = 0
    started_at: float = 0.0
    message: str = ""


@runtime_checkable
class Platform(Protocol):
    """A source of machines. Blocking methods run in a worker; `reserve` honours `cancel`."""

    name: str
    type: str
    can_extend: bool

    def reserve(self, cancel: threading.Event, progress: ProgressFn = no_progress) -> Inventory:
        """Get the machines (or re-attach to the job of the same name) and return their inventory."""
        ...

    def status(self) -> PlatformStatus:
        """The reservation's state now, read from the testbed (never from a cache)."""
        ...

    def extend(self, seconds: int) -> PlatformStatus:
        """Add walltime; raises PlatformError when the provider cannot."""
        ...

    def release(self) -> None:
        """Give the machines back; safe to call twice."""
        ...

    def attach(self, status: PlatformStatus) -> None:
        """Adopt a reservation recorded in the session by an earlier scaletui (job id, site, start)."""
        ...
