"""A line redrawn in place under the printed ones on a terminal: a progress bar that never scrolls the log."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import TextIO


def terminal_columns() -> int:
    return shutil.get_terminal_size().columns


class LiveLine:
    """Lines go out as they are; a `live` one stays on the terminal's last line, replaced by the next line written
    (`\\r` and erase line), so the printed lines stay whole above it. Not on a TTY, every line is a plain line."""

    def __init__(self, stream: TextIO, tty: bool, columns: Callable[[], int] = terminal_columns) -> None:
        self.stream = stream
        self.tty = tty
        self.columns = columns
        """The terminal's width, read at each live line: one wider would wrap, and erasing the last row would
        leave its first rows on screen at every redraw (review 38 F5)."""
        self.shown = False
        """A live line is on the terminal's last line, with no newline after it."""

    def write(self, line: str, live: bool = False) -> None:
        if self.shown:
            self.stream.write("\r\x1b[2K")
        self.shown = live and self.tty
        self.stream.write(line[: max(1, self.columns() - 1)] if self.shown else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Leave a live line in place: the next output starts below it."""
        if self.shown:
            self.stream.write("\n")
            self.shown = False
        self.stream.flush()
