"""Where the fault ledger keeps its entries: a small protocol, so the chaos package never writes the session itself.

The engine's implementation keeps them in the session file and returns only once an entry is on disk: that is
the ledger's write-ahead guarantee (a kill -9 at any instant leaves what is needed to revert).
"""

from __future__ import annotations

from typing import Protocol

from scaletui.session.model import FaultRecord


class FaultJournal(Protocol):
    def entries(self) -> list[FaultRecord]:
        """Every fault recorded, in no particular order."""
        ...

    def put(self, record: FaultRecord) -> None:
        """Add the record, or replace the one with its id; durable when it returns."""
        ...

    def drop(self, fault_id: str) -> None:
        """Forget a fault (it was reverted); durable when it returns."""
        ...
