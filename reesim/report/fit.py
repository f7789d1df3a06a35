"""Tables that fit the width they are printed at without cutting a number.

A `FittedTable` is built when it is rendered, for the width rich gives it: numbers sit in
columns that never wrap and are never narrower than their widest cell, text columns (names)
fold onto more lines, and when the numbers alone are too wide the lowest-priority columns are
left out (a note under the table names them) until the rest fits. `--format json`, `csv` or
`markdown` carry every column whatever the width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

UNBOUNDED = 1_000_000
MAX_WORD = 32
"""Widest a text column insists on: longer words fold onto the next line."""


@dataclass
class Col:
    """One column: its header, cells (one per row; None leaves the cell empty), and how it
    behaves. `number` columns never wrap or shrink; `drop` ranks the columns left out first
    when the table does not fit (1 goes first; 0 is never left out)."""

    header: str | Text
    cells: list[str | Text | None]
    number: bool = False
    drop: int = 0
    justify: str = "left"
    style: str = ""


@dataclass
class FittedTable:
    """A table of `cols`, fitted to the width it is rendered at (see the module docstring)."""

    cols: list[Col]
    title: str | Text | None = None

    def _table(self, cols: Sequence[Col], whole_words: bool = True) -> Table:
        table = Table(
            box=box.SIMPLE_HEAD,
            title_justify="left",
            show_edge=False,
            pad_edge=False,
        )
        for col in cols:
            # A number column is as wide as its widest number; its header may wrap.
            widest = max([1, *(_width(c) for c in col.cells)])
            if col.number:
                table.add_column(
                    col.header,
                    justify=col.justify,  # type: ignore[arg-type]
                    no_wrap=True,
                    min_width=widest,
                    style=col.style or None,
                )
            else:
                # Text wraps between words; a word (a KPI name) folds only if longer than this.
                longest_word = max(_longest_word(c) for c in [col.header, *col.cells])
                table.add_column(
                    col.header,
                    justify=col.justify,  # type: ignore[arg-type]
                    overflow="fold",
                    min_width=min(longest_word, MAX_WORD) if whole_words else None,
                    style=col.style or None,
                )
        rows = max((len(c.cells) for c in cols), default=0)
        for i in range(rows):
            table.add_row(*(_cell(c.cells[i]) for c in cols))
        return table

    def chosen(
        self, width: int, console: Console, options: ConsoleOptions
    ) -> tuple[list[Col], bool]:
        """The columns kept at `width` (all, or without the lowest-priority ones) and whether
        text keeps its words whole (it folds them only when nothing else is left to drop)."""
        kept = list(self.cols)
        ranks = sorted({c.drop for c in kept if c.drop > 0})
        # Measured unbounded: rich clamps a measurement to the width it is given.
        unbounded = options.update_width(UNBOUNDED)
        for rank in [None, *ranks]:
            if rank is not None:
                kept = [c for c in kept if c.drop == 0 or c.drop > rank]
            if Measurement.get(console, unbounded, self._table(kept)).minimum <= width:
                return kept, True
        return kept, False

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        kept, whole_words = self.chosen(options.max_width, console, options)
        if self.title is not None:
            # Above the table, not its title: it wraps at the output's width, not the table's.
            title = self.title if isinstance(self.title, Text) else Text(self.title)
            yield Text(title.plain, style="table.title")
        yield self._table(kept, whole_words)
        dropped = [_plain(c.header) for c in self.cols if c not in kept]
        if dropped:
            yield Text(
                f"({', '.join(dropped)} left out to fit {options.max_width} columns: "
                "widen the terminal or set COLUMNS)",
                style="dim",
            )

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self._table(self.cols))


def _width(cell: str | Text | None) -> int:
    return max((cell_len(line) for line in _plain(cell).splitlines()), default=0)


def _longest_word(cell: str | Text | None) -> int:
    """The widest word of a cell, with the indent before the first (KPI names are indented)."""
    text = _plain(cell)
    words = text.split()
    if not words:
        return 1
    indent = cell_len(text) - cell_len(text.lstrip())
    return max(indent + cell_len(words[0]), *(cell_len(w) for w in words))


def _plain(cell: str | Text | None) -> str:
    if cell is None:
        return ""
    return cell.plain if isinstance(cell, Text) else cell


def _cell(cell: str | Text | None) -> Text:
    if cell is None:
        return Text("")
    return cell if isinstance(cell, Text) else Text(cell)  # never markup


@dataclass
class FittedChunks:
    """Tables of a leading column plus as many of `cols` side by side as fit the width (at
    most `most`), one table after another: monthly series, a few at a time."""

    lead: Col
    cols: list[Col]
    most: int = 3

    def tables(self, per_table: int) -> list[FittedTable]:
        return [
            FittedTable([self.lead, *self.cols[i : i + per_table]])
            for i in range(0, len(self.cols), per_table)
        ]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        unbounded = options.update_width(UNBOUNDED)
        per_table = 1
        for k in range(min(self.most, len(self.cols)), 0, -1):
            widest = max(
                Measurement.get(console, unbounded, t._table(t.cols)).minimum
                for t in self.tables(k)
            )
            if widest <= options.max_width:
                per_table = k
                break
        yield from self.tables(per_table)
