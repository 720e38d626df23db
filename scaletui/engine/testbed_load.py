"""Load control on a testbed: the run's load profile reaches the load generator once a step, whatever drives it (the
rate service of scaletui's workload job, or the Theodolite generator's replicas).

The rate is sent when it changes, and again after a failure. A failure (the API server or the rate service away)
is said once, with what scaletui does about it, and its end once: the generator keeps the last rate it was given
meanwhile. What the generator produced is measured by the metrics (the source's records out), never assumed.
"""

from __future__ import annotations

import time
from typing import Protocol

from scaletui.errors import UserError
from scaletui.events import ErrorEvent, EventBus, Notice
from scaletui.workload.profiles import LoadProfile


class RateSetter(Protocol):
    def set_rate(self, rate: float) -> None: ...

    def describe(self) -> str: ...


class ProfileLoad:
    """The LoadControl of the testbed set over a RateSetter."""

    def __init__(self, setter: RateSetter, bus: EventBus) -> None:
        self.setter = setter
        self.bus = bus
        self._profile: LoadProfile | None = None
        self._origin = 0.0
        self._sent: float | None = None
        self._failing_since: float | None = None
        self.how = setter.describe()
        """What drives the load, for the UI; a generator quantised to replicas says how many it runs now."""

    def set_profile(self, profile: LoadProfile, origin: float) -> None:
        self._profile, self._origin = profile, origin
        self.tick(time.time())

    def tick(self, now: float) -> None:
        if self._profile is None:
            return
        rate = self._profile.rate_at(now - self._origin)
        if self._sent is not None and abs(rate - self._sent) <= 1e-6 and self._failing_since is None:
            return
        try:
            self.setter.set_rate(rate)
        except UserError as e:
            if self._failing_since is None:
                self._failing_since = now
                self.bus.publish(
                    ErrorEvent(
                        source="load",
                        message=f"The load could not be set to {rate:.0f} records/s: {e.message}",
                        hint="The generator keeps its last rate; scaletui sets it again every second.",
                    )
                )
            return
        self._sent = rate
        self.how = self.setter.describe()
        if self._failing_since is not None:
            away = now - self._failing_since
            self._failing_since = None
            self.bus.publish(Notice(source="load", message=f"Load control is back after {away:.0f}s: {rate:.0f}/s."))
