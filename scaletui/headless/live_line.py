"""A line redrawn in place under the printed ones on a terminal: a progress bar that never scrolls the log."""

from __future__ import annotations

from typing import TextIO


class LiveLine:
    """Lines go out as they are; a `live` one stays on the terminal's last line, replaced by the next line written
    (`\\r` and erase line), so the printed lines stay whole above it. Not on a TTY, every line is a plain line."""

    def __init__(self, stream: TextIO, tty: bool) -> None:
        self.stream = stream
        self.tty = tty
        self.shown = False
        """A live line is on the terminal's last line, with no newline after it."""

    def write(self, line: str, live: bool = False) -> None:
        if self.shown:
            self.stream.write("\r\x1b[2K")
        self.shown = live and self.tty
        self.stream.write(line if self.shown else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Leave a live line in place: the next output starts below it."""
        if self.shown:
            self.stream.write("\n")
            self.shown = False
        self.stream.flush()
