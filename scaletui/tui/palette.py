"""The command palette lists the intents of the actions table as `noun: verb`, runnable from anywhere.

Only what is possible now is offered (tui/availability.py: a table to filter, a running cluster, an autoscaler, the
platform's capabilities); the run history's own keys are not offered (they act on its screen, which the palette
would close).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from textual.app import App, SystemCommand
from textual.command import Hit, Hits, Provider
from textual.screen import Screen

from scaletui.tui.actions import ACTIONS, PALETTE_SCOPES, Action, key_label
from scaletui.tui.availability import why_not


class OwnThemesApp(App[int]):
    """Textual's own "Theme" command offered its ~20 built-in themes, which `:theme`, ctrl+t and the settings do not
    know (they have no plot colours): the palette keeps the app's themes (`app: next theme`, `:theme NAME`)."""

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        return (command for command in super().get_system_commands(screen) if command.title != "Theme")


class ActionsProvider(Provider):
    def _offered(self) -> list[Action]:
        app = self.app
        return [a for a in ACTIONS if a.palette and a.scope in PALETTE_SCOPES and not why_not(a, app)]  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        run = self.app.run_palette_action  # type: ignore[attr-defined]
        for action in self._offered():
            score = matcher.match(action.palette)
            if score > 0:
                yield Hit(score, matcher.highlight(action.palette), partial(run, action), help=_how(action))

    async def discover(self) -> Hits:
        run = self.app.run_palette_action  # type: ignore[attr-defined]
        for action in self._offered():
            yield Hit(1.0, action.palette, partial(run, action), help=_how(action))


def _how(action: Action) -> str:
    keys = [f"key {key_label(action.key)}"] if action.key else []
    return ", ".join(keys + ([f":{action.verb}"] if action.verb else []))


__all__ = ["ActionsProvider", "Action"]
