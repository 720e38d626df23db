"""A mistake in a `[[timeline]]` or `[[faults]]` entry reads as the file is written: the entry's line, its index
(from 0, said in the hint), the key and value as TOML, and the choices, never pydantic's own wording."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scaletui.config.loader import load_experiment
from scaletui.config.models import step_names
from scaletui.errors import ConfigError

SHIPPED = Path(__file__).parents[2] / "conf" / "experiments" / "sim-timeline.toml"


def broken(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    """sim-timeline.toml with one line changed, as the reviewer's `sed` made them; and the changed line's number."""
    text = SHIPPED.read_text()
    assert text.count(old) == 1, old
    text = text.replace(old, new)
    path = tmp_path / "bad.toml"
    path.write_text(text)
    line = text.splitlines().index(new.rstrip("\n")) + 1 if new else 0
    return path, str(line)


def refusal(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    return info.value


def test_a_misspelt_step_names_its_line_the_value_and_the_steps(tmp_path: Path) -> None:
    path, line = broken(tmp_path, 'do = "resume"', 'do = "resum"')
    err = refusal(path)
    assert err.message == (
        f'{path}, line {line}: timeline[4]: do = "resum" is not a step; expected one of {", ".join(step_names())}.'
    )
    assert err.hint == "Entries count from 0: timeline[4] is [[timeline]] number 5 in the file."


def test_a_step_without_do_lists_the_steps(tmp_path: Path) -> None:
    path, _ = broken(tmp_path, 'do = "resume"\n', "")
    err = refusal(path)
    assert "timeline[4]: do is missing; it names the step, one of load, rescale, taskmanagers" in err.message


def test_a_step_after_the_end_shows_both_times_as_written(tmp_path: Path) -> None:
    path, line = broken(tmp_path, 'at = "15m"', 'at = "25m"')
    expected = f'{path}, line {line}: timeline[5].at = "25m" is after the run\'s end (duration 20m).'
    assert refusal(path).message == expected


def test_a_fault_at_the_end_is_not_before_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[experiment]\nname = "x"\nduration = 60\n\n[[faults]]\nat = 60\nkind = "kill"\nduration = 5\n')
    assert refusal(path).message == f"{path}, line 6: faults[0].at = 60 is not before the run's end (duration 60s)."


def test_a_misspelt_key_is_reported_before_the_missing_one_it_explains(tmp_path: Path) -> None:
    path, line = broken(tmp_path, "parallelism = 3", "paralelism = 3")
    err = refusal(path)
    expected = f"{path}, line {line}: key timeline[2].paralelism is not a known key (did you mean parallelism?)."
    assert err.message == expected
    assert "missing" not in err.message and "more problem" not in err.message


def test_an_unknown_key_with_nothing_near_still_counts_the_missing_one(tmp_path: Path) -> None:
    path, line = broken(tmp_path, "parallelism = 3", "speed = 3")
    message = refusal(path).message
    assert message.endswith(
        f"line {line}: key timeline[2].speed is not a known key (check its spelling) (1 more problem in the file)."
    )


def test_an_unknown_fault_kind_lists_the_kinds(tmp_path: Path) -> None:
    text = SHIPPED.read_text() + '\n[[timeline]]\nat = "2m"\ndo = "fault"\nkind = "delai"\nduration = "30s"\n'
    path = tmp_path / "bad.toml"
    path.write_text(text)
    line = text.splitlines().index('kind = "delai"') + 1
    message = refusal(path).message
    assert message == (
        f'{path}, line {line}: timeline[6].kind = "delai" is not a fault kind; expected one of delay, loss, '
        "bandwidth, partition, kill, pause, cpu-stress, memory-stress."
    )
    assert not re.search(r"input|should be|'delay'", message)


def test_a_table_key_keeps_its_sentence_without_a_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[experiment]\nname = "x"\nduration = 60\n[job]\ntaskmanager = 2\n')
    err = refusal(path)
    assert err.message == f"{path}: key job.taskmanager is not a known key (check its spelling)." and err.hint == ""


@pytest.mark.parametrize("number", ["inf", "nan", "-inf"])
def test_a_timeline_interval_that_is_not_finite_names_the_key(tmp_path: Path, number: str) -> None:
    """Review 36 F4: TOML's `interval = inf` passed the Duration type and raised OverflowError in the plan check,
    an internal error instead of the file, the key and what it takes."""
    comment = next(line for line in SHIPPED.read_text().splitlines() if line.startswith("# DS2 with its memory"))
    path, line = broken(tmp_path, comment, f"interval = {number}")
    expected = f'{path}, line {line}: key timeline[0].interval expected a duration like 90, "90s", "3m" or "1h30m"'
    assert refusal(path).message == f"{expected}, got {number}."
