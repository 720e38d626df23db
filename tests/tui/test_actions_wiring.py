"""Every action in the table (footer, help, palette) names a method that exists where its key is bound (or, without
a key, a `:` verb that becomes a timeline step), and every key of the panes, the tables and the run history is
declared in the table (so `?` shows it)."""

from __future__ import annotations

import re

import pytest

from scaletui.tui.actions import ACTIONS, Action
from scaletui.tui.app import PANE_CLASSES, ScaletuiApp
from scaletui.tui.intent_parser import STEPS
from scaletui.tui.screens.decisions import DecisionsScreen
from scaletui.tui.screens.replay import ReplayScreen
from scaletui.tui.screens.runs import RunsScreen
from scaletui.tui.widgets.filter_table import FilterTable

OWNERS: dict[str, type] = {
    "app": ScaletuiApp,
    "table": FilterTable,
    "runs": RunsScreen,
    "decisions": DecisionsScreen,
    "replay": ReplayScreen,
    **PANE_CLASSES,
}


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.id)
def test_action_has_a_method(action: Action) -> None:
    if not action.action:
        assert not action.key and action.verb_word in STEPS, f"{action.id}: neither a key's method nor a run verb"
        return
    name = re.sub(r"\(.*\)$", "", action.action).removeprefix("app.")
    owner = ScaletuiApp if action.action.startswith("app.") else OWNERS[action.scope]
    assert callable(getattr(owner, f"action_{name}", None)), f"{action.id}: no action_{name} on {owner.__name__}"


def test_keys_are_unique_within_each_scope() -> None:
    seen: dict[tuple[str, str], str] = {}
    for a in ACTIONS:
        if not a.key:
            continue
        key = (a.scope, a.key)
        assert key not in seen, f"{a.id} and {seen[key]} share key {a.key} in {a.scope}"
        seen[key] = a.id


@pytest.mark.parametrize("scope", sorted(OWNERS))
def test_bindings_come_from_the_table(scope: str) -> None:
    """The table sort key (`o`) and the run history's keys used to be bound outside the table, so help missed them."""
    declared = {(b.key, b.id) for b in OWNERS[scope].BINDINGS}  # type: ignore[attr-defined]
    assert declared == {(a.key, a.id) for a in ACTIONS if a.scope == scope and a.key}


def test_verbs_are_unique() -> None:
    verbs = [a.verb_word for a in ACTIONS if a.verb]
    assert len(verbs) == len(set(verbs)), verbs
