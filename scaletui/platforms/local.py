"""The `local` platform: this machine, reached by Ansible's local connection. Nothing to reserve or release."""

from __future__ import annotations

import getpass
import sys
import threading
import time

from scaletui.config.models import PlatformFile
from scaletui.errors import ConfigError, PlatformError
from scaletui.platforms.base import Inventory, InventoryHost, PlatformStatus, ProgressFn, no_progress

LOCAL_KEYS = {"user", "python", "flink"}


class LocalPlatform:
    """One host, 127.0.0.1, playing `control` (the single-machine cluster of the local Flink)."""

    can_extend = False

    def __init__(self, pf: PlatformFile, source: str = "") -> None:
        for key in pf.settings:
            if key not in LOCAL_KEYS:
                raise ConfigError(
                    f"{source or pf.platform.name}: key settings.{key} is not a known key for a local "
                    f"platform (known: {', '.join(sorted(LOCAL_KEYS))})."
                )
        self.name = pf.platform.name
        self.type = "local"
        self.user = str(pf.settings.get("user", getpass.getuser()))
        self.python = str(pf.settings.get("python", sys.executable))
        self._status = PlatformStatus(state="none", site="localhost")

    def inventory(self) -> Inventory:
        host = InventoryHost(
            name="localhost",
            address="127.0.0.1",
            user=self.user,
            cluster_role="control",
            platform_name=self.name,
            vars={"ansible_connection": "local", "ansible_python_interpreter": self.python},
        )
        return Inventory(self.name, (host,))

    def reserve(self, cancel: threading.Event, progress: ProgressFn = no_progress) -> Inventory:
        if cancel.is_set():
            raise PlatformError("reservation of the local platform was cancelled.")
        progress("this machine is ready", 1.0)
        self._status = PlatformStatus(state="running", site="localhost", started_at=time.time())
        return self.inventory()

    def status(self) -> PlatformStatus:
        return self._status

    def extend(self, seconds: int) -> PlatformStatus:
        raise PlatformError("the local platform has no walltime to extend.")

    def release(self) -> None:
        self._status = PlatformStatus(state="released", site="localhost")

    def attach(self, status: PlatformStatus) -> None:
        self._status = status

    @property
    def known_status(self) -> PlatformStatus:
        """The last state seen, without asking the testbed (for progress reports)."""
        return self._status
