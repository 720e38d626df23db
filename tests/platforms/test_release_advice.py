"""A failed release points at the testbed's web interface only when the testbed's API was what failed."""

from __future__ import annotations

import pytest
import requests

from scaletui.errors import PlatformError
from scaletui.platforms.enos import EnosPlatform
from tests.platforms.conftest import platform_file


class RefusingProvider:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def destroy(self, wait: bool) -> None:
        raise self.error


def release_error(error: Exception) -> PlatformError:
    platform = EnosPlatform(platform_file("Grid5000", {"site": "rennes", "cluster": "paravance"}, name="g5k"))
    platform._provider = RefusingProvider(error)
    with pytest.raises(PlatformError) as raised:
        platform.release()
    return raised.value


def test_a_local_failure_does_not_blame_the_testbed() -> None:
    error = release_error(ValueError("file descriptor cannot be a negative integer (-1)"))
    assert error.message == "Grid5000 could not release g5k: file descriptor cannot be a negative integer (-1)."
    assert "web interface" not in error.hint and "from this machine" in error.hint


@pytest.mark.parametrize(
    "cause", [requests.ConnectionError("api.grid5000.fr unreachable"), TimeoutError("read timed out")]
)
def test_an_api_failure_points_at_the_web_interface(cause: Exception) -> None:
    assert "web interface" in release_error(cause).hint
