"""One scaletui per session: an exclusive advisory lock held for as long as an Engine has the session open.

Two processes on one session took each other's Flink for a crash's leftovers (and stopped or adopted it) and both
rewrote session.toml. The lock (`flock` on `<session>/session.lock`, which names its owner's pid and what it is) is
released on close, and by the OS when the owner dies, so a crash still lets the next scaletui in and its crash
recovery runs as before. `flock` locks belong to an open file description: a second open in the same process is
refused as well.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from scaletui.errors import PlatformError

LOCK_FILE = "session.lock"


class SessionBusy(PlatformError):
    """The session is open in another scaletui (exit code 3: the session could not be had)."""


class SessionLock:
    """Held from `acquire` until `release` (or the process's end)."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def acquire(cls, session_dir: Path, name: str, owner: str) -> SessionLock:
        """Take the session or raise SessionBusy naming the scaletui that has it. `owner` says what this one is:
        "the app", "--script FILE", "scalability FILE"..."""
        path = session_dir / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise SessionBusy(
                f"Session {name} is open in another scaletui ({holder}).",
                "Use --session NAME to run beside it, or close that one first.",
            ) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n{owner}\n".encode(), 0)
        return cls(fd, path)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Let the next scaletui in. The file stays: removing it could split two openers onto two files."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the last descriptor of this open file releases the lock


def _holder(fd: int) -> str:
    """'pid 1234, --script FILE' from the lock file; the owner may not have written it yet."""
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
    except OSError:
        text = ""
    pid, _, what = text.partition("\n")
    what = what.strip()
    if not pid.strip().isdigit():
        return "starting up"
    return f"pid {pid.strip()}, {what}" if what else f"pid {pid.strip()}"
