"""NO_COLOR on a real terminal: the real `scaletui` in tmux, every pane, the help and the dashboard captured with
`tmux capture-pane -e`; no character may be drawn in its own background colour, and no colour may be chromatic.

Textual's monochrome filter used to turn the 16-colour theme's `ansi_default` into black for both the text and its
background of the status line and the tab bar (ESC[38;5;16m ESC[48;5;16m), so a NO_COLOR user saw empty bars.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER_ESCAPE = re.compile(r"\x1b[\[\]][0-9;?]*[A-Za-z]")
GREY_ANSI = {0, 7, 8, 15}
"""The 16 ANSI colours that are greys: black, white, bright black, bright white."""


def is_chromatic(colour: tuple[str, ...]) -> bool:
    kind = colour[0]
    if kind == "ansi":
        return int(colour[1]) not in GREY_ANSI
    if kind == "256":
        n = int(colour[1])
        if n < 16:
            return n not in GREY_ANSI
        if n >= 232:
            return False
        r, g, b = (n - 16) // 36, (n - 16) // 6 % 6, (n - 16) % 6
        return not r == g == b
    r, g, b = (int(v) for v in colour[1:])
    return not r == g == b


def _colour(codes: list[int], i: int) -> tuple[tuple[str, ...], int]:
    """An extended colour (38/48 ;5;n or ;2;r;g;b) starting at codes[i]; returns it and the next index."""
    if codes[i + 1] == 5:
        return ("256", str(codes[i + 2])), i + 3
    return ("rgb", str(codes[i + 2]), str(codes[i + 3]), str(codes[i + 4])), i + 5


def cells(screen: str) -> Iterator[tuple[str, tuple[str, ...] | None, tuple[str, ...] | None]]:
    """Each printed character with its foreground and background (None: the terminal's default), after reverse."""
    fg: tuple[str, ...] | None = None
    bg: tuple[str, ...] | None = None
    reverse = False
    for line in screen.splitlines():
        pos = 0
        for match in SGR.finditer(line):
            for ch in OTHER_ESCAPE.sub("", line[pos : match.start()]):
                yield (ch, bg, fg) if reverse else (ch, fg, bg)
            pos = match.end()
            codes = [int(c) for c in re.split("[;:]", match.group(1)) if c] or [0]
            i = 0
            while i < len(codes):
                c = codes[i]
                if c == 0:
                    fg = bg = None
                    reverse = False
                elif c == 7:
                    reverse = True
                elif c == 27:
                    reverse = False
                elif 30 <= c <= 37 or 90 <= c <= 97:
                    fg = ("ansi", str(c - 30 if c < 90 else c - 82))
                elif 40 <= c <= 47 or 100 <= c <= 107:
                    bg = ("ansi", str(c - 40 if c < 100 else c - 92))
                elif c == 39:
                    fg = None
                elif c == 49:
                    bg = None
                elif c in (38, 48):
                    colour, i = _colour(codes, i)
                    fg, bg = (colour, bg) if c == 38 else (fg, colour)
                    continue
                i += 1
        for ch in OTHER_ESCAPE.sub("", line[pos:]):
            yield (ch, bg, fg) if reverse else (ch, fg, bg)


def problems(screen: str) -> list[str]:
    found = []
    for ch, fg, bg in cells(screen):
        for colour in (fg, bg):
            if colour is not None and is_chromatic(colour):
                found.append(f"{ch!r} in chromatic colour {colour}")
        if not ch.isspace() and fg is not None and fg == bg:
            found.append(f"{ch!r} drawn in its own background colour {fg}")
    return found


def test_the_parser_catches_the_old_black_on_black() -> None:
    assert problems("\x1b[38;5;16m\x1b[48;5;16mdefault") != []
    assert problems("\x1b[31mfailed") != []
    assert problems("\x1b[1;7mPods\x1b[0m \x1b[2mjob\x1b[39m\x1b[49m") == []


class Tmux:
    def __init__(self, name: str, size: tuple[int, int], command: str) -> None:
        self.name = name
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", name, "-x", str(size[0]), "-y", str(size[1]), command], check=True
        )

    def capture(self) -> str:
        out = subprocess.run(["tmux", "capture-pane", "-e", "-p", "-t", self.name], capture_output=True, text=True)
        return out.stdout

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, text: str, active_tab: str = "", timeout: float = 90.0) -> str:
        """The screen once `text` is on it (escape codes removed for the match) and `active_tab` is drawn reversed,
        as NO_COLOR shows the active tab; fails at the deadline."""
        tab = re.compile(r"\x1b\[[0-9;]*7[0-9;]*m" + re.escape(active_tab))

        def shown(screen: str) -> bool:
            return text in SGR.sub("", screen) and (not active_tab or tab.search(screen) is not None)

        return self._until(shown, f"{text!r} not on screen within {timeout:.0f}s", timeout)

    def wait_gone(self, text: str, timeout: float = 90.0) -> str:
        """The screen once `text` is no longer on it (a dialog closed); fails at the deadline."""
        return self._until(lambda screen: text not in SGR.sub("", screen), f"{text!r} still on screen", timeout)

    def _until(self, done: Callable[[str], object], failure: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.capture()
            if done(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{failure}:\n{SGR.sub('', screen)}")
            time.sleep(0.3)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def no_color_app(tmp_path: Path) -> Iterator[tuple[Tmux, Tmux]]:
    """The app at 80x24 (tabs) and at 160x45 (dashboard), each with its own session in a fresh home. COLUMNS and
    LINES are unset: values reaching the app through tmux's environment (80x24 was seen) win over the pty's size."""
    repo = Path(__file__).parents[2]
    env = f"env -u COLUMNS -u LINES NO_COLOR=1 SCALETUI_HOME={shlex.quote(str(tmp_path))} TERM=xterm-256color"
    command = f"cd {shlex.quote(str(repo))} && {env} {shlex.quote(sys.executable)} -m scaletui --session"
    small = Tmux(f"nocolor-80-{os.getpid()}", (80, 24), f"{command} small")
    wide = Tmux(f"nocolor-160-{os.getpid()}", (160, 45), f"{command} wide")
    try:
        yield small, wide
    finally:
        small.close()
        wide.close()


def test_no_color_screens_are_readable(no_color_app: tuple[Tmux, Tmux]) -> None:
    small, wide = no_color_app
    screens = {"start": small.wait_for("Press ? for every key")}
    assert "small" in SGR.sub("", screens["start"]).splitlines()[0], "the status line shows the session"
    for key, title, shows in (
        ("1", "1 Reservations", "No reservation yet"),
        ("2", "2 Stages", "infrastructure"),
        ("3", "3 Pods", "Cluster stopped"),
        ("4", "4 Plots", "No metrics yet"),
        ("5", "5 Chaos", "No active fault"),
    ):
        small.keys(key)
        screens[title] = small.wait_for(shows, active_tab=title)
    small.keys("?")
    screens["help"] = small.wait_for("scaletui keys")
    small.keys("Escape")
    small.wait_gone("scaletui keys")
    small.keys("4")
    small.wait_for("No metrics yet", active_tab="4 Plots")
    small.keys("h")
    screens["decisions"] = small.wait_for("No decision yet")
    screens["dashboard"] = wide.wait_for("Press ? for every key")
    plain = SGR.sub("", screens["dashboard"])
    assert "No reservation yet" in plain and "Cluster stopped" in plain and "No active fault" in plain, plain
    for name, screen in screens.items():
        assert problems(screen) == [], f"{name}: {problems(screen)[:5]}"
