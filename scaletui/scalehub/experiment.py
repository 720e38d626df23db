"""Scalehub experiment sections -> a conf/experiments/<name>.toml document; a step schedule becomes the plan of the
`schedule` strategy.

Keys as Scalehub reads them (scripts/utils/Config.py, conf/defaults.ini, conf/experiment/*.ini in
github.com/ark-sys/scalehub): `[experiment]` name, type (simple | transscale | resource), runs, comment, job_file, ...;
`[experiment.scaling]` strategy_path (a YAML list of steps), max_parallelism, interval_scaling_s, duration_s;
`[experiment.generators]` generators = g1, g2 and one `[experiment.generators.<g>]` each (Theodolite load generators:
num_sensors keys, one record per key every interval_ms); `[experiment.flink]`; `[experiment.transscale]`;
`[experiment.chaos]` (a Chaos Mesh network delay on a share of the nodes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaletui.config.units import human_duration
from scaletui.errors import ConfigError
from scaletui.scalehub.ini import ScalehubIni, find_beside, split_list, unquote

DEFAULT_DURATION = "10m"

EXPERIMENT_SKIPS = {
    "job_file": "scaletui runs its own workload job; tune it under [job]",
    "task_name": "scaletui runs its own workload job; tune it under [job]",
    "output_skip_s": "scaletui always writes metrics, plots and a report for each run",
    "output_stats": "scaletui always writes metrics, plots and a report for each run",
    "output_plot": "scaletui always writes metrics, plots and a report for each run",
    "broker_mqtt_host": "scaletui's workload has no MQTT broker",
    "broker_mqtt_port": "scaletui's workload has no MQTT broker",
    "kafka_partitions": "scaletui's workload has no Kafka",
    "first_node": "scaletui places instances by the platform's roles",
    "unchained_tasks": "scaletui's workload job always breaks operator chains, so each operator scales alone",
    "runs": "one run per `scaletui --script` call; repeat the call for more runs",
    "cpu_values": "resource sweeps (type = resource) have no scaletui equivalent",
    "memory_values": "resource sweeps (type = resource) have no scaletui equivalent",
    "db_url": "scaletui reads metrics from Flink's REST API",
}
GENERATOR_SKIPS = {
    "topic": "scaletui's workload has no Kafka topics",
    "replicas": "scaletui's load generator is one rate-controlled source; the rate is what is imported",
    "value": "the record payload of Theodolite's generator has no scaletui equivalent",
}
FLINK_SKIPS = {
    "checkpoint_interval_ms": "scaletui's [job] has no checkpoint interval",
    "fibonacci_value": "a CPU cost as a Fibonacci index; set [job] cost_ms (milliseconds per record) instead",
}


@dataclass
class ImportedExperiment:
    experiment: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def build_experiment(ini: ScalehubIni, name: str, platform: str | None) -> ImportedExperiment:
    out = ImportedExperiment(experiment={})
    kind = str(ini.value("experiment", "type")).lower() if ini.has("experiment", "type") else "simple"
    info: dict[str, Any] = {"name": name}
    parts = []
    if ini.has("experiment", "name"):
        parts.append(f"Scalehub experiment {unquote(ini.raw('experiment', 'name'))}")
    if ini.has("experiment", "comment"):
        parts.append(unquote(ini.raw("experiment", "comment")))
    info["description"] = f"{': '.join(parts) or 'Scalehub experiment'} (imported from {ini.path.name})"
    if platform:
        info["platform"] = platform
    else:
        out.notes.append(
            "The INI names no platform; the experiment runs on the local platform (edit experiment.platform)."
        )
    for key in ini.keys("experiment"):
        if key in EXPERIMENT_SKIPS:
            ini.skip("experiment", key, EXPERIMENT_SKIPS[key])
    if kind == "resource":
        out.notes.append("Scalehub type = resource (a CPU/memory sweep) is imported as a plain run without sweep.")

    strategy, steps, interval = _strategy(ini, kind, out)
    duration = _duration(ini, steps, interval, out)
    info["duration"] = duration
    doc: dict[str, Any] = {"experiment": info}
    job = _job(ini)
    if job:
        doc["job"] = job
    load = _load(ini, out)
    if load:
        doc["load"] = load
    if strategy:
        doc["strategy"] = strategy
    faults = _faults(ini, duration)
    if faults:
        doc["faults"] = faults
    if kind in ("simple", "transscale", "resource"):
        ini.used.add(("experiment", "type"))
    else:
        ini.skip("experiment", "type", f"Scalehub experiment type {kind!r} is unknown to the importer")
    out.experiment = doc
    return out


def _strategy(
    ini: ScalehubIni, kind: str, out: ImportedExperiment
) -> tuple[dict[str, Any], list[dict[str, Any]], float | None]:
    """Transscale, or Scalehub's step schedule (strategy_path), or none."""
    spec: dict[str, Any] = {}
    steps: list[dict[str, Any]] = []
    interval: float | None = None
    scaling, trans = "experiment.scaling", "experiment.transscale"
    if ini.has(scaling, "max_parallelism"):
        cap = ini.integer(scaling, "max_parallelism", minimum=1)
        spec["max_parallelism"] = cap
    if kind == "transscale":
        spec["name"] = "transscale"
        if ini.has(trans, "max_parallelism"):
            spec["max_parallelism"] = ini.integer(trans, "max_parallelism", minimum=1)
        if ini.has(trans, "monitoring_interval_s"):
            spec["interval"] = human_duration(ini.number(trans, "monitoring_interval_s"))
        if ini.has(trans, "monitoring_warmup_s"):
            ini.skip(
                trans,
                "monitoring_warmup_s",
                "scaletui's first decision waits one strategy.window; set window to the warm-up you want",
            )
        for key in ("strategy_path", "interval_scaling_s"):
            if ini.has(scaling, key):
                ini.skip(scaling, key, "Scalehub's step schedule is not used when type = transscale")
        return {"name": spec.pop("name"), **spec}, steps, None
    for key in ini.keys(trans):
        ini.skip(trans, key, "used only when [experiment] type = transscale")
    if ini.has(scaling, "interval_scaling_s"):
        interval = ini.number(scaling, "interval_scaling_s")
    if ini.has(scaling, "strategy_path"):
        path_text = unquote(ini.raw(scaling, "strategy_path"))
        found = find_beside(ini.path.parent, path_text)
        if found is None:
            ini.used.discard((scaling, "strategy_path"))
            ini.skip(scaling, "strategy_path", f"{path_text} not found next to the INI; copy it there and import again")
        else:
            steps = read_schedule(found)
            spec["name"] = "schedule"
            spec["params"] = {"plan": schedule_plan(steps, interval or 0.0)}
            kinds = sorted({str(tm.get("type", "")) for step in steps for tm in step["taskmanagers"]} - {""})
            if kinds:
                out.notes.append(
                    f"{found.name}: TaskManager kinds ({', '.join(kinds)}) are not modelled; the schedule keeps "
                    "their counts only."
                )
    if interval:
        spec["interval"] = human_duration(interval)
    if spec:
        spec = {"name": spec.pop("name", "none"), **spec}
    return spec, steps, interval


