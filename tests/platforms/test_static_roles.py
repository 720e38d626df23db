"""Static hosts' roles: a host's own `role` counts against `[roles]`, the others take what is still asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaletui.config.loader import load_platform
from scaletui.errors import ConfigError
from scaletui.platforms.enos_dicts import static_dict
from tests.platforms.conftest import platform_file

SHIPPED = Path(__file__).parents[2] / "conf" / "platforms" / "static.toml"


def roles_of(hosts: list[dict[str, object]], **roles: int) -> list[str]:
    pf = platform_file("Static", {"hosts": hosts}, **roles)
    return [m["roles"][0] for m in static_dict(pf, "x.toml").data["resources"]["machines"]]


def test_shipped_static_file_gives_one_control_one_producer_one_worker() -> None:
    machines = static_dict(load_platform(SHIPPED), str(SHIPPED)).data["resources"]["machines"]
    assert [(m["alias"], m["roles"][0]) for m in machines] == [
        ("node-1", "control"),
        ("node-2", "producers"),
        ("node-3", "workers"),
    ]


@pytest.mark.parametrize(
    ("hosts", "roles", "expected"),
    [
        # an explicit role late in the list still takes its count: the earlier hosts do not take it first
        (
            [{}, {}, {"role": "control"}],
            {"control": 1, "producers": 1, "workers": 1},
            ["producers", "workers", "control"],
        ),
        # explicit roles beyond their count leave the other counts alone
        (
            [{"role": "workers"}, {"role": "workers"}, {}],
            {"control": 1, "workers": 1},
            ["workers", "workers", "control"],
        ),
        # hosts beyond every count are workers
        ([{"role": "control"}, {}, {}], {"control": 1, "consumers": 1}, ["control", "consumers", "workers"]),
        # no explicit role: [roles] in order
        ([{}, {}, {}], {"control": 1, "producers": 1, "consumers": 1}, ["control", "producers", "consumers"]),
    ],
)
def test_explicit_roles_are_taken_out_of_the_counts(
    hosts: list[dict[str, object]], roles: dict[str, int], expected: list[str]
) -> None:
    addressed = [{"address": f"10.0.0.{i}", **h} for i, h in enumerate(hosts, 1)]
    assert roles_of(addressed, **roles) == expected


def test_an_unknown_role_names_its_host_key() -> None:
    with pytest.raises(ConfigError, match=r"settings.hosts\[1\].role expected one of control"):
        roles_of([{"address": "10.0.0.1"}, {"address": "10.0.0.2", "role": "boss"}], control=1)
