"""pytest plugin: the platform session runs the tests that share a machine-wide platform together, and stops the
shared Flink cluster after the last of them (registered in tests/conftest.py)."""

from __future__ import annotations

import pytest

LAST_FLINK_USER = pytest.StashKey[bool]()

SHARED_RUNS = ({"flink_cluster", "flink_job"}, {"standin"})
"""The machine-wide shared platforms, in the order the platform session runs their tests: the local Flink cluster
(tests/plugins/flink.py) first, the K3S stand-in (tests/testbed/conftest.py) last; the tests that use neither run
between them."""


def _shares(item: pytest.Item, fixtures: set[str]) -> bool:
    asked = {name for mark in item.iter_markers("asks_for") for name in mark.args}
    return bool(fixtures & (set(getattr(item, "fixturenames", ())) | asked))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The selected tests that share the local Flink cluster first, then those that share neither, then those that
    share the K3S stand-in (each keeping its order): the shared cluster stops after its last test instead of idling
    its JVMs through the rest of the session (~0.2 of a core), and the stand-in starts for its own."""
    flink, standin = SHARED_RUNS
    items.sort(key=lambda item: 0 if _shares(item, flink) else 2 if _shares(item, standin) else 1)
    users = [item for item in items if _shares(item, flink)]
    if users:
        users[-1].stash[LAST_FLINK_USER] = True


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """After pytest's own teardown, so the test's function fixtures (flink_job cancels its job) are done with it."""
    if item.stash.get(LAST_FLINK_USER, False):
        from tests.plugins.flink import release_shared_cluster

        release_shared_cluster()
