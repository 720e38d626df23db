"""Themes from themes/*.toml through Textual's theme API, with the semantic colours every pane and plot uses; and
the first frame's light read of the settings, with the full validation right after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaletui.errors import ConfigError
from scaletui.tui.actions import PANES
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.boot import Boot
from scaletui.tui.theming import SEMANTIC, Palette, load_themes, read_theme, theme_dirs, variable
from tests.tui.pilot import wait_for

THEMES = Path(__file__).parents[2] / "themes"


def test_the_shipped_themes_set_every_semantic_colour() -> None:
    themes, problems = load_themes([THEMES])
    assert problems == []
    assert {"dark", "light", "ansi16"} <= set(themes)
    for theme in themes.values():
        assert {variable(name) for name in SEMANTIC} <= set(theme.variables), theme.name
    assert themes["ansi16"].ansi and not themes["light"].dark


def test_a_bad_theme_file_is_one_sentence_naming_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text('[theme]\nprimary = "#112233"\n')
    (tmp_path / "typo.toml").write_text('[theme]\nprimary = "#112233"\nprimry = "#000000"\n')
    (tmp_path / "colour.toml").write_text('[theme]\nprimary = "#112233"\n[colours]\nok = "greenish"\n')
    themes, problems = load_themes([tmp_path])
    assert list(themes) == ["good"]
    assert any("typo.toml: [theme] primry is not a Textual theme field" in p for p in problems)
    assert any('colour.toml: [colours] ok = "greenish" is not a colour' in p for p in problems)
    with pytest.raises(ConfigError, match="semantic colour"):
        (tmp_path / "x.toml").write_text('[theme]\nprimary = "#112233"\n[colours]\nbad = "#000000"\n')
        read_theme(tmp_path / "x.toml")


def test_palette_gives_rich_styles() -> None:
    dark = read_theme(THEMES / "dark.toml")
    ansi = read_theme(THEMES / "ansi16.toml")
    palette = Palette.of(dark.variables, no_color=False)
    assert palette.style("fail", "bold") == f"bold {dark.variables['state-fail']}".upper().replace("BOLD", "bold")
    ansi_palette = Palette.of(ansi.variables, no_color=False)
    assert ansi_palette.style("ok") == "green" and ansi_palette.style("pending") == "bright_black"
    assert Palette.of(dark.variables, no_color=True).style("decision", "bold") == "bold"


def test_themes_dir_is_found_from_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert theme_dirs("themes")[0] == THEMES


async def test_a_textual_theme_without_semantic_colours_still_renders(engine) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = "textual-light"
        await pilot.pause()
        assert app.palette.colours["ok"] == app.current_theme.success


def test_a_settings_file_that_is_not_toml_is_refused_before_the_first_frame(tmp_path: Path) -> None:
    bad = tmp_path / "scaletui.toml"
    bad.write_text('theme = "dark"\n[paths\n')
    with pytest.raises(ConfigError, match=r"scaletui.toml: not valid TOML: .*line 2"):
        Boot.read(str(bad))


async def test_an_invalid_setting_is_refused_right_after_the_first_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCALETUI_HOME", str(tmp_path / "home"))
    settings = tmp_path / "scaletui.toml"
    settings.write_text('theme = "light"\n[refresh]\nmetrics = "often"\n')
    app = ScaletuiApp(boot=Boot.read(str(settings), "checked"))
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == "light", "the first frame already follows the settings"
        await wait_for(pilot, lambda: app.open_error is not None, "the validation after the first frame", 60)
    assert app.return_code == 2
    assert app.open_error is not None and "refresh.metrics" in app.open_error.message


async def test_the_session_opens_behind_the_first_frame(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCALETUI_HOME", str(tmp_path))
    app = ScaletuiApp(boot=Boot.read(None, "behind"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.engine_ready and app.engine.name == "behind"
        await pilot.press("4")
        await pilot.pause()
        assert app.engine.store.session.ui.pane == "plots"
        app.engine.close()


@pytest.mark.parametrize("pane", PANES)
async def test_a_session_closed_on_any_pane_reopens_on_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pane: str
) -> None:
    """The first frame shows the remembered pane before the session is open: showing it must not read the engine
    (a session last closed on Plots could not be opened again)."""
    monkeypatch.setenv("SCALETUI_HOME", str(tmp_path))
    app = ScaletuiApp(boot=Boot.read(None, "remembered"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press(str(PANES.index(pane) + 1))
        await pilot.pause()
        assert app.engine.store.session.ui.pane == pane
        app.engine.close()
    again = ScaletuiApp(boot=Boot.read(None, "remembered"))
    async with again.run_test(size=(80, 24)) as pilot:
        assert again.active_pane == pane
        await wait_for(pilot, lambda: again.engine_ready, "the session to open", 60)
        await pilot.pause()
        assert again.return_code in (None, 0) and again.active_pane == pane
        again.engine.close()
