"""Counts in sentences: "1 TaskManager", "2 TaskManagers", never "TaskManager(s)"."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str = "") -> str:
    """`count` and the noun in the number it takes; `plural` for nouns that do not just add an s."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
