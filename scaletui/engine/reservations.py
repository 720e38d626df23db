"""The reservation flow the Reservations pane and `--script` drive: reserve, status, extend, release, re-attach.

Every method blocks and is meant for a worker thread. Each publishes `Progress` events (source
`platform:<name>`) and `ReservationChanged` events, which the engine's reducer records in the session at once
(durable), so a restarted scaletui re-attaches with `reattach()`. After every change the session's inventory file
is rewritten from all running reservations.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from scaletui.config.loader import load_platform
from scaletui.errors import PlatformError, UserError
from scaletui.events import ErrorEvent, EventBus, InventoryChanged, Progress, ReservationChanged, ReservationDropped
from scaletui.platforms.base import Inventory, InventoryHost, Platform, PlatformStatus, ReservationCancelled
from scaletui.platforms.enos import G5K_FAMILY
from scaletui.platforms.enos_errors import detail, reason
from scaletui.platforms.inventory import write_inventory
from scaletui.platforms.registry import create_platform
from scaletui.session.model import Node, Reservation
from scaletui.session.store import SessionStore

log = logging.getLogger(__name__)

WARN_BEFORE_EXPIRY_S = 600


def reported(error: UserError) -> UserError:
    """Mark an error as already said on the bus, so the faces that catch it do not say it again."""
    error.reported = True  # type: ignore[attr-defined]
    return error


def was_reported(error: BaseException) -> bool:
    return bool(getattr(error, "reported", False))


def remaining_s(reservation: Reservation, now: float | None = None) -> float | None:
    """Seconds of walltime left, or None when the reservation has no walltime or has not started."""
    if not reservation.walltime_s or not reservation.started_at:
        return None
    return max(0.0, reservation.started_at + reservation.walltime_s - (now or time.time()))


def holds_machines(reservation: Reservation) -> bool:
    """Machines or a testbed job are still held: reserved or on the way, or failed with its job not given back."""
    return reservation.state in ("reserving", "waiting", "running") or (
        reservation.state == "failed" and bool(reservation.job_id)
    )


def job_less(reservation: Reservation) -> bool:
    """A reservation that failed before anything was asked of its testbed (its provider could not be loaded), or a
    Grid5000-family one before its job was made: nothing on the testbed to extend or release, so neither calls the
    testbed's API (which may be what failed)."""
    if reservation.state != "failed":
        return False
    return not reservation.asked_testbed or (reservation.type in G5K_FAMILY and not reservation.job_id)


def no_job(name: str, reservation: Reservation | None) -> str:
    """Why `name` has no job to act on, in one sentence."""
    if reservation is None:
        return f"{name} is not reserved in this session."
    why = {"failed": "its reservation failed", "released": "it was released"}.get(reservation.state, "not yet")
    return f"{name} has no job ({why})."


def expiring(reservation: Reservation, now: float | None = None, warn_s: float = WARN_BEFORE_EXPIRY_S) -> bool:
    """True when a running reservation has less than `warn_s` seconds left (the pane turns it to a warning)."""
    left = remaining_s(reservation, now)
    return reservation.state == "running" and left is not None and left < warn_s


def _nodes(inventory: Inventory) -> list[Node]:
    return [
        Node(name=h.name, address=h.address, role=h.cluster_role, user=h.user, vars=dict(h.vars))
        for h in inventory.hosts
    ]


def _inventory(reservation: Reservation) -> Inventory:
    hosts = tuple(
        InventoryHost(
            name=n.name,
            address=n.address,
            user=n.user,
            cluster_role=n.role,
            platform_name=reservation.platform,
            vars=dict(n.vars),
        )
        for n in reservation.nodes
    )
    return Inventory(reservation.platform, hosts)


def recorded_status(recorded: Reservation) -> PlatformStatus:
    """What the session remembers of a reservation, as the status a platform re-attaches to."""
    return PlatformStatus(
        state=recorded.state,
        job_id=recorded.job_id,
        site=recorded.site,
        cluster=recorded.cluster,
        walltime_s=recorded.walltime_s,
        started_at=recorded.started_at,
        message=recorded.message,
    )


