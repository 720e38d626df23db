"""The Scalehub importer on a realistic INI (the shape of ark-sys/scalehub's conf/provision and conf/experiment
files): two platforms, an experiment with a scaling schedule, chaos, and two secrets that must not be copied."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scaletui.config.loader import load_experiment, load_platform
from scaletui.config.units import parse_duration
from scaletui.errors import ConfigError
from scaletui.scalehub import import_scalehub, plan_import
from scaletui.scalehub.experiment import human_duration
from scaletui.scalehub.ini import ScalehubIni

FIXTURES = Path(__file__).parent.parent / "fixtures" / "scalehub"
INI = FIXTURES / "rennes_bm_vms.ini"
SECRETS = ("hunter2", "minio123")


@pytest.fixture
def imported(tmp_path: Path):
    conf = tmp_path / "conf"
    plan = import_scalehub(INI, conf)
    return conf, plan


def test_writes_one_file_per_platform_and_experiment(imported) -> None:
    conf, plan = imported
    names = sorted(str(p.relative_to(conf)) for p in plan.written)
    assert names == [
        "experiments/rennes_bm_vms.toml",
        "platforms/g5k_rennes.toml",
        "platforms/g5k_rennes_vms.toml",
    ]
    assert all(p.read_text().startswith(f"# Imported from {INI.resolve()}") for p in plan.written)


def test_written_files_revalidate_with_the_loader(imported) -> None:
    conf, _ = imported
    bare = load_platform(conf / "platforms" / "g5k_rennes.toml")
    assert (bare.platform.type, bare.roles.control, bare.roles.producers, bare.roles.consumers) == ("Grid5000", 1, 3, 4)
    assert bare.settings == {
        "job_name": "scalehub_rennes_baremetal",
        "site": "rennes",
        "cluster": "parasilo",
        "queue": "default",
        "walltime": "02:00:00",
    }
    vms = load_platform(conf / "platforms" / "g5k_rennes_vms.toml")
    assert vms.platform.type == "VMonG5k"
    assert vms.roles.consumers == 7 and vms.roles.control == 0
    assert vms.settings["flavour_desc"] == {"core": 2, "mem": 4096, "disk": 10}

    exp = load_experiment(conf / "experiments" / "rennes_bm_vms.toml")
    assert exp.experiment.platform == "g5k_rennes"
    assert exp.experiment.duration == 4 * 300  # four schedule steps, one every interval_scaling_s
    assert exp.job.window_s == 1.0 and exp.job.max_parallelism == 52
    # 175000 sensors every 1000 ms + 50000 sensors every 250 ms
    assert exp.load.profile == "constant" and exp.load.model_extra == {"rate": 375000}
    assert exp.strategy.name == "schedule" and exp.strategy.interval == 300
    assert exp.strategy.max_parallelism == 52
    [fault] = exp.faults
    assert (fault.kind, fault.at, fault.duration) == ("delay", 0, 1200)
    assert fault.params == {"latency_ms": 50, "jitter_ms": 5, "correlation": 0, "mode": "fixed-percent", "value": 70}

    # Scalehub adds TaskManagers step by step; the schedule strategy states the running total at each step.
    plan = exp.strategy.params["plan"]
    assert [step["at"] for step in plan] == ["0s", "5m", "10m", "15m"]
    assert plan[0]["taskmanagers"] == 4
    assert all(a["taskmanagers"] <= b["taskmanagers"] for a, b in zip(plan, plan[1:]))


def test_imported_schedule_builds_with_the_scaling_registry(imported) -> None:
    """The experiment's strategy table is accepted by the schedule strategy itself, not only by the file model."""
    from scaletui.scaling.registry import load_strategy as build_strategy

    conf, _ = imported
    exp = load_experiment(conf / "experiments" / "rennes_bm_vms.toml")
    strategy = build_strategy(exp.strategy, Path(__file__).parents[2] / "conf")
    assert strategy.name == "schedule"


def test_imported_fault_and_platforms_pass_their_packages_checks(imported) -> None:
    """The chaos parameter model and EnosLib's own schema (offline) accept what the importer wrote."""
    from scaletui.chaos.params import parse
    from scaletui.platforms.enos_conf import check_configuration

    conf, _ = imported
    exp = load_experiment(conf / "experiments" / "rennes_bm_vms.toml")
    assert parse("delay", exp.faults[0].params).latency_ms == 50
    for name in ("g5k_rennes", "g5k_rennes_vms"):
        data = check_configuration(load_platform(conf / "platforms" / f"{name}.toml")).data
        assert data["job_name"].startswith("scalehub_rennes")