def schedule_plan(steps: list[dict[str, Any]], interval: float) -> list[dict[str, Any]]:
    """Scalehub adds TaskManagers step by step: step i (at i x interval) brings the running total to the sum so far,
    which is what the `schedule` strategy's plan states."""
    plan: list[dict[str, Any]] = []
    total = 0
    for i, step in enumerate(steps):
        total += sum(int(tm.get("number", 1)) for tm in step["taskmanagers"])
        plan.append({"at": human_duration(i * interval), "taskmanagers": max(1, total)})
    return plan


def read_schedule(path: Path) -> list[dict[str, Any]]:
    """A Scalehub strategy YAML: `- node: <kind>\\n  taskmanager: [{number, type, method}]` per step."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: not a readable YAML strategy ({str(e).splitlines()[0]}).") from None
    if not isinstance(data, list) or not data:
        raise ConfigError(f"{path}: expected a YAML list of scaling steps, got {type(data).__name__}.")
    steps = []
    for i, step in enumerate(data):
        if not isinstance(step, dict) or not isinstance(step.get("taskmanager", []), list):
            raise ConfigError(f"{path}: step {i} expected `node:` and a `taskmanager:` list.")
        taskmanagers = []
        for tm in step.get("taskmanager", []):
            if not isinstance(tm, dict) or not isinstance(tm.get("number", 1), int):
                raise ConfigError(f"{path}: step {i} expected each taskmanager entry to have a whole `number`.")
            taskmanagers.append({str(k): v for k, v in tm.items() if isinstance(v, (str, int, float, bool))})
        steps.append({"node": str(step.get("node", "")), "taskmanagers": taskmanagers})
    return steps


def _duration(ini: ScalehubIni, steps: list[dict[str, Any]], interval: float | None, out: ImportedExperiment) -> str:
    scaling = "experiment.scaling"
    if ini.has(scaling, "duration_s"):
        return human_duration(ini.number(scaling, "duration_s"))
    if steps and interval:
        return human_duration(len(steps) * interval)
    out.notes.append(f"The INI gives no duration; set to {DEFAULT_DURATION} (edit experiment.duration).")
    return DEFAULT_DURATION


def _job(ini: ScalehubIni) -> dict[str, Any]:
    job: dict[str, Any] = {}
    flink = "experiment.flink"
    if ini.has(flink, "window_size_ms"):
        window_ms = ini.number(flink, "window_size_ms")
        if window_ms <= 0:
            raise ConfigError(f"{ini.path}: key [{flink}] window_size_ms expected a number above 0, got {window_ms:g}.")
        job["window_s"] = window_ms / 1000.0
    for key in ini.keys(flink):
        if key in FLINK_SKIPS:
            ini.skip(flink, key, FLINK_SKIPS[key])
    if ini.has("experiment.scaling", "max_parallelism"):
        job["max_parallelism"] = ini.integer("experiment.scaling", "max_parallelism", minimum=1)
    return job


def _load(ini: ScalehubIni, out: ImportedExperiment) -> dict[str, Any]:
    """Theodolite: each of num_sensors keys sends one record every interval_ms, so rate = sensors * 1000 / ms."""
    section = "experiment.generators"
    if not ini.has(section, "generators"):
        return {}
    names = split_list(ini.raw(section, "generators"))
    rate = 0.0
    for name in names:
        gen = f"{section}.{name}"
        if not ini.has(gen):
            raise ConfigError(
                f"{ini.path}: key [{section}] generators names {name!r} but there is no [{gen}] section.",
                "Add the section or remove the name from the list.",
            )
        sensors = ini.integer(gen, "num_sensors", minimum=0) if ini.has(gen, "num_sensors") else 0
        interval_ms = ini.number(gen, "interval_ms") if ini.has(gen, "interval_ms") else 1000.0
        if interval_ms <= 0:
            raise ConfigError(f"{ini.path}: key [{gen}] interval_ms expected a number above 0, got {interval_ms:g}.")
        rate += sensors * 1000.0 / interval_ms
        for key in ini.keys(gen):
            if key in ("name", "type"):
                ini.used.add((gen, key))
            elif key in GENERATOR_SKIPS:
                ini.skip(gen, key, GENERATOR_SKIPS[key])
    for other in ini.sections():
        if other.startswith(section + ".") and other.removeprefix(section + ".") not in names:
            for key in ini.keys(other):
                ini.skip(other, key, "generator not listed in [experiment.generators] generators")
    out.notes.append(f"Load: constant {rate:g} records/s, the sum of the generators' num_sensors * 1000 / interval_ms.")
    return {"profile": "constant", "rate": int(rate) if rate == int(rate) else round(rate, 3)}


def _faults(ini: ScalehubIni, duration: str) -> list[dict[str, Any]]:
    """Scalehub's chaos is one network delay on a share of the nodes for the whole run: that share is Chaos Mesh's
    fixed-percent selection of the TaskManagers, as Scalehub's own NetworkChaos template sets it."""
    chaos = "experiment.chaos"
    if not ini.has(chaos):
        return []
    enabled = ini.has(chaos, "enable") and ini.value(chaos, "enable") is True
    if not enabled:
        for key in ini.keys(chaos):
            if key != "enable":
                ini.skip(chaos, key, "chaos disabled in the INI (enable = false)")
        return []
    params: dict[str, Any] = {}
    for key, param in (
        ("delay_latency_ms", "latency_ms"),
        ("delay_jitter_ms", "jitter_ms"),
        ("delay_correlation", "correlation"),
    ):
        if ini.has(chaos, key):
            params[param] = ini.number(chaos, key)
    for key in ini.keys(chaos):
        if key.startswith("bandwidth_"):
            ini.skip(chaos, key, "only the delay of [experiment.chaos] is imported; add a bandwidth fault by hand")
        elif key == "affected_nodes_percentage":
            params |= {"mode": "fixed-percent", "value": int(ini.number(chaos, key))}
    return [{"at": "0s", "kind": "delay", "duration": duration, "targets": ["role:taskmanager"], "params": params}]
