"""Compile the workload job (Java source shipped in this package) against Flink's jars, once per source hash.

The jar is cached as `<cache>/jobs/workload-<hash>.jar`; the hash covers the source, the Flink version and the
compiler's version, so a change to any of them builds a new jar and an unchanged setup never recompiles.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import zipfile
from pathlib import Path

from scaletui.errors import PlatformError
from scaletui.flink.install import FlinkHome, require_javac

SOURCE = Path(__file__).parent / "job" / "WorkloadJob.java"
MAIN_CLASS = "WorkloadJob"
JAVA_RELEASE = "11"
_build_lock = threading.Lock()


def source_hash(home: FlinkHome, source: Path = SOURCE) -> str:
    digest = hashlib.sha256(source.read_bytes())
    digest.update(f"|flink={home.version}|release={JAVA_RELEASE}".encode())
    return digest.hexdigest()[:16]


def workload_jar(home: FlinkHome, cache_dir: Path | str, source: Path = SOURCE) -> Path:
    """The compiled workload jar, building it with javac if this source has not been built yet."""
    jobs = Path(cache_dir).expanduser() / "jobs"
    stem = source.stem.lower()
    jar = jobs / f"{stem}-{source_hash(home, source)}.jar"
    with _build_lock:
        if jar.is_file():
            return jar
        javac = require_javac(home)
        jobs.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="scaletui-javac-") as tmp:
            classes = Path(tmp) / "classes"
            classes.mkdir()
            cmd = [
                str(javac), "--release", JAVA_RELEASE, "-nowarn", "-encoding", "UTF-8",
                "-cp", f"{home.lib}/*", "-d", str(classes), str(source),
            ]  # fmt: skip
            try:
                result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            except subprocess.TimeoutExpired:
                raise PlatformError(
                    f"javac took over 5 minutes on {source.name}.", "Retry on a less busy machine."
                ) from None
            if result.returncode != 0:
                first = (result.stderr or result.stdout).strip().splitlines()[:6]
                raise PlatformError(
                    f"javac could not compile {source.name} against Flink {home.version}: " + " / ".join(first),
                    "Check that FLINK_HOME is Flink 2.x and the source is intact.",
                )
            partial = Path(tmp) / jar.name  # another process may build the same jar: each writes its own, then renames
            _write_jar(classes, partial, source.stem)
            shutil.move(str(partial), jar.with_name(f".{jar.name}.{os.getpid()}"))
            os.replace(jar.with_name(f".{jar.name}.{os.getpid()}"), jar)
    return jar


def _write_jar(classes: Path, target: Path, main_class: str) -> None:
    """A jar is a zip with a manifest first; writing it here spares us from needing the `jar` tool."""
    manifest = f"Manifest-Version: 1.0\r\nMain-Class: {main_class}\r\nCreated-By: scaletui\r\n\r\n"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as jar:
        jar.writestr("META-INF/MANIFEST.MF", manifest)
        for path in sorted(classes.rglob("*.class")):
            jar.write(path, path.relative_to(classes).as_posix())
