"""Markdown table cells, shared by report.md's sections."""

from __future__ import annotations


def cell(text: object, width: int = 80) -> str:
    """`text` as one table cell: pipes escaped, one line, cut to `width` characters."""
    value = str(text).replace("|", "\\|").replace("\n", " ")
    return value if len(value) <= width else value[: width - 1] + "…"
