"""Load and save the session: atomic writes, a backup of the last good file, schema migrations, no secrets.

A corrupt or invalid file is never overwritten: loading it raises a ConfigError naming the file and key, and the
caller decides (the app offers to start fresh under a new name; the file stays for the user to inspect).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import tomli_w
from pydantic import ValidationError

from scaletui.atomic_file import atomic_write
from scaletui.config.errors import from_validation, read_toml
from scaletui.errors import ConfigError
from scaletui.session.model import SCHEMA_VERSION, Session

log = logging.getLogger(__name__)
SECRET_KEY = re.compile(r"(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential)s?$", re.I)

Migration = Callable[[dict[str, Any]], dict[str, Any]]
# MIGRATIONS[n] turns a schema-n document into a schema-(n+1) one; add one per schema change.
MIGRATIONS: dict[int, Migration] = {}


def migrate(doc: dict[str, Any], path: Path | str = "session") -> dict[str, Any]:
    version = doc.get("schema_version", 1)
    if not isinstance(version, int) or version < 1:
        raise ConfigError(f"{path}: key schema_version expected a positive integer, got {version!r}.")
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"{path}: key schema_version is {version}, newer than this scaletui understands ({SCHEMA_VERSION}).",
            "Upgrade scaletui, or open another session.",
        )
    while version < SCHEMA_VERSION:
        doc = MIGRATIONS[version](dict(doc))
        version += 1
        doc["schema_version"] = version
    return doc


def strip_none(value: Any) -> Any:
    """TOML has no null: drop None values, recursively."""
    if isinstance(value, dict):
        return {k: strip_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_none(v) for v in value if v is not None]
    return value


def find_secret(value: Any, where: str = "") -> str | None:
    """The key path of the first secret-looking key, or None."""
    if isinstance(value, dict):
        for k, v in value.items():
            path = f"{where}.{k}" if where else str(k)
            if SECRET_KEY.search(str(k)):
                return path
            hit = find_secret(v, path)
            if hit:
                return hit
    elif isinstance(value, list):
        for i, v in enumerate(value):
            hit = find_secret(v, f"{where}[{i}]")
            if hit:
                return hit
    return None


def dumps(session: Session) -> str:
    doc = strip_none(session.model_dump(mode="json"))
    secret = find_secret(doc)
    if secret:
        raise ConfigError(f"session {session.name}: key {secret} looks like a secret and is never saved.")
    return tomli_w.dumps(doc)


def loads(text: str, path: Path | str = "session") -> Session:
    import tomllib

    from scaletui.config.errors import from_toml

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise from_toml(path, e) from None
    return _validate(doc, path)


def _validate(doc: dict[str, Any], path: Path | str) -> Session:
    doc = migrate(doc, path)
    try:
        return Session.model_validate(doc)
    except ValidationError as e:
        raise from_validation(path, e) from None


T = TypeVar("T")
SessionListener = Callable[[Session, frozenset[str]], None]
PARTS: tuple[str, ...] = tuple(Session.model_fields)


class SessionStore:
    """The live session behind a lock, and the only writer of its file.

    `update` applies a change in memory at once (every reader sees it) and tells listeners which top-level parts
    changed; the file is written by a background thread at most every `min_interval_s`, so a burst of changes is
    one write and no caller (the UI thread included) waits on the disk. `durable=True` returns only once the change
    is on disk: the fault ledger's write-ahead and a reservation's job id need that. The file is
    `<dir>/session.toml`; `session.toml.bak` holds the previous good version.
    """

    FILE = "session.toml"

    def __init__(self, directory: Path, session: Session, min_interval_s: float = 0.25) -> None:
        self.directory = directory
        self.path = directory / self.FILE
        self.backup = self.backup_in(directory)
        self.min_interval_s = min_interval_s
        self._session = session
        self._lock = threading.RLock()
        self._listeners: list[SessionListener] = []
        self._changed = threading.Condition(threading.Lock())
        self._version = 0
        self._written = 0
        self._write_lock = threading.Lock()
        self._ours: tuple[int, int, int] | None = None
        self._writer: threading.Thread | None = None
        self._closed = False
        self.writes = 0
        """Files written since open (the coalescing shows in writes per minute)."""
        self.write_seconds = 0.0
        """Time spent writing the file, all of it off the callers' threads unless they asked for durability."""

    @classmethod
    def backup_in(cls, directory: Path) -> Path:
        """The last good copy of the session file, kept beside it."""
        return directory / (cls.FILE + ".bak")

    @classmethod
    def open(cls, directory: Path, name: str | None = None) -> SessionStore:
        """Open the session in `directory`, creating a new one if there is no file yet.

        Raises ConfigError, leaving the bad file in place, when the file exists but cannot be used.
        """
        path = directory / cls.FILE
        if path.exists():
            backup = cls.backup_in(directory)
            hint = f"Fix the line named, or go back to the last good copy: cp {backup} {path}"
            session = _validate(read_toml(path, hint if backup.exists() else "Fix the line named."), path)
        else:
            session = Session(name=name or directory.name)
        store = cls(directory, session)
        if path.exists():
            store._ours = _identity(path)
        else:
            store.save()
        return store

    @property
    def session(self) -> Session:
        """A deep copy, safe to read from any thread."""
        with self._lock:
            return self._session.model_copy(deep=True)

    def read(self, pick: Callable[[Session], T]) -> T:
        """`pick` applied to the live session under the lock: for hot readers that need one part, not a copy of
        the whole session. `pick` must copy what it returns."""
        with self._lock:
            return pick(self._session)

    def on_change(self, listener: SessionListener) -> Callable[[], None]:
        """Call `listener(snapshot, parts)` after every change; returns a function that removes it."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def update(self, change: Callable[[Session], Any], *, durable: bool = False) -> Session:
        """Apply `change` to a copy, validate it and refuse secrets, then publish; the file follows (at once when
        `durable`). A failing change leaves the session as it was."""
        with self._lock:
            before = self._session
            draft = before.model_copy(deep=True)
            try:
                change(draft)
                checked = Session.model_validate(draft.model_dump())
            except ValidationError as e:
                raise from_validation(self.path, e) from None
            secret = find_secret(checked.model_dump(mode="json"))
            if secret:
                raise ConfigError(f"session {checked.name}: key {secret} looks like a secret and is never saved.")
            parts = frozenset(p for p in PARTS if getattr(before, p) != getattr(checked, p))
            if not parts:
                return checked.model_copy(deep=True)
            self._session = checked
            snapshot = checked.model_copy(deep=True)
            with self._changed:
                self._version += 1
                self._changed.notify()
        if durable:
            self.save()
        else:
            self._ensure_writer()
        for listener in list(self._listeners):
            listener(snapshot, parts)
        return snapshot

    def save(self) -> None:
        """Write the session now if the file is behind (on close, and for durable changes)."""
        with self._write_lock:
            with self._lock:
                version, text = self._version, dumps(self._session)
            if version == self._written and self._ours is not None:
                return
            began = time.perf_counter()
            self._write(text)
            self.write_seconds += time.perf_counter() - began
            self.writes += 1
            with self._changed:
                self._written = max(self._written, version)
                self._changed.notify_all()

    def close(self) -> None:
        """Write what is pending and stop the writer thread."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._writer is not None:
            self._writer.join(timeout=10)
        self.save()

    def _ensure_writer(self) -> None:
        if self._writer is None or not self._writer.is_alive():
            with self._changed:
                if self._closed:
                    return
            self._writer = threading.Thread(target=self._write_loop, name="session-writer", daemon=True)
            self._writer.start()

    def _write_loop(self) -> None:
        last = 0.0
        while True:
            with self._changed:
                while self._version == self._written and not self._closed:
                    self._changed.wait()
                if self._closed:
                    return
            wait = last + self.min_interval_s - time.monotonic()
            if wait > 0:
                with self._changed:
                    self._changed.wait_for(lambda: self._closed, timeout=wait)
            try:
                self.save()
            except Exception:
                log.exception("saving the session %s failed", self.path)
                with self._changed:  # retried at the next change, not in a tight loop
                    self._changed.wait_for(lambda: self._closed, timeout=1.0)
            last = time.monotonic()

    def _write(self, text: str) -> None:
        """Set a damaged file aside, keep the last good one as the backup (a hard link: no copy), write atomically.

        The file is re-read only when it is not the one this store wrote last (someone edited or damaged it)."""
        if self.path.exists():
            current = _identity(self.path)
            good = current == self._ours
            if not good:
                try:
                    _validate(read_toml(self.path), self.path)
                    good = True
                except ConfigError:
                    # Damaged behind our back: keep it aside for the user, never over the last good backup.
                    self.path.rename(self.path.with_name(f"{self.FILE}.corrupt-{int(time.time())}"))
            if good:
                link = self.backup.with_name(f".{self.backup.name}.tmp")
                link.unlink(missing_ok=True)
                os.link(self.path, link)
                os.replace(link, self.backup)
        atomic_write(self.path, text)
        self._ours = _identity(self.path)


def _identity(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_ino, st.st_mtime_ns, st.st_size


class UnknownSession(ConfigError):
    """A session name with no session file: a verb that only acts on (or reads) a session refuses it rather than
    make an empty one of a typo."""


def refuse_unknown_session(session_dir: Path) -> None:
    """UnknownSession naming the sessions there are when `session_dir` holds no session file."""
    if (session_dir / SessionStore.FILE).is_file():
        return
    root = session_dir.parent
    names = session_names(root)
    there = sessions_there(names)
    raise UnknownSession(
        f"No session named {session_dir.name} in {root}; {there}.",
        "Name one with --session NAME." if names else "provision PLATFORM (or the app) starts one.",
    )


def session_names(root: Path) -> list[str]:
    """The sessions under `root` (the settings' sessions directory), by name."""
    return sorted(p.name for p in root.iterdir() if (p / SessionStore.FILE).is_file()) if root.is_dir() else []


def sessions_there(names: list[str]) -> str:
    """The end of a sentence refusing a session name: the sessions there are, or that there is none yet."""
    return f"its sessions: {', '.join(names)}" if names else "there is no session yet"
