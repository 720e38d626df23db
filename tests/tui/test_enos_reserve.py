"""An EnosLib platform reserved and released from the Reservations pane: a Static host that is this machine
(`ansible_connection = "local"`, no sshd), through EnosLib's real Static provider, imported for the first time
under Textual as in the app (whose stdout claims to be a terminal with no file descriptor)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaletui.config.models import AppConfig
from scaletui.engine import Engine
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.screens.confirm import ConfirmScreen
from scaletui.tui.screens.form import FormScreen
from scaletui.tui.widgets.filter_table import FilterTable
from tests.tui.pilot import message, wait_for

LOOPBACK_STATIC = """
[platform]
name = "loopy"
type = "Static"
[roles]
control = 1
workers = 1
[[settings.hosts]]
address = "127.0.0.1"
alias = "node-1"
role = "control"
extra = { ansible_connection = "local" }
[[settings.hosts]]
address = "127.0.0.1"
alias = "node-2"
extra = { ansible_connection = "local" }
"""


@pytest.fixture
def fresh_ansible(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ansible and EnosLib imported anew in this test (restored after it), with no colour setting in the
    environment: Ansible picks colour once, when imported, and an earlier test may have imported it already."""
    for name in [m for m in sys.modules if m.split(".")[0] in ("ansible", "enoslib", "ansible_collections")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setenv("ANSIBLE_NOCOLOR", "0")  # recorded, so teardown also removes what the app sets
    monkeypatch.delenv("ANSIBLE_NOCOLOR")


@pytest.fixture
def loopy_engine(app_config: AppConfig, tmp_path: Path, fresh_ansible: None) -> Iterator[Engine]:
    conf = tmp_path / "conf"
    shutil.copytree(app_config.paths.conf, conf)
    (conf / "platforms" / "loopy.toml").write_text(LOOPBACK_STATIC)
    engine = Engine(
        app_config.model_copy(update={"paths": app_config.paths.model_copy(update={"conf": str(conf)})}), "t"
    )
    yield engine
    engine.close()


@pytest.mark.filterwarnings("ignore:skipped sys.intern patch:RuntimeWarning")  # Ansible imported a second time
async def test_reserve_and_release_a_static_platform_from_the_pane(loopy_engine: Engine) -> None:
    engine = loopy_engine
    app = ScaletuiApp(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("1", "n")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the platform chooser")
        app.screen.query_one("#field-platform").value = "loopy"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")

        def state() -> str:
            return next((r.state for r in engine.store.session.reservations if r.platform == "loopy"), "")

        await wait_for(pilot, lambda: state() in ("running", "failed"), "the loopy reservation", 120)
        loopy = engine.store.session.reservations[0]
        assert loopy.state == "running", loopy.message
        assert [(n.name, n.role) for n in loopy.nodes] == [("node-1", "control"), ("node-2", "worker")]

        table = app.pane("reservations").query_one(FilterTable)
        table.table.move_cursor(row=[k for k, _ in table.rows].index("loopy"))
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: state() == "released" or "could not" in message(app), "the release", 60)
        assert state() == "released", message(app)
