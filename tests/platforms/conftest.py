"""Fixtures for the platforms tests: platform files, and the Grid5000 fake wired into EnosLib's cached client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scaletui.config.models import PlatformFile
from tests.fakes.g5k import FakeGrid5000


def platform_file(type_: str, settings: dict[str, Any], name: str = "p", **roles: int) -> PlatformFile:
    return PlatformFile.model_validate(
        {
            "platform": {"name": name, "type": type_},
            "roles": roles or {"control": 1, "workers": 2},
            "settings": settings,
        }
    )


@pytest.fixture
def g5k_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGrid5000]:
    """The fake Grid5000 API, with HOME pointing at a ~/.python-grid5000.yaml that names it.

    EnosLib keeps one python-grid5000 client per process and caches lookups (cluster -> site, site facts), so the
    fixture resets both, then asserts the client talks to the fake and not to api.grid5000.fr.
    """
    from enoslib.infra.enos_g5k import g5k_api_utils as api

    fake = FakeGrid5000().start()
    home = tmp_path / "home"
    home.mkdir()
    (home / ".python-grid5000.yaml").write_text(fake.yaml_config())
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USER", fake.username)

    def reset() -> None:
        api._api_client = None
        for value in vars(api).values():
            if hasattr(value, "cache_clear"):
                value.cache_clear()

    reset()
    assert api.get_api_client()._uri == fake.uri
    try:
        yield fake
    finally:
        reset()
        fake.stop()
