"""The load dialog (`l` in Plots): opens on the current load, shows each profile's syntax, keeps the input on an
error and shows the whole error, so a typo costs one keystroke, not the line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scaletui.config.units import inline_text
from scaletui.tui.intents import inline_table
from scaletui.tui.screens.form import FormField, FormScreen, Linked

if TYPE_CHECKING:
    from scaletui.config.models import LoadSpec

EXAMPLES = {
    "constant": "rate = 300",
    "step": 'rate = 200, steps = [["30s", 600], ["2m", 300]]',
    "ramp": 'start = 200, end = 800, duration = "2m"',
    "sine": 'mean = 400, amplitude = 200, period = "1m"',
    "spike": 'rate = 300, peak = 1200, at = "30s", duration = "10s"',
    "replay": 'file = "trace.csv", loop = true',
}
"""One example per profile: shown in the hint, and in the field when the profile is chosen."""


def current_load(load_profile: dict[str, Any]) -> tuple[str, str]:
    """The session's load (profile, `key = value, ...`); the constant example when none was set yet."""
    if not load_profile:
        return "constant", EXAMPLES["constant"]
    profile = str(load_profile.get("profile", "constant"))
    params = inline_text({k: v for k, v in load_profile.items() if k != "profile"})
    return profile, params


def load_spec(values: dict[str, str]) -> LoadSpec:
    """The dialog's values as a checked load: raises ConfigError (one sentence) when they do not make one."""
    from scaletui.config.models import LoadSpec
    from scaletui.errors import ConfigError
    from scaletui.workload.profiles import build_profile

    params = inline_table(values["params"], "load parameters")
    spec = LoadSpec.model_validate({"profile": values["profile"], **params})
    try:
        build_profile(spec)
    except ConfigError as e:  # its hint speaks of experiment files; here the fix is in the dialog
        raise ConfigError(e.message) from None
    return spec


def load_form(load_profile: dict[str, Any]) -> FormScreen:
    from scaletui.workload.profiles import BUILDERS

    profile, params = current_load(load_profile)
    fields = [
        FormField("profile", "Profile", profile, tuple(BUILDERS)),
        FormField("params", "Parameters (key = value, separated by commas)", params),
    ]
    hint = "\n".join(f"{name}: {EXAMPLES[name]}" for name in BUILDERS if name in EXAMPLES)
    return FormScreen(
        "Change the load (the fields show the one applied now)",
        fields,
        hint,
        check=load_spec,
        linked=Linked("profile", "params", {**EXAMPLES, profile: params}),
    )
