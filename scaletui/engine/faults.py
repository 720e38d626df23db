"""The session's faults: the ledger behind the Chaos pane, experiment fault schedules and the revert guarantees.

At engine start, faults left by a scaletui that died are reverted before anything else. On quit, everything still
active is reverted. The ledger (and the chaos package) load only when the session has or fires a fault.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from scaletui.cluster.base import Instance
from scaletui.config.models import FaultSpec

if TYPE_CHECKING:
    from scaletui.chaos.ledger import ChaosLedger
    from scaletui.engine.core import Engine
    from scaletui.session.model import FaultRecord

log = logging.getLogger(__name__)


class FaultControl:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._ledger: ChaosLedger | None = None
        self._lock = threading.Lock()

    @property
    def ledger(self) -> ChaosLedger:
        with self._lock:
            if self._ledger is None:
                from scaletui.chaos.ledger import ChaosLedger
                from scaletui.chaos.local import LocalFaults

                self._ledger = ChaosLedger(
                    self.engine.store, self.engine.bus, [LocalFaults()], self._instances, clock=time.time
                )
                self._ledger.start()
            return self._ledger

    def _instances(self) -> list[Instance]:
        cluster = self.engine.active_cluster()
        return cluster.instances() if cluster is not None else []

    def recover_at_start(self) -> list[FaultRecord]:
        """Revert what a dead scaletui left active; cheap (nothing imported) when the ledger is empty."""
        if not self.engine.store.session.faults:
            return []
        return self.ledger.recover()

    def fire(self, kind: str, targets: list[str], duration: float, params: dict[str, Any] | None = None) -> str:
        if self.engine.active_cluster() is None:
            from scaletui.errors import UserError

            raise UserError("No cluster is running to inject a fault into.", "Start one with s in the Pods pane.")
        fault = self.ledger.fire(kind, targets, duration, params or {})
        return f"Fault {fault.id}: {kind} on {', '.join(fault.targets)} for {duration:.0f}s."

    def fire_spec(self, spec: FaultSpec) -> str:
        return self.fire(spec.kind, list(spec.targets) or ["role:taskmanager"], spec.duration, dict(spec.params))

    def revert(self, fault_id: str) -> str:
        if self.ledger.revert(fault_id):
            return f"Fault {fault_id} reverted."
        return f"Fault {fault_id} is no longer active."

    def revert_all(self) -> str:
        count = self.ledger.revert_all() if self.engine.store.session.faults or self._ledger else 0
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
