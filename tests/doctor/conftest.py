"""What the doctor's tests share: a HOME of their own and a context whose PATH they choose."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaletui.doctor_context import DoctorContext, Finding


def by_name(findings: list[Finding]) -> dict[str, Finding]:
    return {f.name: f for f in findings}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def context(home: Path, path: str, **env: str) -> DoctorContext:
    return DoctorContext(env={"PATH": path, "HOME": str(home), **env}, cache_dir=home / "cache")
