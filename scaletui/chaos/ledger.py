"""The fault ledger: every active fault, with how to undo it, kept in the session so it survives a crash.

Guarantees:
- write-ahead: a fault is recorded before it is applied, and each undo step is saved before the change it undoes,
  so a kill -9 at any instant leaves a ledger entry that reverts whatever was done;
- expiry: an engine-side timer thread ends faults at their time, whatever the UI is doing;
- quit: `close()` reverts everything still active;
- crash: `recover()`, called first thing at start, reverts every fault a dead scaletui left behind and says so.
A revert that fails (API server down, tool missing) keeps its entry and is retried with backoff.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Literal

from scaletui.chaos import params as fault_params
from scaletui.chaos import procs
from scaletui.chaos.backend import FaultBackend, PlannedFault
from scaletui.chaos.journal import FaultJournal
from scaletui.chaos.targets import OperatorPlacement, left_out, resolve
from scaletui.cluster.base import Instance
from scaletui.errors import ConfigError, PlatformError, UserError
from scaletui.events import ErrorEvent, EventBus, FaultEvent, Notice
from scaletui.session.model import FaultRecord

RevertAction = Literal["reverted", "expired", "cleaned", "failed"]
RETRY_S = (1.0, 2.0, 5.0, 10.0, 30.0)


class ChaosLedger:
    """Fire, list, revert and recover faults; one per session."""

    def __init__(
        self,
        journal: FaultJournal,
        bus: EventBus,
        backends: Sequence[FaultBackend],
        instances: Callable[[], list[Instance]],
        operators: OperatorPlacement | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.journal = journal
        self.bus = bus
        self.backends = {b.name: b for b in backends}
        self.instances = instances
        self.operators = operators
        self.clock = clock
        self.owner = {"owner_pid": os.getpid(), "owner_start": procs.start_time(os.getpid()) or 0}
        self._revert_lock = threading.RLock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- reading -----------------------------------------------------------------------------------------------

    def active(self) -> list[FaultRecord]:
        """The faults in the ledger, soonest to end first (time left = expires_at - clock())."""
        return sorted(self.journal.entries(), key=lambda f: f.expires_at)

    def add_backend(self, backend: FaultBackend) -> None:
        """Register a backend later (e.g. Kubernetes once connected); pending reverts for it are retried."""
        self.backends[backend.name] = backend
        self._wake.set()

    # --- firing ------------------------------------------------------------------------------------------------

    def fire(
        self,
        kind: str,
        targets: Sequence[str],
        duration: float,
        params: dict[str, Any] | None = None,
        backend: str | None = None,
    ) -> FaultRecord:
        """Inject a fault on the named targets for `duration` seconds; raises UserError with one sentence."""
        typed = fault_params.parse(kind, dict(params or {}))
        if not duration > 0:
            raise ConfigError(f"A {kind} fault needs a duration above 0 s, got {duration}.", "Give it a duration.")
        be = self._backend(backend)
        be.check(kind, typed)
        chosen = resolve(targets, self.instances(), self.operators)
        now = self.clock()
        record = FaultRecord(
            id=uuid.uuid4().hex[:12],
            kind=kind,
            backend=be.name,  # type: ignore[arg-type]
            targets=[t.name for t in chosen],
            params=typed.model_dump(),
            started_at=now,
            expires_at=now + duration,
            undo={**self.owner, "state": "applying", "steps": [], "attempts": 0},
        )
        self.journal.put(record)
        planned = PlannedFault(record.id, kind, chosen, typed, duration)
        try:
            be.inject(planned, lambda step: self._write_ahead(record.id, step))
        except Exception as e:
            message = e.message if isinstance(e, UserError) else f"{type(e).__name__}: {e}"
            hint = f" {e.hint}" if isinstance(e, UserError) and e.hint else ""
            self._revert(record.id, "failed", f"not injected: {message}{hint}")
            if isinstance(e, UserError):
                raise
            raise PlatformError(
                f"The {kind} fault could not be injected: {message}.", "See the session log for details."
            ) from e
        saved = self._edit(record.id, lambda f: f.undo.update(state="active"))
        self.bus.publish(
            FaultEvent(
                source="chaos",
                fault_id=record.id,
                kind=kind,
                action="injected",
                targets=tuple(record.targets),
                expires=record.expires_at,
                message=self.said(record, targets),
                params=dict(record.params),
                backend=record.backend,
            )
        )
        self._wake.set()
        return saved or record

    def said(self, fault: FaultRecord, specs: Sequence[str]) -> str:
        """A fired fault in words: what, where and how long; how the backend makes it when that is worth knowing
        (delay through the user-space queue); which instances a role target left out because they are starting."""
        backend = self.backends.get(fault.backend)
        how = backend.how(fault.kind) if backend is not None else ""
        starting = [n for n in left_out(specs, self.instances()) if n not in fault.targets]
        aside = f" ({', '.join(starting)} still starting: not faulted)" if starting else ""
        duration = fault.expires_at - fault.started_at
        return f"{fault.kind} on {', '.join(fault.targets)} for {duration:g}s{' ' + how if how else ''}{aside}"

    def _backend(self, name: str | None) -> FaultBackend:
        if name is None:
            name = "chaos-mesh" if "chaos-mesh" in self.backends else "local"
        if name not in self.backends:
            raise PlatformError(
                f"No {name} fault backend is connected.",
                "Connect to the cluster first (Kubernetes faults need Chaos Mesh).",
            )
        return self.backends[name]

    def _write_ahead(self, fault_id: str, step: dict[str, Any]) -> None:
        self._edit(fault_id, lambda f: f.undo["steps"].append(step))

    def _edit(self, fault_id: str, change: Callable[[FaultRecord], Any]) -> FaultRecord | None:
        found = next((f for f in self.journal.entries() if f.id == fault_id), None)
        if found is None:
            return None
        edited = found.model_copy(deep=True)
        change(edited)
        self.journal.put(edited)
        return edited

    # --- reverting ---------------------------------------------------------------------------------------------

    def revert(self, fault_id: str) -> bool:
        """End one fault now; True when it is gone from the ledger."""
        return self._revert(fault_id, "reverted")

    def revert_all(self, action: RevertAction = "reverted") -> int:
        """End every fault this process owns; returns how many were reverted."""
        return sum(self._revert(f.id, action) for f in self.active() if self._ours(f))

    def _ours(self, fault: FaultRecord) -> bool:
        return (fault.undo.get("owner_pid"), fault.undo.get("owner_start")) == tuple(self.owner.values())

    def _revert(self, fault_id: str, action: RevertAction, message: str = "") -> bool:
        with self._revert_lock:
            fault = next((f for f in self.journal.entries() if f.id == fault_id), None)
            if fault is None:
                return False
            be = self.backends.get(fault.backend)
            try:
                if be is None:
                    raise PlatformError(
                        f"No {fault.backend} backend is connected to undo it.",
                        "Connect to the cluster; the revert is retried.",
                    )
                for step in reversed(fault.undo.get("steps", [])):
                    be.undo(step)
            except Exception as e:
                self._revert_failed(fault, e)
                return False
            self.journal.drop(fault_id)
        self.bus.publish(
            FaultEvent(
                source="chaos",
                fault_id=fault_id,
                kind=fault.kind,
                action=action,
                targets=tuple(fault.targets),
                expires=fault.expires_at,
                message=message or f"{fault.kind} on {', '.join(fault.targets)} {action}",
            )
        )
        return True

    def _revert_failed(self, fault: FaultRecord, error: Exception) -> None:
        attempts = int(fault.undo.get("attempts", 0)) + 1
        retry_at = self.clock() + RETRY_S[min(attempts, len(RETRY_S)) - 1]
        self._edit(fault.id, lambda f: f.undo.update(state="revert-failed", attempts=attempts, retry_at=retry_at))
        text = error.message if isinstance(error, UserError) else str(error)
        self.bus.publish(
            FaultEvent(
                source="chaos",
                fault_id=fault.id,
                kind=fault.kind,
                action="failed",
                targets=tuple(fault.targets),
                expires=fault.expires_at,
                message=f"revert failed (attempt {attempts}): {text}",
            )
        )
        self.bus.publish(
            ErrorEvent(
                source="chaos",
                message=f"Could not revert the {fault.kind} fault on {', '.join(fault.targets)}: {text}",
                hint="scaletui retries it.",
            )
        )

    # --- crash recovery ----------------------------------------------------------------------------------------

    def recover(self) -> list[FaultRecord]:
        """Revert every fault whose owning scaletui is dead; call before anything else. Returns what was cleaned."""
        orphans = [f for f in self.journal.entries() if not self._ours(f) and not self._owner_alive(f)]
        for fault in orphans:
            self._edit(fault.id, lambda f: f.undo.update(self.owner))
        cleaned = [f for f in orphans if self._revert(f.id, "cleaned", "orphaned fault cleaned at start")]
        if cleaned:
            what = "; ".join(f"{f.kind} on {', '.join(f.targets)}" for f in cleaned)
            self.bus.publish(
                Notice(
                    source="chaos",
                    message=f"Cleaned {len(cleaned)} orphaned fault(s) left by an earlier run: {what}.",
                    level="warning",
                )
            )
        return cleaned

    @staticmethod
    def _owner_alive(fault: FaultRecord) -> bool:
        pid, start = fault.undo.get("owner_pid"), fault.undo.get("owner_start")
        return isinstance(pid, int) and isinstance(start, int) and procs.same_process(pid, start)

    # --- expiry ------------------------------------------------------------------------------------------------

    def tick(self) -> list[str]:
        """Revert what is due now (expired, or a failed revert whose retry time came); returns their ids."""
        now = self.clock()
        done = []
        for f in self.active():
            if not self._ours(f):
                continue
            failed = f.undo.get("state") == "revert-failed"
            retry_due = failed and f.undo.get("retry_at", 0) <= now
            expired = not failed and f.undo.get("state") == "active" and f.expires_at <= now
            if (retry_due or expired) and self._revert(f.id, "expired"):
                done.append(f.id)
        return done

    def _next_due(self) -> float:
        times = [
            f.undo.get("retry_at", f.expires_at) if f.undo.get("state") == "revert-failed" else f.expires_at
            for f in self.active()
            if self._ours(f)
        ]
        return min(times, default=self.clock() + 1.0)

    def start(self) -> ChaosLedger:
        """Start the expiry thread (a daemon: it never keeps the process alive)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="chaos-expiry", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as e:  # the timer must outlive any one bad revert
                self.bus.publish(ErrorEvent(source="chaos", message=f"Fault expiry check failed: {e}"))
            wait = min(max(self._next_due() - self.clock(), 0.01), 0.5)
            self._wake.wait(wait)
            self._wake.clear()

    def close(self) -> int:
        """Stop the timer and revert every fault still active (on quit); returns how many were reverted."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        return self.revert_all("reverted")

    def __enter__(self) -> ChaosLedger:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
