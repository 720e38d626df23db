"""A DataTable with a k9s-style `/` filter (`!text` inverts), sort by column (`o`), and an empty-state line.

The filter's input is mounted the first time `/` is pressed: most tables are never filtered, and every widget
composed costs the first frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from scaletui.tui.actions import bindings

Row = tuple[str, Sequence[str | Text]]


def matches(cells: Sequence[str | Text], query: str) -> bool:
    """`query` matches any cell (case-insensitive); a leading `!` inverts."""
    if not query:
        return True
    invert = query.startswith("!")
    needle = query[1:].lower() if invert else query.lower()
    hit = any(needle in (c.plain if isinstance(c, Text) else str(c)).lower() for c in cells)
    return hit != invert


def sort_key(cell: str | Text) -> tuple[int, float, str]:
    plain = cell.plain if isinstance(cell, Text) else str(cell)
    try:
        return (0, float(plain.split()[0].rstrip("%s")), "")
    except (ValueError, IndexError):
        return (1, 0.0, plain.lower())


def same_cell(a: str | Text, b: str | Text) -> bool:
    if isinstance(a, Text) and isinstance(b, Text):
        return a.plain == b.plain and str(a.style) == str(b.style) and a.spans == b.spans
    return type(a) is type(b) and a == b


def same_rows(a: Sequence[Row], b: Sequence[Row]) -> bool:
    return len(a) == len(b) and all(
        ka == kb and len(ca) == len(cb) and all(same_cell(x, y) for x, y in zip(ca, cb, strict=True))
        for (ka, ca), (kb, cb) in zip(a, b, strict=True)
    )


class RowTable(DataTable[str | Text], inherit_bindings=False):
    """A DataTable whose Home and End go to the first and last row (FilterTable's keys, listed in the help) rather
    than to the first and last column of a row-cursor table: the run history's oldest run was 17 presses away."""

    BINDINGS = [b for b in DataTable.BINDINGS if not isinstance(b, Binding) or b.key not in ("home", "end")]


class FilterTable(Vertical):
    DEFAULT_CSS = """
    FilterTable { height: 1fr; }
    FilterTable > Input, FilterTable > Input:focus { display: none; height: 1; border: none; padding: 0 1; }
    FilterTable > Input.-active { display: block; background: $boost; }
    FilterTable > .empty { color: $text-muted; padding: 0 1; height: auto; }
    FilterTable > DataTable { height: 1fr; }
    """
    BINDINGS = bindings("table")

    def __init__(self, columns: Sequence[str], empty: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = list(columns)
        self.empty_text = empty
        self.rows: list[Row] = []
        self.query_text = ""
        self.sort_column: int | None = None
        self.sort_reverse = False

    def compose(self) -> ComposeResult:
        yield Static(self.empty_text, classes="empty")
        table: DataTable[str | Text] = RowTable(cursor_type="row", zebra_stripes=True)
        table.add_columns(*self.columns)
        yield table

    @property
    def table(self) -> DataTable[str | Text]:
        return self.query_one(DataTable)

    def action_first_row(self) -> None:
        self.table.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.table.move_cursor(row=max(0, self.table.row_count - 1))

    def set_empty(self, text: str) -> None:
        self.empty_text = text
        self._render_rows()

    def set_rows(self, rows: Iterable[Row]) -> None:
        """Tables are refreshed every second: rows that read the same keep the table as it is (and its cursor)."""
        rows = list(rows)
        if self.is_mounted and same_rows(rows, self.rows):
            return
        self.rows = rows
        self._render_rows()

    def selected_key(self) -> str | None:
        table = self.table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    def _render_rows(self) -> None:
        if not self.is_mounted:
            return
        table = self.table
        keep = self.selected_key()
        shown = [r for r in self.rows if matches(r[1], self.query_text)]
        if self.sort_column is not None:
            col = self.sort_column
            shown.sort(key=lambda r: sort_key(r[1][col]), reverse=self.sort_reverse)
        table.clear()
        for key, cells in shown:
            table.add_row(*cells, key=key)
        if keep is not None:
            for index, (key, _) in enumerate(shown):
                if key == keep:
                    table.move_cursor(row=index)
        empty = self.query_one(".empty", Static)
        if not self.rows:
            empty.update(self.empty_text)
        elif not shown:
            empty.update(f"No row matches /{self.query_text} ({len(self.rows)} hidden). Esc clears the filter.")
        else:
            empty.update(f"filter /{self.query_text}: {len(shown)} of {len(self.rows)}" if self.query_text else "")
        empty.display = bool(not self.rows or not shown or self.query_text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Esc clears a filter only when there is one; otherwise it goes on to the screen (back, close)."""
        if action == "clear_filter":
            return bool(self.query_text) or bool(self.query(Input) and self.query_one(Input).has_class("-active"))
        return True

    async def action_filter(self) -> None:
        boxes = self.query(Input)
        if boxes:
            box = boxes.first(Input)
        else:
            box = Input(placeholder="filter: text, or !text to hide matches; Enter keeps it, Esc clears")
            await self.mount(box, before=0)
        box.add_class("-active")
        box.focus()

    def action_sort(self) -> None:
        """Cycle: sort by the cursor's column ascending, then descending, then unsorted."""
        col = self.table.cursor_coordinate.column
        if self.sort_column != col:
            self.sort_column, self.sort_reverse = col, False
        elif not self.sort_reverse:
            self.sort_reverse = True
        else:
            self.sort_column = None
        self._render_rows()

    def action_clear_filter(self) -> None:
        for box in self.query(Input):
            box.value = ""
            box.remove_class("-active")
        self.query_text = ""
        self._render_rows()
        self.table.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_text = event.value
        self._render_rows()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            event.input.remove_class("-active")
        self.table.focus()

    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.key == "escape" and any(box.has_focus for box in self.query(Input)):
            event.stop()
            self.action_clear_filter()
