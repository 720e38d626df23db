"""The workload job compiles with javac against Flink's jars, once per source hash."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from scaletui.errors import PlatformError
from scaletui.flink.install import FlinkHome
from scaletui.workload.jobjar import SOURCE, workload_jar


def test_builds_once_and_caches_by_source_hash(flink_home: FlinkHome, tmp_path: Path) -> None:
    jar = workload_jar(flink_home, tmp_path)
    with zipfile.ZipFile(jar) as z:
        assert "Main-Class: WorkloadJob" in z.read("META-INF/MANIFEST.MF").decode()
        assert "WorkloadJob$FileRateLimiter.class" in z.namelist()
    built = jar.stat().st_mtime_ns
    assert workload_jar(flink_home, tmp_path) == jar and jar.stat().st_mtime_ns == built
    changed = tmp_path / "WorkloadJob.java"
    changed.write_text(SOURCE.read_text() + "\n// changed\n")
    assert workload_jar(flink_home, tmp_path, changed) != jar


def test_broken_source_is_one_sentence(flink_home: FlinkHome, tmp_path: Path) -> None:
    broken = tmp_path / "WorkloadJob.java"
    broken.write_text("public final class WorkloadJob { oops }\n")
    with pytest.raises(PlatformError, match="javac could not compile WorkloadJob.java against Flink 2.3.0"):
        workload_jar(flink_home, tmp_path / "cache", broken)
