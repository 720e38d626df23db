"""Reservations and playbook stages as the faces use them: one cancel event per running stage, lazy imports.

The TUI's Reservations and Stages panes, the Scalehub-style verbs (`provision`, `deploy APP`...) and experiment
files all go through here, so a stage run from any of them is recorded and cancellable the same way.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from scaletui.config.units import format_duration
from scaletui.errors import ConfigError, UserError
from scaletui.events import EventBus
from scaletui.session.model import Reservation
from scaletui.session.store import SessionStore

if TYPE_CHECKING:
    from scaletui.engine.reservations import ReservationFlow
    from scaletui.stages.runner import StageResult, StagesRunner

RESERVATION_END_S = 120.0
"""How long a release waits for the reservation under way it cancelled to end: one still waiting for the testbed
deletes its job at once; one whose machines are being set up (which a cancel does not stop) ends only once they
are, and is then released. Past this the release is refused rather than run beside the reservation still under way."""


class TestbedControl:
    def __init__(self, store: SessionStore, bus: EventBus, conf_dir: Path, session_dir: Path) -> None:
        """`store` is read here; reservations and stage states go out as events, for the engine's reducer."""
        self.store = store
        self.bus = bus
        self.conf_dir = conf_dir
        self.session_dir = session_dir
        self._flow: ReservationFlow | None = None
        self._runner: StagesRunner | None = None
        self._cancels: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._ended = threading.Condition(self._lock)
        """Notified when a cancellable work ends (its key leaves `_cancels`): a release waits for the reservation."""

    @property
    def flow(self) -> ReservationFlow:
        if self._flow is None:
            from scaletui.engine.reservations import ReservationFlow

            self._flow = ReservationFlow(self.store, self.bus, self.conf_dir)
        return self._flow

    @property
    def runner(self) -> StagesRunner:
        if self._runner is None:
            from scaletui.stages.runner import StagesRunner

            self._runner = StagesRunner(self.session_dir, lambda: self.store.read(lambda s: s.inventory_file), self.bus)
        return self._runner

    # --- reservations --------------------------------------------------------------------------------------------

    def platforms(self) -> list[str]:
        return [p.stem for p in sorted((self.conf_dir / "platforms").glob("*.toml"))]

    def reserve(self, name: str, cancel: threading.Event | None = None) -> str:
        """Until the machines are granted; `cancel` (ctrl+g in the Reservations pane) or a release of `name`
        meanwhile cancels it (a submitted job is deleted)."""
        key = f"reserve:{name}"
        cancel = self._cancel_for(key, cancel)
        try:
            r = self.flow.reserve(name, cancel)
        finally:
            with self._ended:
                self._cancels.pop(key, None)
                self._ended.notify_all()
        return (
            f"{name}: {r.state}" + (f", job {r.job_id}" if r.job_id else "") + (f" ({r.message})" if r.message else "")
        )

    def hold(self, name: str) -> tuple[str, bool]:
        """The platform's machines for a run: re-attach to the reservation the session records (asking the testbed
        whether it still runs), else reserve. Returns what was done, and whether a new reservation was made."""
        from scaletui.engine.reservations import remaining_s

        recorded = self._recorded(name)
        if recorded is not None and recorded.state in ("reserving", "waiting", "running"):
            r = self.flow.status(name)
            if r.state == "running":
                left = remaining_s(r)
                when = f", {format_duration(left)} of walltime left" if left is not None else ""
                return f"Re-attached to {name}" + (f" (job {r.job_id}{when})" if r.job_id else "") + ".", False
        return self.reserve(name), True

    def kept(self, name: str) -> str:
        """What a user must know when a run on a reserved platform fails: the machines stay booked, and how to
        give them back ("" when nothing is held)."""
        from scaletui.engine.reservations import holds_machines

        r = self._recorded(name)
        if r is None or not holds_machines(r):
            return ""
        job = f" (job {r.job_id})" if r.job_id else ""
        return f"{name}{job} stays reserved: release it with `scaletui destroy {name} --yes` when done."

    def holding(self) -> list[str]:
        """Every platform of the session still holding machines or a job, whatever state it was left in."""
        from scaletui.engine.reservations import holds_machines

        return [r.platform for r in self.store.session.reservations if holds_machines(r)]

    def job_less(self) -> list[str]:
        """Every platform of the session whose reservation failed before anything was made on its testbed (nothing
        to release)."""
        from scaletui.engine.reservations import job_less

        return [r.platform for r in self.store.session.reservations if job_less(r)]

    def release(self, name: str) -> str:
        """The machines back; a reservation of `name` still under way (a job waiting for the testbed) is cancelled
        first, which deletes its job, rather than released only once it is granted."""
        if self._cancel_reservation(name):
            recorded = self._recorded(name)
            if recorded is not None and recorded.state == "released":
                job = f"; job {recorded.job_id} deleted" if recorded.job_id else ""
                return f"{name}: reservation cancelled before the machines were granted{job}."
        r = self.flow.release(name, confirmed=True)
        return f"{name}: {r.state}" + (f" ({r.message})" if r.message and r.message != r.state else "") + "."

    def _cancel_reservation(self, name: str) -> bool:
        """Cancel the reservation of `name` under way and wait for it to end; False when none is. One that does not
        end in RESERVATION_END_S is refused: both would drive the same platform, and the reservation ending after
        the release would record its machines as running (review 38 F2)."""
        key = f"reserve:{name}"
        with self._ended:
            cancel = self._cancels.get(key)
            if cancel is None:
                return False
            cancel.set()
            if not self._ended.wait_for(lambda: key not in self._cancels, timeout=RESERVATION_END_S):
                raise UserError(
                    f"{name}: its machines are still being set up after {RESERVATION_END_S:.0f}s, which a cancel "
                    "does not stop; nothing was released.",
                    f"Release {name} (x) once the Reservations pane shows it running.",
                )
        return True

    def extend(self, name: str, by: str | int) -> str:
        """Add walltime: `by` in seconds, or as written ("1h", "30m", "01:30:00")."""
        from scaletui.engine.reservations import remaining_s

        r = self.flow.extend(name, extra_time(by))
        left = remaining_s(r)
        when = f"; {format_duration(left)} left" if left is not None else ""
        return f"{name}: walltime {format_duration(r.walltime_s)}{when}."

    def _recorded(self, name: str) -> Reservation | None:
        return next((r for r in self.store.session.reservations if r.platform == name), None)

    def refresh(self) -> str:
        names = [r.platform for r in self.store.session.reservations if r.state in ("waiting", "running")]
        states = [self.flow.status(n) for n in names]
        return "; ".join(f"{r.platform} {r.state}" for r in states) or "No active reservation to refresh."

    def reattach(self) -> list[Reservation]:
        """After a restart: find the jobs the session remembers (testbed APIs are asked only if there are any)."""
        if not any(r.state in ("waiting", "running") for r in self.store.session.reservations):
            return []
        return self.flow.reattach()

    # --- stages --------------------------------------------------------------------------------------------------

    def run(self, step: str, cancel: threading.Event | None = None) -> StageResult:
        """A stage ("infrastructure", "local"...) or an app step ("app:flink", "app:flink:delete"); `cancel`, when
        given (a run's), cancels it too, as does `cancel(step)` from a key."""
        cancel = self._cancel_for(step, cancel)
        try:
            return self.runner.run_step(step, cancel)
        finally:
            with self._lock:
                self._cancels.pop(step, None)

    def run_checked(self, step: str, cancel: threading.Event | None = None) -> str:
        result = self.run(step, cancel)
        if result.state == "failed":
            raise UserError(f"Stage {step} failed: {result.message}.", f"Full log: {result.log_file}")
        return f"Stage {step}: {result.state} ({result.tasks_done} tasks)."

    def run_stages(self, steps: list[str], cancel: threading.Event) -> str:
        """An experiment's stages in order; stops at the first failure (raised) or when `cancel` is set."""
        done = []
        for step in steps:
            if cancel.is_set():
                break
            self.run_checked(step, cancel)
            done.append(step)
        return f"ran {', '.join(done)}" if done else "no stage ran"

    def cancel(self, step: str | None = None) -> str:
        with self._lock:
            targets = [step] if step else list(self._cancels)
            events = [self._cancels[s] for s in targets if s in self._cancels]
        for event in events:
            event.set()
        return f"Cancelling {', '.join(targets)}." if events else "Nothing is running."

    def _cancel_for(self, step: str, event: threading.Event | None = None) -> threading.Event:
        with self._lock:
            if step in self._cancels:
                raise UserError(f"{step} is already running.", "Wait for it, or cancel it with c.")
            event = event or threading.Event()
            self._cancels[step] = event
            return event


def extra_time(by: str | int) -> int:
    """Seconds of extra walltime from 5400, "1h30m" or "01:30[:00]"; anything else is bad input (a ConfigError, exit
    code 2, as every other malformed value)."""
    from scaletui.config.units import parse_duration

    text = str(by).strip()
    try:
        if ":" in text:
            parts = [int(p) for p in text.split(":")]
            if len(parts) not in (2, 3):
                raise ValueError(text)
            seconds = parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) == 3 else 0)
        else:
            seconds = int(parse_duration(int(text) if text.isdigit() else text))
    except ValueError:
        raise ConfigError(f"{text!r} is not an amount of time.", 'Give e.g. "1h", "30m" or "01:30:00".') from None
    if seconds <= 0:
        raise ConfigError(f"{text!r} adds no time.", 'Give e.g. "1h", "30m" or "01:30:00".')
    return seconds
