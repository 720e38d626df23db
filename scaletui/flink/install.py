"""Flink for the local platform: FLINK_HOME if set, else the registry wheels unpacked once into the cache.

`apache-flink` carries bin/ and conf/, `apache-flink-libraries` carries lib/, opt/ and plugins/; both unpack their
`pyflink/` tree into `<cache>/flink/<version>`, which then is a plain FLINK_HOME with a VERSION file.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import threading
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from scaletui.errors import PlatformError
from scaletui.events import EventBus, Progress
from scaletui.flink import wheels

FLINK_VERSION = "2.3.0"
PROJECTS = ("apache-flink", "apache-flink-libraries")
HOME_DIRS = ("bin", "conf", "lib", "opt", "plugins", "licenses")
VERSION_FILE = "VERSION"
MIN_JAVA = 11
# Unpacked size is about the libraries wheel; keep room for the wheels, the tree and logs.
SPACE_FACTOR = 2.2


@dataclass(frozen=True)
class FlinkHome:
    """An installed Flink and the Java that runs it."""

    path: Path
    version: str
    java: Path
    javac: Path | None

    @property
    def lib(self) -> Path:
        return self.path / "lib"

    @property
    def bin(self) -> Path:
        return self.path / "bin"


def find_java(env: Mapping[str, str] | None = None) -> tuple[Path, Path | None]:
    """java (required, version >= 11) and javac (None if absent), from JAVA_HOME first, then PATH."""
    env = os.environ if env is None else env
    java_home = env.get("JAVA_HOME")
    java = javac = None
    if java_home:
        java = _executable(Path(java_home) / "bin" / "java")
        javac = _executable(Path(java_home) / "bin" / "javac")
    java = java or _which("java", env)
    javac = javac or _which("javac", env)
    if java is None:
        raise PlatformError(
            "Java was not found (no JAVA_HOME and no java on PATH); Flink needs Java 11 or newer.",
            "Install a JDK, e.g. `apt-get install -y openjdk-17-jdk-headless`, or set JAVA_HOME.",
        )
    version = java_major_version(java)
    if version is not None and version < MIN_JAVA:
        raise PlatformError(
            f"{java} is Java {version}; Flink {FLINK_VERSION} needs Java {MIN_JAVA} or newer.",
            "Install a newer JDK (e.g. openjdk-17-jdk-headless) and set JAVA_HOME to it.",
        )
    return java, javac


def require_javac(home: FlinkHome) -> Path:
    if home.javac is None:
        raise PlatformError(
            "javac was not found, so the workload job cannot be compiled (a JRE alone is not enough).",
            "Install a JDK, e.g. `apt-get install -y openjdk-17-jdk-headless`, or set JAVA_HOME to one.",
        )
    return home.javac


def java_major_version(java: Path) -> int | None:
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def _executable(path: Path) -> Path | None:
    return path if path.is_file() and os.access(path, os.X_OK) else None


def _which(name: str, env: Mapping[str, str]) -> Path | None:
    found = shutil.which(name, path=env.get("PATH"))
    return Path(found) if found else None


def flink_version_of(home: Path) -> str | None:
    """The version in the VERSION file, else from lib/flink-dist-<version>.jar."""
    recorded = home / VERSION_FILE
    if recorded.is_file():
        return recorded.read_text().strip() or None
    for jar in sorted((home / "lib").glob("flink-dist*.jar")):
        match = re.match(r"flink-dist(?:_[\d.]+)?-(.+)\.jar$", jar.name)
        if match:
            return match.group(1)
    return None


def check_home(home: Path, origin: str) -> str:
    """Raise a one-sentence PlatformError unless `home` looks like a Flink distribution; return its version."""
    missing = [p for p in ("bin/bash-java-utils.jar", "conf/config.yaml") if not (home / p).is_file()]
    if not home.is_dir():
        raise PlatformError(f"{origin} {home} is not a directory.", "Point it at an unpacked Flink, or unset it.")
    if missing or not list((home / "lib").glob("flink-dist*.jar")):
        what = ", ".join(missing) or "lib/flink-dist*.jar"
        raise PlatformError(
            f"{origin} {home} is not a Flink distribution ({what} missing).",
            "Point it at the directory that holds bin/, conf/ and lib/ of Flink 2.x, or unset it.",
        )
    version = flink_version_of(home)
    if version is None or not version.startswith("2."):
        raise PlatformError(
            f"{origin} {home} holds Flink {version or 'of unknown version'}; scaletui needs Flink 2.x.",
            f"Point it at Flink {FLINK_VERSION}, or unset it to use the cached download.",
        )
    return version


class FlinkInstall:
    """Find or fetch Flink. `ensure()` is idempotent: the download happens once per cache directory."""

    def __init__(
        self,
        cache_dir: Path | str,
        version: str = FLINK_VERSION,
        bus: EventBus | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir).expanduser()
        self.version = version
        self.bus = bus
        self.env = dict(os.environ if env is None else env)

    @property
    def home_dir(self) -> Path:
        return self.cache_dir / "flink" / self.version

    @property
    def downloads_dir(self) -> Path:
        return self.cache_dir / "flink" / "downloads"

    def installed(self) -> bool:
        return (self.home_dir / VERSION_FILE).is_file()

    def ensure(self, cancel: threading.Event | None = None) -> FlinkHome:
        """FLINK_HOME if set (checked), else the cached install, downloading and unpacking it first if needed."""
        java, javac = find_java(self.env)
        override = self.env.get("FLINK_HOME")
        if override:
            path = Path(override).expanduser()
            return FlinkHome(path, check_home(path, "FLINK_HOME"), java, javac)
        if not self.installed():
            self._install(cancel)
        return FlinkHome(self.home_dir, check_home(self.home_dir, "The cached Flink at"), java, javac)

    def _install(self, cancel: threading.Event | None) -> None:
        self.downloads_dir.mkdir(parents=True, exist_ok=True)
        index = wheels.index_url(self.env)
        with httpx.Client(timeout=httpx.Timeout(60.0, connect=20.0)) as client:
            picked = [wheels.pick_wheel(wheels.list_files(client, index, p), p, self.version) for p in PROJECTS]
            self._check_space(picked)
            files = [self._fetch(client, wheel, i, len(picked), cancel) for i, wheel in enumerate(picked)]
        self._unpack(files, cancel)
        for path in files:
            path.unlink(missing_ok=True)

    def _check_space(self, picked: list[wheels.WheelFile]) -> None:
        need = int(sum(w.size or 350_000_000 for w in picked) * SPACE_FACTOR)
        have = sum(p.stat().st_size for p in self.downloads_dir.glob("*.whl"))
        free = shutil.disk_usage(self.downloads_dir).free
        if free + have < need:
            raise PlatformError(
                f"Not enough disk space in {self.cache_dir} to install Flink: {need // 2**20} MiB needed, "
                f"{free // 2**20} MiB free.",
                "Free some space, set SCALETUI_HOME to a roomier disk, or set FLINK_HOME to an installed Flink.",
            )

    def _fetch(
        self, client: httpx.Client, wheel: wheels.WheelFile, index: int, count: int, cancel: threading.Event | None
    ) -> Path:
        step = f"download Flink {self.version}"

        def report(done: int, total: int) -> None:
            part = done / total if total else 0.0
            self._progress(step, f"{wheel.filename}: {done // 2**20} of {total // 2**20} MiB", (index + part) / count)

        return wheels.download(client, wheel, self.downloads_dir / wheel.filename, report, cancel)

    def _unpack(self, files: list[Path], cancel: threading.Event | None) -> None:
        staging = self.home_dir.with_name(self.home_dir.name + ".unpacking")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            members = []
            for path in files:
                archive = zipfile.ZipFile(path)
                members += [(archive, m) for m in archive.infolist() if _home_relative(m.filename)]
            for i, (archive, member) in enumerate(members):
                if cancel is not None and cancel.is_set():
                    raise PlatformError("Unpacking Flink was cancelled.")
                rel = _home_relative(member.filename)
                assert rel is not None
                target = staging / rel
                if member.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as src, target.open("wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                mode = member.external_attr >> 16
                if mode & 0o111 or rel.startswith("bin/"):
                    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
                if i % 20 == 0:
                    self._progress(f"unpack Flink {self.version}", rel, i / len(members))
            (staging / VERSION_FILE).write_text(self.version + "\n")
            shutil.rmtree(self.home_dir, ignore_errors=True)
            staging.rename(self.home_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._progress(f"unpack Flink {self.version}", str(self.home_dir), 1.0, done=True)

    def _progress(self, step: str, message: str, fraction: float | None, done: bool = False) -> None:
        if self.bus is not None:
            self.bus.publish(Progress(source="flink.install", step=step, message=message, fraction=fraction, done=done))


def _home_relative(name: str) -> str | None:
    """`pyflink/lib/x.jar` -> `lib/x.jar` for the directories a FLINK_HOME needs; None for the Python package."""
    parts = name.split("/")
    if len(parts) >= 2 and parts[0] == "pyflink" and parts[1] in HOME_DIRS and ".." not in parts:
        return "/".join(parts[1:]).rstrip("/") or None
    return None
