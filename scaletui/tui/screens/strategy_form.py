"""The strategy dialog (`a` in Plots): the strategy, its parameters over its file's, the loop's interval, window and
cooldown, and its guard rails. The fields open on what runs now; the dialog checks what was typed before it closes (a
refused value keeps the dialog open with the whole sentence), and names the file the loop's defaults come from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaletui.config.models import GUARD_LIMITS, TIMING_LIMITS
from scaletui.config.units import inline_text
from scaletui.scaling.loop_settings import LIVE_DEFAULTS, check_loop, loop_text, split_loop
from scaletui.tui.intents import inline_table
from scaletui.tui.screens.form import FormField, FormScreen, Linked

if TYPE_CHECKING:
    from scaletui.session.model import StrategyRecord

HINT = (
    "key=value pairs as on the : line; h lists the running ones. The loop and its guard rails stay for the "
    f"strategies chosen after; their defaults: \\[strategy] in {LIVE_DEFAULTS}."
)


def default_text(defaults: Mapping[str, float], keys: Iterable[str]) -> str:
    """The loop's defaults for `keys` as the form takes them (`interval=10s, window=10s, cooldown=20s`): an emptied
    field's placeholder and a refusal's "such as". `defaults` are the live defaults file's (`Live.loop_defaults`),
    which the hint names and a live loop starts from, so an edited file shows in the form."""
    return loop_text(defaults, tuple(keys))


@dataclass(frozen=True)
class StrategyChoice:
    """What the dialog asks the engine for: a strategy, its parameters and the loop's settings (timing in seconds,
    guard rails)."""

    name: str
    params: dict[str, Any]
    loop: dict[str, float]


def strategy_choice(values: Mapping[str, str], conf_dir: Path, defaults: Mapping[str, float]) -> StrategyChoice:
    """The dialog's values, checked as the engine will take them: ConfigError (one sentence) when they do not fit.
    The parameters field takes the loop's settings too, as the `:` line does; the Loop and Guard rails fields'
    win. `defaults` (the live defaults file's loop) give a refusal's examples."""
    from scaletui.config.models import StrategySpec
    from scaletui.scaling.params_text import params_example
    from scaletui.scaling.registry import create_strategy, load_strategy, strategy_names

    name = values["name"]
    known = name in strategy_names()
    said = params_example(create_strategy(name).params) if known else ""
    example = f"such as {said}" if said else "none for this strategy"
    loop, params = split_loop(inline_table(values["params"], "strategy parameters", example))
    loop.update(inline_table(values["loop"], "loop settings", f"such as {default_text(defaults, TIMING_LIMITS)}"))
    loop.update(inline_table(values["guard"], "guard rails", f"such as {default_text(defaults, GUARD_LIMITS)}"))
    checked = check_loop(loop)
    if known:
        load_strategy(StrategySpec(name=name, params=params), conf_dir)
    return StrategyChoice(name, params, checked)


def strategy_form(
    record: StrategyRecord, loop: Mapping[str, float], defaults: Mapping[str, float], conf_dir: Path
) -> FormScreen:
    """`record` is the session's strategy (its parameters prefill the field), `loop` the loop's settings now (its
    timing and guard rails), `defaults` the live defaults file's (the emptied fields' examples)."""
    from scaletui.scaling.registry import strategy_names

    names = ("none", *strategy_names())
    tuned = {name: inline_text(record.params) if name == record.name else "" for name in names}
    fields = [
        FormField("name", "Strategy", record.name, names),
        FormField("params", "Parameters over conf/strategies/NAME.toml (optional)", tuned.get(record.name, ""),
                  placeholder="target_utilisation = 0.8 (ds2), violation_cost = 30 (predictive)"),
        FormField("loop", "Loop: interval, window, cooldown", loop_text(loop, tuple(TIMING_LIMITS)),
                  placeholder=default_text(defaults, TIMING_LIMITS)),
        FormField("guard", "Guard rails: parallelism per operator, TaskManagers, slots",
                  loop_text(loop, tuple(GUARD_LIMITS)), placeholder=default_text(defaults, GUARD_LIMITS)),
    ]  # fmt: skip
    return FormScreen(
        "Autoscaling strategy",
        fields,
        HINT,
        check=lambda values: strategy_choice(values, conf_dir, defaults),
        linked=Linked("name", "params", tuned, keep_placeholder=True),
    )
