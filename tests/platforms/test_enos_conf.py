"""Every EnosLib platform's configuration, built offline with the real EnosLib classes, valid and invalid.

Grid5000-based configurations resolve cluster -> site through the API at `from_dictionary`, so their full build
runs against the HTTP-level fake of the Grid5000 API (tests/fakes/g5k.py) on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt

import pytest

from scaletui.errors import ConfigError
from scaletui.platforms.enos_conf import build_configuration, check_configuration
from tests.fakes.g5k import FakeGrid5000
from tests.platforms.conftest import platform_file

VALID = {
    "Grid5000": {
        "site": "rennes",
        "cluster": "paravance",
        "walltime": "2h",
        "queue": "default",
        "reservation": dt.datetime(2030, 1, 31, 19, 0, 0),
        "job_type": ["day"],
    },
    "VagrantG5k": {"site": "rennes", "cluster": "paravance", "walltime": "01:30:00", "vms_per_node": 2},
    "VMonG5k": {"cluster": "paravance", "walltime": "3h", "flavour_desc": {"core": 2, "mem": 4096}},
    "Chameleon": {"key_name": "mykey", "flavour": "compute_skylake", "walltime": "4h", "image": "CC-Ubuntu22.04"},
    "FIT": {"site": "grenoble", "archi": "a8:at86rf231", "walltime": "90m"},
    "Static": {
        "hosts": [{"address": "10.0.0.1"}, {"address": "10.0.0.2", "port": 2222}, {"address": "10.0.0.3"}],
        "user": "ubuntu",
    },
}


@pytest.mark.parametrize("kind", sorted(VALID))
def test_valid_configuration_passes_enoslib_schema(kind: str) -> None:
    pd = check_configuration(platform_file(kind, VALID[kind]), "x.toml")
    machines = pd.data["resources"]["machines"]
    assert sum(m.get("nodes", m.get("number", 1)) for m in machines) >= 2


@pytest.mark.parametrize("kind", ["VMonG5k", "Chameleon", "FIT", "Static"])
def test_offline_providers_build_the_real_configuration_object(kind: str) -> None:
    conf = build_configuration(platform_file(kind, VALID[kind]), "x.toml")
    assert type(conf).__name__ == "Configuration"
    assert type(conf).__module__.startswith("enoslib.infra.")
    roles = {r for m in conf.machines for r in m.roles}
    assert {"control", "workers"} <= roles


def test_walltime_converted_to_each_provider_format() -> None:
    assert check_configuration(platform_file("Grid5000", VALID["Grid5000"])).data["walltime"] == "02:00:00"
    assert check_configuration(platform_file("FIT", VALID["FIT"])).data["walltime"] == "01:30"
    g5k = check_configuration(platform_file("Grid5000", VALID["Grid5000"])).data
    assert g5k["reservation"] == "2030-01-31 19:00:00"


INVALID = [
    ("Grid5000", {"site": "rennes", "cluster": "paravance", "walltime": "two hours"}, "settings.walltime", "02:00:00"),
    ("Grid5000", {"site": "rennes", "cluster": "paravance", "queue": "fast"}, "settings.queue", "'production'"),
    (
        "Grid5000",
        {"site": "rennes", "cluster": "paravance", "reservation": "tomorrow"},
        "settings.reservation",
        "2026-01-31",
    ),
    (
        "Grid5000",
        {"site": "rennes", "cluster": "paravance", "networks": [{"id": "n1", "type": "kavlan-huge", "roles": ["r"]}]},
        "settings.networks[0].type",
        "kavlan-local",
    ),
    ("Grid5000", {"site": "rennes"}, "settings.cluster", "missing"),
    ("Grid5000", {"site": "rennes", "cluster": "paravance", "walltme": "1h"}, "settings.walltme", "not a known key"),
    ("VMonG5k", {"cluster": "paravance", "flavour": "huge"}, "settings.flavour", "'large'"),
    ("VMonG5k", {"cluster": "paravance", "vcore_type": "hyper"}, "settings.vcore_type", "'thread'"),
    ("Chameleon", {"key_name": 42}, "settings.key_name", "string"),
    ("Chameleon", {"flavour": "compute_skylake"}, "settings.key_name", "missing"),
    ("FIT", {"site": "grenoble", "archi": "a8:at86rf231", "walltime": "soon"}, "settings.walltime", "walltime"),
    ("Static", {"hosts": [{"address": "10.0.0.1", "port": "22"}]}, "settings.hosts[0].port", "number"),
    ("Static", {"hosts": [{"adress": "10.0.0.1"}]}, "settings.hosts[0].adress", "not a known key"),
    ("Static", {"hosts": [{"address": "10.0.0.1", "role": "boss"}]}, "settings.hosts[0].role", "control"),
]


@pytest.mark.parametrize(("kind", "settings", "key", "expected"), INVALID)
def test_invalid_configuration_is_one_sentence_naming_the_toml_key(
    kind: str, settings: dict, key: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as err:
        check_configuration(platform_file(kind, settings), "conf/platforms/p.toml")
    message = err.value.message
    assert message.startswith("conf/platforms/p.toml: key ")
    assert f"key {key} " in message
    assert expected in message
    assert message.count("\n") == 0


def test_no_role_at_all_is_refused() -> None:
    pf = platform_file("Chameleon", {"key_name": "k"}, control=0)
    with pytest.raises(ConfigError, match="key roles asks for no machine"):
        check_configuration(pf)


def test_g5k_build_resolves_the_cluster_site_through_the_api(g5k_api: FakeGrid5000) -> None:
    conf = build_configuration(platform_file("Grid5000", VALID["Grid5000"]), "x.toml")
    assert type(conf).__module__ == "enoslib.infra.enos_g5k.configuration"
    assert {m.site for m in conf.machines} == {"rennes"}
    assert "origin=enoslib_g5k" in conf.job_type
    assert any(r.path == "/stable/sites/rennes/clusters" for r in g5k_api.requests)


def test_g5k_unknown_cluster_names_the_key(g5k_api: FakeGrid5000) -> None:
    with pytest.raises(ConfigError, match=r"key settings.cluster names 'paradise'"):
        build_configuration(platform_file("Grid5000", {"site": "rennes", "cluster": "paradise"}), "x.toml")


def test_g5k_cluster_on_another_site_names_the_key(g5k_api: FakeGrid5000) -> None:
    with pytest.raises(ConfigError, match=r"'dahu' is on site 'grenoble', not on settings.site 'rennes'"):
        build_configuration(platform_file("Grid5000", {"site": "rennes", "cluster": "dahu"}), "x.toml")


def test_g5k_deploy_without_env_name_is_refused_by_finalize(g5k_api: FakeGrid5000) -> None:
    pf = platform_file("Grid5000", {"site": "rennes", "cluster": "paravance", "job_type": ["deploy"]})
    with pytest.raises(ConfigError, match=r"key settings.env_name is refused by EnosLib: Parameter 'env_name'"):
        build_configuration(pf, "x.toml")
