"""Operator names and metric scopes from Flink's vertex names (as Flink 2.3 prints them for the workload job)."""

import pytest

from scaletui.flink.job_graph import job_info, keyed_vertices, metric_scope, operator_name


@pytest.mark.parametrize(
    ("vertex", "name"),
    [("Source: source", "source"), ("parse", "parse"), ("sink: Writer", "sink"), ("parse -> Sink: out", "parse")],
)
def test_operator_name(vertex: str, name: str) -> None:
    assert operator_name(vertex) == name


def test_metric_scope_matches_flink() -> None:
    assert metric_scope("sink: Writer") == "sink__Writer"
    assert metric_scope("Source: source") == "Source__source"


def test_job_info_from_rest_reply() -> None:
    detail = {
        "jid": "j1",
        "name": "scaletui-workload",
        "state": "RUNNING",
        "vertices": [
            {"id": "a", "name": "Source: source", "parallelism": 1, "maxParallelism": 32},
            {"id": "b", "name": "window", "parallelism": 2, "maxParallelism": 32},
        ],
    }
    plan = {"nodes": [{"id": "a"}, {"id": "b", "inputs": [{"ship_strategy": "HASH"}]}]}
    info = job_info(detail, keyed_vertices(plan))
    assert info.parallelism == {"source": 1, "window": 2}
    assert info.operator("source").is_source and not info.operator("window").is_source
    assert info.operator("window").keyed_input and not info.operator("source").keyed_input


def test_local_platform_settings() -> None:
    from scaletui.errors import ConfigError
    from scaletui.flink.cluster_config import settings_from_platform

    s = settings_from_platform({"slots_per_taskmanager": 4, "taskmanager_memory": "2g", "flink_conf": {"a.b": 1}})
    assert s.slots_per_taskmanager == 4 and s.taskmanager_memory == "2g" and s.extra == {"a.b": "1"}
    with pytest.raises(ConfigError, match="settings.flink.rest_port expected an integer"):
        settings_from_platform({"rest_port": 80}, "local.toml")
    with pytest.raises(ConfigError, match="settings.flink.slots is not a local platform setting"):
        settings_from_platform({"slots": 2}, "local.toml")