def test_unmapped_keys_are_reported_with_reasons(imported) -> None:
    _, plan = imported
    reported = {str(u): u.reason for u in plan.unmapped}
    for key in (
        "[scalehub] inventory",
        "[platforms.g5k_rennes] kubernetes_type",
        "[platforms.g5k_rennes] start_time",
        "[platforms.g5k_rennes.enos_firewall] proto",
        "[platforms.pico] type",
        "[experiment] job_file",
        "[experiment.generators.generator1] topic",
        "[experiment.flink] fibonacci_value",
        "[experiment.transscale] monitoring_interval_s",
        "[experiment.chaos] bandwidth_rate_mbps",
    ):
        assert key in reported, key
    assert "time of day" in reported["[platforms.g5k_rennes] start_time"]
    assert "not listed" in reported["[platforms.pico] type"]
    for mapped in (
        "[platforms.g5k_rennes] site",
        "[platforms.g5k_rennes_vms] core_per_vm",
        "[experiment] name",
        "[experiment.scaling] strategy_path",
        "[experiment.generators.generator2] num_sensors",
    ):
        assert mapped not in reported, mapped
    experiment_text = (plan.files[2].path).read_text()
    assert "#   [experiment] job_file:" in experiment_text
    assert "[platforms.g5k_rennes]" not in experiment_text.split("\n\n")[0]


def test_secrets_are_never_copied(imported) -> None:
    conf, plan = imported
    reported = {str(u): u.reason for u in plan.unmapped}
    assert "secret" in reported["[platforms.g5k_rennes] g5k_password"]
    assert "secret" in reported["[experiment] minio_secret"]
    for path in conf.rglob("*.toml"):
        text = path.read_text()
        assert not any(secret in text for secret in SECRETS), path
    with pytest.raises(KeyError):
        ScalehubIni.read(INI).raw("platforms.g5k_rennes", "g5k_password")


