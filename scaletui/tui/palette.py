"""The command palette lists the actions of the actions table as `noun: verb`, runnable from anywhere.

Pane actions are offered once the session is open (before, they could not run); the run history's own keys are
not offered (they act on its screen, which the palette would close).
"""

from __future__ import annotations

from functools import partial

from textual.command import Hit, Hits, Provider

from scaletui.tui.actions import ACTIONS, PALETTE_SCOPES, Action, key_label


class ActionsProvider(Provider):
    def _offered(self) -> list[Action]:
        ready = getattr(self.app, "engine_ready", True)
        return [
            a for a in ACTIONS if a.palette and a.scope in PALETTE_SCOPES and (ready or a.scope in ("app", "table"))
        ]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        run = self.app.run_palette_action  # type: ignore[attr-defined]
        for action in self._offered():
            score = matcher.match(action.palette)
            if score > 0:
                yield Hit(score, matcher.highlight(action.palette), partial(run, action), help=key_label(action.key))

    async def discover(self) -> Hits:
        run = self.app.run_palette_action  # type: ignore[attr-defined]
        for action in self._offered():
            yield Hit(1.0, action.palette, partial(run, action), help=f"key {key_label(action.key)}")


__all__ = ["ActionsProvider", "Action"]
