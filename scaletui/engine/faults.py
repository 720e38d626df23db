"""The session's faults: the ledger behind the Chaos pane and the runs' fault steps, with its revert guarantees.

At engine start, faults left by a scaletui that died are reverted before anything else. On quit, everything still
active is reverted. The ledger (and the chaos package) load only when the session has or fires a fault. Which
backends can inject (local processes, Chaos Mesh) comes from the capability set of the run that attaches; before
one does, Chaos Mesh resources a dead scaletui left are deleted with the kubeconfig their ledger entry names.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scaletui.chaos.backend import FaultBackend
from scaletui.chaos.journal import FaultJournal
from scaletui.cluster.base import Instance
from scaletui.errors import UserError
from scaletui.events import EventBus

if TYPE_CHECKING:
    from scaletui.chaos.ledger import ChaosLedger
    from scaletui.session.model import FaultRecord

log = logging.getLogger(__name__)


def _no_instances() -> list[Instance]:
    return []


class FaultControl:
    def __init__(self, journal: FaultJournal, bus: EventBus) -> None:
        self.journal = journal
        self.bus = bus
        self._ledger: ChaosLedger | None = None
        self._instances: Callable[[], list[Instance]] = _no_instances
        self._platform = ""
        self._backends: tuple[FaultBackend, ...] = ()
        self._lock = threading.Lock()

    @property
    def ledger(self) -> ChaosLedger:
        with self._lock:
            if self._ledger is None:
                from scaletui.chaos.chaosmesh import ChaosMeshFaults
                from scaletui.chaos.ledger import ChaosLedger
                from scaletui.chaos.process_faults import LocalFaults

                backends: list[FaultBackend] = [LocalFaults(instances=self._targets), ChaosMeshFaults.for_recovery()]
                self._ledger = ChaosLedger(self.journal, self.bus, backends, self._targets, clock=time.time)
                self._ledger.start()
            return self._ledger

    def attach(
        self, platform: str, backends: tuple[FaultBackend, ...], instances: Callable[[], list[Instance]]
    ) -> None:
        """A run opened: faults go to its backends and resolve targets among its instances."""
        self._platform, self._backends, self._instances = platform, backends, instances
        if backends:
            ledger = self.ledger
            for backend in backends:
                ledger.add_backend(backend)

    def detach(self) -> None:
        self._platform, self._backends, self._instances = "", (), _no_instances

    def _targets(self) -> list[Instance]:
        return self._instances()

    def recover_at_start(self) -> list[FaultRecord]:
        """Revert what a dead scaletui left active; cheap (nothing imported) when the ledger is empty."""
        if not self.journal.entries():
            return []
        return self.ledger.recover()

    def refusal(self) -> UserError | None:
        """Why a fault cannot be fired now, or None: asked before a dialog opens, so it is not filled in vain."""
        if not self._platform:
            return UserError("No cluster is running to inject a fault into.", "Start one with s in the Pods pane.")
        if not self._backends:
            return UserError(f"No fault injection on the {self._platform} platform.")
        return None

    def fire(self, kind: str, targets: list[str], duration: float, params: dict[str, Any] | None = None) -> str:
        refused = self.refusal()
        if refused is not None:
            raise refused
        backend = self._backends[0].name
        fault = self.ledger.fire(kind, targets, duration, params or {}, backend=backend)
        return f"Fault {fault.id}: {self.ledger.said(fault, targets)}."

    def revert(self, fault_id: str) -> str:
        if self.ledger.revert(fault_id):
            return f"Fault {fault_id} reverted."
        return f"Fault {fault_id} is no longer active."

    def revert_all(self) -> str:
        count = self.ledger.revert_all() if self._ledger is not None or self.journal.entries() else 0
        return f"Reverted {count} fault(s)."

    def close(self) -> None:
        """On quit: revert everything still active, then stop the expiry thread."""
        with self._lock:
            ledger = self._ledger
        if ledger is not None:
            try:
                ledger.close()
            except Exception:
                log.exception("reverting faults on quit failed")
