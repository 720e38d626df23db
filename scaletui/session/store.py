"""Load and save the session: atomic writes, a backup of the last good file, schema migrations, no secrets.

A corrupt or invalid file is never overwritten: loading it raises a ConfigError naming the file and key, and the
caller decides (the app offers to start fresh under a new name; the file stays for the user to inspect).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from scaletui.config.errors import from_validation, read_toml
from scaletui.errors import ConfigError
from scaletui.session.model import SCHEMA_VERSION, Session

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


def atomic_write(path: Path, text: str) -> None:
    """Temp file in the same directory, fsync, rename, fsync the directory: a crash leaves old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class SessionStore:
    """The live session behind a lock; every change goes through `update`, which saves at once.

    The file is `<dir>/session.toml`; `session.toml.bak` holds the previous good version.
    """

    FILE = "session.toml"

    def __init__(self, directory: Path, session: Session) -> None:
        self.directory = directory
        self.path = directory / self.FILE
        self.backup = directory / (self.FILE + ".bak")
        self._session = session
        self._lock = threading.RLock()
        self._listeners: list[Callable[[Session], None]] = []

    @classmethod
    def open(cls, directory: Path, name: str | None = None) -> SessionStore:
        """Open the session in `directory`, creating a new one if there is no file yet.

        Raises ConfigError, leaving the bad file in place, when the file exists but cannot be used.
        """
        path = directory / cls.FILE
        if path.exists():
            session = _validate(read_toml(path), path)
        else:
            session = Session(name=name or directory.name)
        store = cls(directory, session)
        if not path.exists():
            store.save()
        return store

    @property
    def session(self) -> Session:
        """A deep copy, safe to read from any thread."""
        with self._lock:
            return self._session.model_copy(deep=True)

    def on_change(self, listener: Callable[[Session], None]) -> Callable[[], None]:
        """Call `listener` with a snapshot after every change; returns a function that removes it."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def update(self, change: Callable[[Session], Any]) -> Session:
        """Apply `change` to a copy, validate, save, then publish; a failing change leaves the session as it was."""
        with self._lock:
            draft = self._session.model_copy(deep=True)
            try:
                change(draft)
                checked = Session.model_validate(draft.model_dump())
            except ValidationError as e:
                raise from_validation(self.path, e) from None
            self._write(checked)
            self._session = checked
            snapshot = checked.model_copy(deep=True)
        for listener in list(self._listeners):
            listener(snapshot)
        return snapshot

    def save(self) -> None:
        with self._lock:
            self._write(self._session)

    def _write(self, session: Session) -> None:
        """Refuse secrets first, set a damaged file aside, back up the last good file, then write atomically."""
        with self._lock:
            text = dumps(session)
            if self.path.exists():
                try:
                    _validate(read_toml(self.path), self.path)
                except ConfigError:
                    # Damaged behind our back: keep it aside for the user, never over the last good backup.
                    self.path.rename(self.path.with_name(f"{self.FILE}.corrupt-{int(time.time())}"))
                else:
                    shutil.copy2(self.path, self.backup)
            atomic_write(self.path, text)
