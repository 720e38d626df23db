"""docs/shub-mapping.md maps every shub action and names each scaletui verb this area provides."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "shub-mapping.md"


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