class ReservationFlow:
    """Platforms of one session, by name. Several platforms may be reserved side by side."""

    def __init__(self, store: SessionStore, bus: EventBus, conf_dir: Path | str = "conf") -> None:
        """`store` is read here; changes go out as events, for the reducer subscribed to `bus` to record."""
        self.store = store
        self.bus = bus
        self.conf_dir = Path(conf_dir)
        self._platforms: dict[str, Platform] = {}
        self._changing: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    # --- platforms -----------------------------------------------------------------------------------------------

    def platform(self, name: str, conf_file: Path | str | None = None) -> Platform:
        """The platform named `name`, built once from conf/platforms/<name>.toml (or `conf_file`)."""
        with self._lock:
            if name in self._platforms:
                return self._platforms[name]
            path = Path(conf_file) if conf_file else self.conf_dir / "platforms" / f"{name}.toml"
            platform = create_platform(load_platform(path), str(path))
            self._platforms[name] = platform
            return platform

    def add(self, platform: Platform) -> Platform:
        """Use an already built platform (custom code, tests)."""
        with self._lock:
            self._platforms[platform.name] = platform
        return platform

    def _record(self, platform: Platform, **fields: object) -> Reservation:
        """Publish the change and return the reservation as the session now records it."""
        self.bus.publish(
            ReservationChanged(source=f"platform:{platform.name}", platform=platform.name, type=platform.type,
                               fields=dict(fields))
        )  # fmt: skip
        return next(r for r in self.store.session.reservations if r.platform == platform.name)

    def _status_fields(self, status: PlatformStatus) -> dict[str, object]:
        return {
            "state": status.state,
            "job_id": status.job_id,
            "site": status.site,
            "cluster": status.cluster,
            "walltime_s": status.walltime_s,
            "started_at": status.started_at,
            "message": status.message,
        }

    def _progress(self, platform: Platform, message: str, fraction: float | None, done: bool = False) -> None:
        self.bus.publish(
            Progress(
                step=f"reserve {platform.name}",
                message=message,
                fraction=fraction,
                done=done,
                source=f"platform:{platform.name}",
            )
        )

    def write_inventory(self) -> Path:
        """Rewrite the session's inventory from every running reservation; records its path in the session."""
        session = self.store.session
        inventories = [_inventory(r) for r in session.reservations if r.state == "running" and r.nodes]
        path = write_inventory(self.store.directory, inventories)
        self.bus.publish(InventoryChanged(source="platforms", path=str(path)))
        return path

    # --- the flow ------------------------------------------------------------------------------------------------

    def reserve(self, name: str, cancel: threading.Event, conf_file: Path | str | None = None) -> Reservation:
        platform = self.platform(name, conf_file)
        source = str(conf_file or self.conf_dir / "platforms" / f"{name}.toml")
        self._record(platform, conf_file=source, state="reserving", message="", nodes=[], asked_testbed=True)
        self._progress(platform, f"reserving {name} ({platform.type})", 0.0)

        def progress(message: str, fraction: float | None) -> None:
            self._progress(platform, message, fraction)
            status = getattr(platform, "known_status", None)
            if isinstance(status, PlatformStatus) and status.job_id:
                fields = self._status_fields(status)
                fields["state"] = "waiting" if status.state in ("none", "waiting") else status.state
                self._record(platform, **fields)

        try:
            inventory = platform.reserve(cancel, progress)
        except ReservationCancelled as e:
            self._progress(platform, e.message, None, done=True)
            return self._record(platform, state="released", message="cancelled")
        except UserError as e:
            self._failed(platform, e)
            raise
        except Exception as e:
            log.error("reservation of %s failed:\n%s", name, detail(e))
            error = PlatformError(f"The reservation of {name} failed: {reason(e)}.", "The session log has the details.")
            self._failed(platform, error)
            raise error from None
        status = platform.status()
        fields = self._status_fields(status)
        fields["state"] = "running"
        reservation = self._record(platform, nodes=_nodes(inventory), **fields)
        self.write_inventory()
        self._progress(platform, f"{name}: {len(inventory.hosts)} machine(s) ready", 1.0, done=True)
        return reservation

    def _failed(self, platform: Platform, error: UserError) -> None:
        """Record a failed reservation (released if the platform gave its job back) and say it, once."""
        known = getattr(platform, "known_status", None)
        released = isinstance(known, PlatformStatus) and known.state == "released"
        job = {"job_id": known.job_id} if isinstance(known, PlatformStatus) and known.job_id else {}
        asked = bool(getattr(platform, "asked_testbed", True))
        state = "released" if released else "failed"
        self._record(platform, state=state, message=error.message, asked_testbed=asked, **job)
        self._progress(platform, f"{platform.name}: reservation failed", None, done=True)
        self.bus.publish(ErrorEvent(message=error.message, hint=error.hint, source=f"platform:{platform.name}"))
        reported(error)

    def status(self, name: str) -> Reservation:
        """Ask the testbed where the reservation stands and record it."""
        platform = self._attached(name)
        status = platform.status()
        reservation = self._record(platform, **self._status_fields(status))
        if status.state in ("released", "failed"):
            self.write_inventory()
        return reservation

    def extend(self, name: str, seconds: int) -> Reservation:
        platform = self._attached(name)
        if not platform.can_extend:
            raise PlatformError(f"{platform.type} platforms cannot extend their walltime.")
        with self._one_change(platform, f"extending {name}"):
            recorded = self._recorded(name)
            if recorded is None or not recorded.job_id or recorded.state == "released":
                raise PlatformError(no_job(name, recorded), f"Reserve it first: scaletui provision {name}")
            self._progress(platform, f"extending {name} by {seconds} s", None)
            status = platform.extend(seconds)
            self._progress(platform, f"{name} extended", 1.0, done=True)
            return self._record(platform, **self._status_fields(status))

    def release(self, name: str, *, confirmed: bool) -> Reservation:
        """Give the machines back. `confirmed` is the user's answer to the pane's confirmation dialog."""
        if not confirmed:
            raise PlatformError(
                f"releasing {name} needs a confirmation.", "Confirm the release to give the machines back."
            )
        recorded = self._recorded(name)
        if recorded is not None and job_less(recorded):
            return self._drop(recorded)
        platform = self._attached(name)
        with self._one_change(platform, f"releasing {name}"):
            self._progress(platform, f"releasing {name}", None)
            platform.release()
            reservation = self._record(platform, state="released", nodes=[], message="released")
            self.write_inventory()
            self._progress(platform, f"{name} released", 1.0, done=True)
            return reservation

    @contextmanager
    def _one_change(self, platform: Platform, what: str) -> Iterator[None]:
        """An extension and a release of one reservation run one after the other: an extension ending after the
        release recorded the job it had asked about as running again (review 38 F7)."""
        with self._lock:
            lock = self._changing.setdefault(platform.name, threading.Lock())
        if not lock.acquire(blocking=False):
            self._progress(platform, f"{what} waits for the change of {platform.name} under way", None)
            lock.acquire()
        try:
            yield
        finally:
            lock.release()

    def _drop(self, recorded: Reservation) -> Reservation:
        """Forget a reservation that holds nothing on the testbed, without asking the testbed."""
        name = recorded.platform
        made = "a job was made" if recorded.asked_testbed else "anything was asked of it"
        why = f"nothing to release on {recorded.type}: its reservation failed before {made}"
        self.bus.publish(ReservationDropped(source=f"platform:{name}", platform=name))
        self.bus.publish(Progress(step=f"reserve {name}", message=f"{name} dropped from the session ({why})",
                                  fraction=1.0, done=True, source=f"platform:{name}"))  # fmt: skip
        return recorded.model_copy(update={"state": "released", "message": f"dropped from the session; {why}"})

    def _recorded(self, name: str) -> Reservation | None:
        return next((r for r in self.store.session.reservations if r.platform == name), None)

    def reattach(self) -> list[Reservation]:
        """After a restart: adopt every reservation the session says is alive and ask the testbed for its state."""
        out: list[Reservation] = []
        for recorded in self.store.session.reservations:
            if recorded.state not in ("reserving", "waiting", "running"):
                continue
            platform = self.platform(recorded.platform, recorded.conf_file or None)
            platform.attach(recorded_status(recorded))
            try:
                out.append(self.status(recorded.platform))
            except UserError as e:
                self.bus.publish(ErrorEvent(message=e.message, hint=e.hint, source=f"platform:{recorded.platform}"))
                out.append(recorded)
        return out

    def _attached(self, name: str) -> Platform:
        recorded = self._recorded(name)
        with self._lock:
            known = name in self._platforms
        platform = self.platform(name, recorded.conf_file if recorded and recorded.conf_file else None)
        if not known and recorded is not None:
            platform.attach(replace(recorded_status(recorded), message=""))
        return platform
