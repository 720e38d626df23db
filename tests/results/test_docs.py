"""docs/shub-mapping.md maps every shub action and names each scaletui verb this area provides; README names every
verb, timeline step and environment variable the app has, so a reader meets each of them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "shub-mapping.md"
README = ROOT / "README.md"


def test_every_shub_action_has_a_row() -> None:
    rows = [line for line in DOC.read_text().splitlines() if line.startswith("| `shub ")]
    actions = [row.split("`")[1].split()[1] for row in rows]
    assert actions == [
        "provision",
        "destroy",
        "deploy",
        "delete",
        "reload",
        "experiment",
        "tokens",
        "sync",
        "run",
        "export",
        "plot",
    ]
    text = DOC.read_text()
    for verb in (
        "scaletui provision",
        "scaletui destroy",
        "scaletui deploy APP",
        "scaletui delete APP",
        "scaletui reload APP",
        "scaletui experiment start FILE",
        "scaletui tokens",
        "scaletui sync",
        "scaletui export",
        "scaletui plot",
        "--script",
        "scaletui report DIR",
        "scaletui compare DIR",
    ):
        assert verb in text, verb


def test_readme_names_every_verb_of_the_command_line() -> None:
    """`extend` was missing from README's list of the verbs (review 38 F6)."""
    import argparse

    from scaletui.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    text = README.read_text()
    missing = [verb for verb in sub.choices if f"`{verb}" not in text and f"scaletui {verb}" not in text]
    assert not missing, missing


def test_readme_lists_every_timeline_step() -> None:
    """README's `[[timeline]]` list left out `cancel-job` (review 38 F6)."""
    from scaletui.config.models import step_names

    listed = README.read_text().split("a `[[timeline]]` of hand steps (", 1)[1].split(")", 1)[0]
    assert [name.strip() for name in listed.split(",")] == step_names()


def test_readme_names_every_environment_variable_the_app_reads() -> None:
    """FLINK_HOME and SCALETUI_PLAYBOOKS were read but named nowhere a user looks (review 38 F8). SCALETUI_FAULT
    is a mark scaletui puts on its own fault processes, not a setting."""
    source = "\n".join(path.read_text() for path in (ROOT / "scaletui").rglob("*.py"))
    read = set(re.findall(r"(?:environ\.get|env\.get|getenv)\(\s*\"([A-Z_]+)\"", source))
    assert {"SCALETUI_HOME", "FLINK_HOME", "SCALETUI_PLAYBOOKS"} <= read, read
    text = README.read_text()
    missing = sorted(name for name in read if name.startswith(("SCALETUI_", "FLINK_")) and f"`{name}`" not in text)
    assert not missing, missing


def test_readme_names_every_key_of_the_app() -> None:
    """`J`, `X`, `ctrl+t`, the Stages pane's keys, the run history's `enter`, `e` and `x` and the replay's `[`, `{`
    and arrows were in `?` but nowhere in README (review 38 F7)."""
    from scaletui.tui.actions import ACTIONS, key_label

    text = README.read_text()
    missing = sorted({key_label(a.key) for a in ACTIONS if a.key and f"`{key_label(a.key)}`" not in text})
    assert not missing, missing
