"""The colours a chart draws with, from the theme: one place for the live Plots pane and a past run's summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rich.style import Style

    from scaletui.tui.theming import Palette

LINE_COLOURS = ("primary", "success", "warning", "secondary", "accent", "foreground")
"""Theme variables the lines take in turn."""


def line_styles(palette: Palette, variables: Mapping[str, str]) -> list[Style]:
    """One style per line, in order; without colour, bold, plain, dim and italic tell them apart."""
    from rich.style import Style

    from scaletui.tui.theming import rich_colour

    if palette.no_color:
        return [Style(bold=True), Style(), Style(dim=True), Style(italic=True)]
    return [Style(color=rich_colour(variables.get(v, "")) or None) for v in LINE_COLOURS]


def chart_styles(palette: Palette, variables: Mapping[str, str]) -> tuple[Style, Style, Style]:
    """The fault shade (the fault colour faded into the background; grey in 16 colours; reverse without colour),
    the decision markers' style and the axes'."""
    from rich.style import Style
    from textual.color import Color

    marker = Style.parse(palette.style("decision", "bold"))
    if palette.no_color:
        return Style(reverse=True), marker, Style()
    fault = palette.colours.get("fault-active", "")
    background = variables.get("surface", "")
    if fault.startswith("ansi_") or not fault or not background or background.startswith("ansi_"):
        shade = Style(bgcolor="bright_black")
    else:
        shade = Style(bgcolor=Color.parse(background).blend(Color.parse(fault), 0.3).hex)
    return shade, marker, Style(dim=True)


def step_style(palette: Palette) -> Style:
    """The markers of the steps that changed the job (by hand or by the experiment file's timeline): their own
    colour, apart from the autoscaler's decisions; without colour, the dashed line and the legend tell them apart.
    The theme key keeps its first name, "hand", so the theme files users wrote still load."""
    from rich.style import Style

    return Style.parse(palette.style("hand", "bold"))
