"""Results on disk and on stdout: JSON and CSV, written atomically.

A file is written to a temporary sibling and renamed into place, so a reader never sees half a
file and an interrupted write leaves the previous version intact.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path

from reesim.files import atomic_write_bytes, atomic_write_text
from reesim.results.result import RunResult, Series

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "read_result",
    "result_bytes",
    "series_csv",
    "to_csv",
    "to_json",
    "write_result",
]

CSV_FIELDS = (
    "kpi",
    "unit",
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "interval",
    "p5",
    "p5_low",
    "p5_high",
    "p50",
    "p50_low",
    "p50_high",
    "p95",
    "p95_low",
    "p95_high",
    "n",
)
"""ci_low..ci_high is the mean's 95% interval (made as `interval` says: wilson, t or bound);
pX_low..pX_high the distribution-free 95% interval of each percentile."""
PROVENANCE_FIELDS = ("scenario", "scenario_sha256", "root_seed", "replications", "reesim_version")
"""Last on every row of a CSV result: what produced it, so a file says so on its own and files
of several runs concatenate into one table."""


def _provenance_cells(result: RunResult) -> list[str | int]:
    p = result.provenance
    return [p.scenario_name, p.scenario_sha256, p.root_seed, len(p.replications), p.reesim_version]


def to_json(result: RunResult) -> str:
    return json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n"


def to_csv(result: RunResult) -> str:
    """One row per KPI with its summary statistics."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow((*CSV_FIELDS, *PROVENANCE_FIELDS))
    provenance = _provenance_cells(result)
    for k in result.kpis.values():
        s = k.summary
        cells: list[str | int] = [k.name, k.unit]
        cells += [_g(v) for v in (s.mean, s.std, s.ci_low, s.ci_high)]
        cells.append(s.interval)
        for q, value in (("p5", s.p5), ("p50", s.p50), ("p95", s.p95)):
            low, high = s.percentile_ci.get(q, (math.nan, math.nan))
            cells += [_g(value), _g(low), _g(high)]
        cells.append(s.n)
        writer.writerow([*cells, *provenance])
    return buf.getvalue()


def _g(v: float) -> str:
    return f"{v:.6g}"


def series_csv(result: RunResult, series: Sequence[Series]) -> str:
    """Monthly series in long form: one row per series and month."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(("series", "unit", "month", "mean", "p5", "p50", "p95", *PROVENANCE_FIELDS))
    provenance = _provenance_cells(result)
    for s in series:
        for i, month in enumerate(result.months):
            values = (s.mean[i], s.p5[i], s.p50[i], s.p95[i])
            writer.writerow([s.name, s.unit, month, *(f"{v:.6g}" for v in values), *provenance])
    return buf.getvalue()


WRITERS = {".json": to_json, ".csv": to_csv}
SUFFIXES = (*WRITERS, ".xlsx")


def result_bytes(result: RunResult, path: str | Path) -> bytes:
    """The file `path` should hold, by its suffix: `.json` (everything), `.csv` (the KPI
    summaries) or `.xlsx` (a workbook: summary, replications, series and provenance sheets)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".xlsx":
        from reesim.results.excel import workbook_bytes

        return workbook_bytes(result)
    if suffix not in WRITERS:
        raise ValueError(
            f"expected an output file ending in .json, .csv or .xlsx, got {str(path)!r}"
        )
    return WRITERS[suffix](result).encode("utf-8")


def write_result(result: RunResult, path: str | Path) -> None:
    """`result` written atomically to `path`, in the form its suffix says (`result_bytes`)."""
    atomic_write_bytes(path, result_bytes(result, path))


def read_result(path: str | Path) -> RunResult:
    return RunResult.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
