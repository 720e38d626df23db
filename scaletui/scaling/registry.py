"""Strategy names -> classes, and building one from conf/strategies/<name>.toml merged with the experiment's params."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scaletui.config.loader import load_strategy as load_strategy_file
from scaletui.config.models import StrategySpec
from scaletui.errors import ConfigError
from scaletui.scaling.strategies.ds2 import Ds2Strategy
from scaletui.scaling.strategies.flink_operator import FlinkOperatorStrategy
from scaletui.scaling.strategies.predictive import PredictiveStrategy
from scaletui.scaling.strategies.schedule import ScheduleStrategy
from scaletui.scaling.strategies.slo_thesis import SloThesisStrategy
from scaletui.scaling.strategies.threshold import ThresholdStrategy
from scaletui.scaling.strategies.transscale import TransscaleStrategy
from scaletui.scaling.strategy import Strategy, parse_params

STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls
    for cls in (
        TransscaleStrategy,
        PredictiveStrategy,
        Ds2Strategy,
        FlinkOperatorStrategy,
        SloThesisStrategy,
        ThresholdStrategy,
        ScheduleStrategy,
    )
}


def strategy_names() -> list[str]:
    return list(STRATEGIES)


def create_strategy(name: str, params: dict[str, Any] | None = None, where: str | None = None) -> Strategy:
    """A fresh strategy with `params` checked; ConfigError naming the key when one is unknown or wrong."""
    cls = STRATEGIES.get(name)
    if cls is None:
        raise ConfigError(
            f"strategy.name: expected none (no autoscaling) or one of {', '.join(STRATEGIES)}, got {name!r}.",
            "Fix the [strategy] table of the experiment file.",
        )
    return cls(parse_params(cls.Params, params or {}, where or f"strategy {name}"))


def strategy_path(name: str, conf_dir: Path | str = "conf") -> Path:
    return Path(conf_dir) / "strategies" / f"{name}.toml"


def load_strategy(spec: StrategySpec, conf_dir: Path | str = "conf") -> Strategy:
    """The strategy an experiment names: its file's [params], overridden by the experiment's [strategy.params]."""
    if spec.name not in STRATEGIES:
        return create_strategy(spec.name)
    path = Path(spec.file) if spec.file else strategy_path(spec.name, conf_dir)
    params: dict[str, Any] = {}
    if path.is_file():
        doc = load_strategy_file(path)
        if doc.strategy.name != spec.name:
            raise ConfigError(f"{path}: key strategy.name expected {spec.name!r}, got {doc.strategy.name!r}.")
        params.update(doc.params)
    elif spec.file:
        raise ConfigError(f"{path}: no such strategy file.", "Fix strategy.file or remove it to use conf/strategies/.")
    params.update(spec.params)
    return create_strategy(spec.name, params, f"{path} (with the experiment's strategy.params)")