def test_existing_files_stop_the_import_unless_forced(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    (conf / "platforms").mkdir(parents=True)
    mine = conf / "platforms" / "g5k_rennes_vms.toml"
    mine.write_text("# my own file\n")
    with pytest.raises(ConfigError, match="g5k_rennes_vms.toml already exists") as err:
        import_scalehub(INI, conf)
    assert "--force" in err.value.hint
    assert mine.read_text() == "# my own file\n"
    assert sorted(p.name for p in conf.rglob("*.toml")) == ["g5k_rennes_vms.toml"]  # all or nothing
    plan = import_scalehub(INI, conf, force=True)
    assert len(plan.written) == 3
    assert load_platform(mine).platform.type == "VMonG5k"


def test_plan_import_writes_nothing(tmp_path: Path) -> None:
    plan = plan_import(INI, tmp_path / "conf")
    assert len(plan.files) == 3 and not (tmp_path / "conf").exists()


def test_transscale_experiment_and_space_separated_platforms(tmp_path: Path) -> None:
    ini = tmp_path / "ts.ini"
    ini.write_text(
        "[platforms]\nplatforms = nancy  iot\n\n"
        "[platforms.nancy]\ntype = Grid5000\nsite = nancy\ncluster = gros\ncontrol = true\nconsumers = 2\n"
        "start_time = 2026-12-01 19:00:00\nwalltime = 1:30\n\n"
        "[platforms.iot]\ntype = FIT\nsite = grenoble\narchi = a8:at86rf231\nconsumers = 3\ncontrol = 0\n\n"
        "[experiment]\nname = Join\ntype = transscale\n\n"
        "[experiment.scaling]\nmax_parallelism = 16\nduration_s = 5400\nstrategy_path = nowhere.yaml\n\n"
        "[experiment.transscale]\nmax_parallelism = 6\nmonitoring_warmup_s = 180\nmonitoring_interval_s = 60\n\n"
        "[experiment.chaos]\nenable = false\ndelay_latency_ms = 25\n"
    )
    plan = import_scalehub(ini, tmp_path / "conf")
    assert [f.kind for f in plan.files] == ["platform", "platform", "experiment"]
    nancy = load_platform(tmp_path / "conf" / "platforms" / "nancy.toml")
    assert nancy.roles.control == 1
    assert nancy.settings["reservation"] == "2026-12-01 19:00:00"
    assert nancy.settings["walltime"] == "01:30:00"
    iot = load_platform(tmp_path / "conf" / "platforms" / "iot.toml")
    assert (iot.platform.type, iot.settings["archi"]) == ("FIT", "a8:at86rf231")
    exp = load_experiment(tmp_path / "conf" / "experiments" / "ts.toml")
    assert exp.experiment.duration == 5400
    assert exp.strategy.name == "transscale" and exp.strategy.max_parallelism == 6
    assert exp.strategy.interval == 60 and exp.strategy.params == {}
    assert exp.faults == []
    reported = {str(u): u.reason for u in plan.unmapped}
    assert "chaos disabled" in reported["[experiment.chaos] delay_latency_ms"]
    assert "transscale" in reported["[experiment.scaling] strategy_path"]
    assert "strategy.window" in reported["[experiment.transscale] monitoring_warmup_s"]


def test_old_single_platform_section(tmp_path: Path) -> None:
    """Scalehub's older conf/scalehub.ini has one [platform] section; it is named after the file."""
    ini = tmp_path / "scalehub.ini"
    ini.write_text("[platform]\ntype = Grid5000\nsite = rennes\ncluster = parasilo\nproducers = 7\nconsumers = 16\n")
    plan = import_scalehub(ini, tmp_path / "conf")
    pf = load_platform(plan.written[0])
    assert (pf.platform.name, pf.roles.producers, pf.roles.consumers) == ("scalehub", 7, 16)


def test_a_type_no_plugin_provides_is_imported_with_a_note(tmp_path: Path) -> None:
    """Scalehub's README registers `YourCustomType` in code; here a type comes from a plugin package."""
    ini = tmp_path / "custom.ini"
    ini.write_text("[platforms]\nplatforms = mine, g5k\n[platforms.mine]\ntype = YourCustomType\nproducers = 2\n"
                   "[platforms.g5k]\ntype = Grid5000\nsite = rennes\n")  # fmt: skip
    plan = import_scalehub(ini, tmp_path / "conf")
    assert len(plan.written) == 2
    (note,) = [n for n in plan.notes if "plugin" in n]
    assert note.startswith("Platform mine has type YourCustomType, which no installed plugin provides")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[platforms]\nplatforms = a, b\n[platforms.a]\ntype = Grid5000\n", r"\[platforms\] platforms names 'b'"),
        (
            "[platforms]\nplatforms = a\n[platforms.a]\ntype = Grid5000\nproducers = three\n",
            r"\[platforms.a\] producers expected a whole number",
        ),
        ("[platforms]\nplatforms = a\n[platforms.a]\nsite = rennes\n", r"\[platforms.a\] type is missing"),
        ("platform.type = Grid5000\n", "line 1 comes before any"),
        ("[scalehub]\ndebug_level = 0\n", "nothing to import"),
        (
            "[experiment]\nname = x\n[experiment.flink]\nwindow_size_ms = 0\n",
            r"window_size_ms expected a number above 0",
        ),
    ],
)
def test_malformed_ini_gives_one_sentence(tmp_path: Path, text: str, expected: str) -> None:
    ini = tmp_path / "bad.ini"
    ini.write_text(text)
    with pytest.raises(ConfigError, match=expected) as err:
        import_scalehub(ini, tmp_path / "conf")
    assert str(ini) in err.value.message and "\n" not in err.value.message
    assert not (tmp_path / "conf").exists()


def test_strategy_yaml_found_relative_to_the_ini(tmp_path: Path) -> None:
    """Scalehub points at /app/conf/experiment/strategy/x.yaml inside its container; the tail is found here."""
    shutil.copytree(FIXTURES, tmp_path / "conf" / "experiment")
    ini = tmp_path / "conf" / "experiment" / "rennes_bm_vms.ini"
    plan = plan_import(ini, tmp_path / "out")
    assert "[experiment.scaling] strategy_path" not in {str(u) for u in plan.unmapped}
    experiment = next(f for f in plan.files if f.kind == "experiment")
    assert 'name = "schedule"' in experiment.text


