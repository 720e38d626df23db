"""The example platform files in conf/platforms/ load, validate with the real EnosLib classes, document every key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scaletui.config.loader import load_platform
from scaletui.platforms.enos_conf import build_configuration, check_configuration
from scaletui.platforms.registry import ENOS_TYPES, create_platform
from tests.fakes.g5k import FakeGrid5000

CONF = Path(__file__).resolve().parents[2] / "conf" / "platforms"
MINE = ["local", "g5k", "vmong5k", "chameleon", "iotlab", "static"]


@pytest.mark.parametrize("name", MINE)
def test_example_is_valid(name: str) -> None:
    pf = load_platform(CONF / f"{name}.toml")
    platform = create_platform(pf, str(CONF / f"{name}.toml"))
    assert platform.name == pf.platform.name
    if pf.platform.type in ENOS_TYPES:
        check_configuration(pf, str(CONF / f"{name}.toml"))
        if pf.platform.type not in ("Grid5000", "VagrantG5k"):
            build_configuration(pf)


def test_g5k_example_builds_against_the_api(g5k_api: FakeGrid5000) -> None:
    conf = build_configuration(load_platform(CONF / "g5k.toml"))
    assert {m.cluster for m in conf.machines} == {"paravance"}


@pytest.mark.parametrize("name", MINE)
def test_every_key_has_a_comment(name: str) -> None:
    """Walking up from each key (over keys, blank lines and [[array]] headers) meets a comment before a [table]."""
    lines = (CONF / f"{name}.toml").read_text().splitlines()
    for i, line in enumerate(lines):
        if not re.match(r"^[a-z_]+ = ", line):
            continue
        j = i - 1
        while j >= 0 and (not lines[j].strip() or re.match(r"^([a-z_]+ = |\[\[)", lines[j])):
            j -= 1
        assert j >= 0 and lines[j].lstrip().startswith("#"), f"{name}.toml:{i + 1} {line!r} has no comment"
