"""A result as an Excel workbook, for analysts who live in spreadsheets (``--out x.xlsx``).

Sheets: `summary` (one row per KPI: unit, mean, 95% interval, percentiles, n), `replications`
(one row per replication, one column per KPI, its unit in the header), `series` (one row per
month, a column per series and band statistic, units in the headers) and `provenance` (what
produced it: scenario, SHA-256, overrides, seed, version). Cells hold numbers, never text; a
value that does not apply is an empty cell.
"""

from __future__ import annotations

import io
import math
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reesim.results.names import is_daily
from reesim.results.result import RunResult
from reesim.results.tidy import KPI_STATISTICS, SERIES_STATISTICS, provenance_rows

SHEETS = ("summary", "replications", "series", "provenance")


def headed(name: str, unit: str) -> str:
    """A column header with its unit: ``firms.ford.stockout_days (d)``."""
    return f"{name} ({unit})" if unit else name


def workbook_bytes(result: RunResult) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "summary"
    _fill(
        summary,
        ["kpi", "unit", *KPI_STATISTICS],
        [
            [k.name, k.unit, *(getattr(k.summary, s) for s in KPI_STATISTICS)]
            for k in result.kpis.values()
        ],
    )
    kpis = list(result.kpis.values())
    if result.kept_replications:
        _fill(
            book.create_sheet("replications"),
            ["replication", *(headed(k.name, k.unit) for k in kpis)],
            [
                [index, *(k.values[i] for k in kpis)]
                for i, index in enumerate(result.provenance.replications)
            ],
        )
    else:
        _fill(
            book.create_sheet("replications"),
            ["note"],
            [["per-replication values were not kept: reesim run --keep-replications"]],
        )
    series = [s for s in result.series.values() if not is_daily(s.name)]
    _fill(
        book.create_sheet("series"),
        [
            "month",
            *(f"{headed(s.name, s.unit)} {stat}" for s in series for stat in SERIES_STATISTICS),
        ],
        [
            [month, *(getattr(s, stat)[i] for s in series for stat in SERIES_STATISTICS)]
            for i, month in enumerate(result.months)
        ],
    )
    _fill(
        book.create_sheet("provenance"),
        ["field", "value"],
        [[r["field"], r["value"]] for r in provenance_rows(result)],
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fill(sheet: Worksheet, header: list[str], rows: list[list[Any]]) -> None:
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    sheet.freeze_panes = "B2"
    for i, title in enumerate(header, start=1):
        width = max([len(str(title)), *(len(str(r[i - 1])) for r in rows[:50])], default=8)
        sheet.column_dimensions[get_column_letter(i)].width = min(60, max(8, width + 2))


def _cell(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)  # Excel has no infinity
    return value
