"""The command palette lists every action of the actions table as `noun: verb`, runnable from anywhere."""

from __future__ import annotations

from functools import partial

from textual.command import Hit, Hits, Provider

from scaletui.tui.actions import ACTIONS, Action, key_label


class ActionsProvider(Provider):
    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        app = self.app
        for action in ACTIONS:
            if not action.palette:
                continue
            score = matcher.match(action.palette)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(action.palette),
                    partial(app.run_palette_action, action),  # type: ignore[attr-defined]
                    help=f"key {key_label(action.key)}",
                )

    async def discover(self) -> Hits:
        app = self.app
        for action in ACTIONS:
            if action.palette:
                yield Hit(
                    1.0, action.palette, partial(app.run_palette_action, action), help=f"key {key_label(action.key)}"
                )  # type: ignore[attr-defined]


__all__ = ["ActionsProvider", "Action"]
