"""Every action in the table (footer, help, palette) names a method that exists where its key is bound."""

from __future__ import annotations

import re

import pytest

from scaletui.tui.actions import ACTIONS, Action
from scaletui.tui.app import PANE_CLASSES, ScaletuiApp
from scaletui.tui.widgets.filter_table import FilterTable


def target_of(action: Action) -> type:
    if action.scope == "app":
        return ScaletuiApp
    if action.scope == "table":
        return FilterTable
    return PANE_CLASSES[action.scope]


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.id)
def test_action_has_a_method(action: Action) -> None:
    name = re.sub(r"\(.*\)$", "", action.action).removeprefix("app.")
    owner = ScaletuiApp if action.action.startswith("app.") else target_of(action)
    assert callable(getattr(owner, f"action_{name}", None)), f"{action.id}: no action_{name} on {owner.__name__}"


def test_keys_are_unique_within_each_scope() -> None:
    seen: dict[tuple[str, str], str] = {}
    for a in ACTIONS:
        key = (a.scope, a.key)
        assert key not in seen, f"{a.id} and {seen[key]} share key {a.key} in {a.scope}"
        seen[key] = a.id