def test_command_prints_written_files_and_unmapped_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from scaletui.commands import import_scalehub as command

    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    args = parser.parse_args(["import-scalehub", str(INI), "--conf-dir", str(tmp_path / "conf")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "wrote platform" in out and "g5k_rennes_vms.toml" in out
    assert "[platforms.g5k_rennes] g5k_password  (a secret" in out
    assert not any(secret in out for secret in SECRETS)
    with pytest.raises(ConfigError):
        args.func(args)


@given(st.integers(min_value=0, max_value=10**7))
def test_human_duration_round_trips(seconds: int) -> None:
    assert parse_duration(human_duration(seconds)) == seconds


def test_raspberry_pi_inventory_becomes_static_hosts(tmp_path: Path) -> None:
    """Scalehub's RaspberryPi platform reads an Ansible inventory (/app/conf/pico_hosts.yaml in its container)."""
    from scaletui.platforms.enos_dicts import static_dict

    (tmp_path / "pico_hosts.yaml").write_text(
        "all:\n  children:\n    pico:\n      hosts:\n"
        "        pico-1: {ansible_host: 10.0.0.11, ansible_user: pi, ansible_password: raspberry-secret}\n"
        "        pico-2: {ansible_host: 10.0.0.12, ansible_user: pi}\n"
    )
    ini = tmp_path / "pico.ini"
    ini.write_text(
        "[platforms]\nplatforms = pico\n\n[platforms.pico]\ninventory = /app/conf/pico_hosts.yaml\n"
        "type = RaspberryPi\ncluster = pico2\nproducers = 0\nconsumers = 2\nkubernetes_type = k3s\ncontrol = 0\n"
    )
    plan = import_scalehub(ini, tmp_path / "conf")
    pf = load_platform(plan.written[0])
    assert pf.platform.type == "Static"
    assert pf.settings["hosts"] == [
        {"address": "10.0.0.11", "alias": "pico-1", "user": "pi"},
        {"address": "10.0.0.12", "alias": "pico-2", "user": "pi"},
    ]
    assert "raspberry-secret" not in plan.written[0].read_text()
    machines = static_dict(pf, "pico.toml").data["resources"]["machines"]
    assert [m["address"] for m in machines] == ["10.0.0.11", "10.0.0.12"]
    assert "[platforms.pico] cluster" in {str(u) for u in plan.unmapped}


SECTIONS = [
    "platforms",
    "platforms.a",
    "platforms.b",
    "experiment",
    "experiment.scaling",
    "experiment.generators",
    "experiment.generators.g",
    "experiment.flink",
    "experiment.transscale",
    "experiment.chaos",
    "scalehub",
]
KEYS = [
    "platforms",
    "type",
    "control",
    "producers",
    "consumers",
    "site",
    "cluster",
    "walltime",
    "start_time",
    "core_per_vm",
    "memory_per_vm",
    "inventory",
    "name",
    "duration_s",
    "max_parallelism",
    "interval_scaling_s",
    "strategy_path",
    "generators",
    "num_sensors",
    "interval_ms",
    "window_size_ms",
    "enable",
    "delay_latency_ms",
    "monitoring_interval_s",
    "password",
    "comment",
]
VALUES = st.one_of(
    st.sampled_from(
        [
            "a",
            "a, b",
            "Grid5000",
            "VMonG5k",
            "FIT",
            "RaspberryPi",
            "Custom",
            "true",
            "false",
            "0",
            "1",
            "-3",
            "2:00:00",
            "now",
            "2026-01-01 10:00:00",
            "1e3",
            "transscale",
            "resource",
            "g",
            '"x"',
        ]
    ),
    st.text(st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="[]%\n\r"), max_size=12),
)


@given(
    st.dictionaries(st.sampled_from(SECTIONS), st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6), max_size=8)
)
def test_any_ini_imports_or_gives_a_config_error(tmp_path_factory: pytest.TempPathFactory, doc: dict) -> None:
    """Hostile or half-written INIs never end in a traceback: a plan whose files all validate, or a ConfigError."""
    import tomllib

    from scaletui.config.models import Experiment, PlatformFile

    folder = tmp_path_factory.mktemp("ini")
    ini = folder / "x.ini"
    ini.write_text("".join(f"[{s}]\n" + "".join(f"{k} = {v}\n" for k, v in kv.items()) for s, kv in doc.items()))
    try:
        plan = plan_import(ini, folder / "conf")
    except ConfigError as e:
        assert e.message.startswith(str(ini)) and "\n" not in e.message
        return
    models = {"platform": PlatformFile, "experiment": Experiment}
    for planned in plan.files:
        models[planned.kind].model_validate(tomllib.loads(planned.text))
        assert "password" not in planned.text.split("\n\n", 1)[1]
