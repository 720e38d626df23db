"""Trace files: the CSV round trip, scaletui and ScroogeVM JSON, and one clear sentence for each bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scaletui.capacity.config import CapacityConfig
from scaletui.capacity.offline import replay, score
from scaletui.capacity.traces import NodeSeries, Trace, load_trace, write_csv
from scaletui.errors import ConfigError


def test_csv_round_trip(tmp_path: Path):
    trace = Trace(
        "mem",
        {
            "a": NodeSeries("a", (0.0, 1.5), (1.25, None), (2e9, 3e9), 8.0, 16e9, 4.0, None),
            "b": NodeSeries("b", (0.0,), (0.5,), (None,), 2.0, None, None, None),
        },
    )
    back = load_trace(write_csv(trace, tmp_path / "t.csv"))
    assert back.nodes["a"] == trace.nodes["a"] and back.nodes["b"] == trace.nodes["b"]


def test_csv_rows_may_interleave_nodes_and_come_out_of_order(tmp_path: Path):
    p = tmp_path / "t.csv"
    p.write_text("node,ts,cpu_cores,memory_bytes,cpu_total\nb,5,1,,4\na,2,2,,8\na,1,1,,8\n")
    trace = load_trace(p)
    assert trace.nodes["a"].ts == (1.0, 2.0) and trace.nodes["a"].cpu == (1.0, 2.0)
    assert trace.nodes["b"].cpu_total == 4.0 and trace.nodes["b"].memory == (None,)


def test_scaletui_json(tmp_path: Path):
    p = tmp_path / "t.json"
    p.write_text(json.dumps({"nodes": {"w": {"ts": [0, 1], "cpu_cores": [1, 2], "cpu_total": 4, "booked_cpu": 2}}}))
    series = load_trace(p).nodes["w"]
    assert series.cpu == (1.0, 2.0) and series.memory == (None, None) and series.booked_cpu == 2.0


def scroogevm_dump() -> dict:
    return {
        "config": {
            "node_name": "http://192.168.0.1:9100/metrics",
            "historical_occurences": 3,
            "node_scope": 60,
            "slice_scope": 60,
        },
        "epoch": [0, 60],
        "node": {
            "raw_data": [
                {
                    "time": [0, 30],
                    "cpu": [32, 32],
                    "mem": [64000, 64000],
                    "cpu_usage": [4.0, 6.0],
                    "mem_usage": [1000, 1500],
                    "vm": ["vm1"],
                },
                {
                    "time": [60, 90],
                    "cpu": [32, 32],
                    "mem": [64000, 64000],
                    "cpu_usage": [5.0, 5.5],
                    "mem_usage": [1200, 1300],
                    "vm": ["vm1"],
                },
            ]
        },
        "vm": {
            "vm1": {"raw_data": [{"cpu": [8], "mem": [16000]}, {"cpu": [8], "mem": [16000]}]},
            "vm2": {"raw_data": [{"cpu": [4], "mem": [2000]}]},
        },
    }


def test_scroogevm_dump_is_read_with_memory_in_mb(tmp_path: Path):
    p = tmp_path / "dump.json"
    p.write_text(json.dumps(scroogevm_dump()))
    ((name, series),) = load_trace(p).nodes.items()
    assert name == "http://192.168.0.1:9100/metrics"
    assert series.ts == (0, 30, 60, 90) and series.cpu == (4.0, 6.0, 5.0, 5.5)
    assert series.memory[0] == 1000 * 1_000_000 and series.memory_total == 64000 * 1_000_000
    assert series.cpu_total == 32 and series.booked_cpu == 12 and series.booked_memory == 18000 * 1_000_000


def test_replay_and_score_count_violations(tmp_path: Path):
    # doa on a node of 10 booked 10: estimate 10, then 9.5 after a quiet scope; a peak of 9.8 then violates it
    p = tmp_path / "t.csv"
    rows = ["ts,node,cpu_cores,memory_bytes,cpu_total,booked_cpu"]
    rows += [f"{t},n,{v},,10,10" for t, v in enumerate([1, 1, 9.8, 9.8, 1, 1])]
    p.write_text("\n".join(rows) + "\n")
    nodes = replay(load_trace(p), CapacityConfig(strategy="doa", scope=2))
    (outcome,) = score(nodes)
    assert [r.estimate_before for r in outcome.records] == pytest.approx([10, 9.5, 10])
    assert outcome.violations == 1 and outcome.scopes == 3
    assert outcome.mean_free_ratio == pytest.approx((0 + 0.05 + 0) / 3)


BAD = [
    ("t.csv", "ts,node,cpu_cores\n1,a,2\n", "lacks column memory_bytes"),
    ("t.csv", "ts,node,cpu_cores,memory_bytes,cpu_total\n1,a,lots,,4\n", "cpu_cores on line 2 is 'lots'"),
    ("t.csv", "ts,node,cpu_cores,memory_bytes,cpu_total\n1,a,-2,,4\n", "not negative"),
    ("t.csv", "ts,node,cpu_cores,memory_bytes,cpu_total\n", "no samples"),
    ("t.csv", "ts,node,cpu_cores,memory_bytes\n1,a,2,3\n", "neither cpu_total nor memory_total"),
    ("t.csv", "ts,node,cpu_cores,memory_bytes,cpu_total\n,a,2,3,4\n", "line 2 has an empty ts"),
    ("t.json", '{"nodes": {"a": {"ts": [1, 2], "cpu_cores": [1], "cpu_total": 4}}}', "cpu_cores has 1 values"),
    ("t.json", '{"nodes": ', "not valid JSON"),
    ("t.json", "[1, 2]", "neither a scaletui trace"),
    ("t.json", '{"nodes": {}}', "at least one node"),
    (
        "t.json",
        '{"config": {}, "node": {"raw_data": [{"time": [1], "cpu_usage": [1, 2]}]}}',
        "node.raw_data[0].cpu_usage has 2 values",
    ),
    ("t.txt", "hello", "neither .csv nor .json"),
]


@pytest.mark.parametrize(("name", "text", "expected"), BAD)
def test_bad_trace_files_give_one_clear_sentence(tmp_path: Path, name: str, text: str, expected: str):
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_trace(p)
    message = info.value.message
    assert message.startswith(f"{p}: ") and expected in message
    assert "\n" not in message and message.endswith(".")


def test_missing_and_binary_files(tmp_path: Path):
    with pytest.raises(ConfigError, match="no such trace file"):
        load_trace(tmp_path / "nope.csv")
    p = tmp_path / "bin.csv"
    p.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_trace(p)
