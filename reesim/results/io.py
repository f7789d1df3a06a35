"""Results on disk and on stdout: JSON and CSV, written atomically.

A file is written to a temporary sibling and renamed into place, so a reader never sees half a
file and an interrupted write leaves the previous version intact.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from reesim.errors import Problem, ResultError, ScenarioError
from reesim.files import FileProblem, atomic_write_bytes, atomic_write_text, read_input
from reesim.results.names import is_daily
from reesim.results.result import RunResult, Series

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "read_result",
    "read_results",
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


MAX_RESULT_BYTES = 1 << 30
"""Largest saved result read (1 GiB): results hold every replication's KPIs and series."""
SAVED_RESULT = "a result saved by 'reesim run -o'"


def read_result(path: str | Path) -> RunResult:
    """A result saved as JSON; `ResultError` (exit 2) naming the file and what is wrong with it:
    unreadable, not JSON (with line and column), or not a result reesim wrote."""
    source = str(path)
    try:
        data = json.loads(read_input(path, "a result JSON file (reesim run -o)", MAX_RESULT_BYTES))
    except FileProblem as err:
        raise ResultError(source, str(err)) from None
    except json.JSONDecodeError as err:
        raise ResultError(source, f"expected JSON, got {err.msg}", err.lineno, err.colno) from None
    except (ValueError, RecursionError) as err:  # not text, or nested beyond any result
        raise ResultError(source, f"expected {SAVED_RESULT}, got {type(err).__name__}") from None
    if not isinstance(data, dict):
        raise ResultError(source, f"expected {SAVED_RESULT}, got JSON that is not an object")
    try:
        result = RunResult.from_dict(data)
        _check_shape(result)
    except ValueError as err:
        said = str(err)
        raise ResultError(
            source, said if said.startswith("expected") else f"expected {SAVED_RESULT}, got {said}"
        ) from None
    except KeyError as err:
        raise ResultError(source, f"expected {SAVED_RESULT}, got no {err} in it") from None
    except (TypeError, AttributeError, IndexError, OverflowError) as err:
        raise ResultError(source, f"expected {SAVED_RESULT}, got a malformed one ({err})") from None
    return result


def read_results(paths: Sequence[str | Path]) -> list[RunResult]:
    """Every saved result, or one `ScenarioError` listing every file that cannot be read."""
    results: list[RunResult] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            results.append(read_result(path))
        except ResultError as err:
            problems += err.problems
    if problems:
        raise ScenarioError(problems)
    return results


_MONTH = re.compile(r"\d{4}-\d{2}")


def _check_shape(r: RunResult) -> None:
    """Raise TypeError/ValueError where a result read from a file is not shaped like one that
    reesim wrote: one value per replication, one per month, text where text belongs. Readers
    (comparisons, charts, reports) then never meet a list of the wrong length or type."""
    n = len(r.provenance.replications)  # whole numbers already (compact_indices)
    if n < 1:
        raise TypeError("no replication_indices")
    if not _is_int(r.provenance.root_seed):
        raise TypeError("a root_seed that is not a whole number")
    p = r.provenance
    texts = (p.reesim_version, p.scenario_name, p.scenario_path, p.scenario_sha256, p.created_utc)
    if not all(isinstance(t, str) for t in (*texts, *p.overrides)):
        raise TypeError(
            "a reesim version, scenario name, path, sha256, overrides or creation time that is not text"
        )
    if not r.months or not all(isinstance(m, str) and _MONTH.fullmatch(m) for m in r.months):
        raise TypeError("months that are not YYYY-MM")
    for m in r.months:
        date.fromisoformat(f"{m}-01")
    # Per-replication values are kept only with --keep-replications: none, or one each.
    events = r.events_per_replication
    if len(events) not in (0, n) or not all(_is_int(e) for e in events):
        raise TypeError(f"events_per_replication that are not {n} whole numbers")
    for k in r.kpis.values():
        if len(k.values) not in (0, n) or not isinstance(k.unit, str):
            raise TypeError(f"KPI {k.name!r} without one value per replication")
        sm = k.summary
        if not (_is_int(sm.n) and 0 <= sm.n <= n) or not (
            sm.ones is None or (_is_int(sm.ones) and 0 <= sm.ones <= sm.n)
        ):
            raise TypeError(f"KPI {k.name!r} with n or ones that is not a count of replications")
        if not _plausible(
            (*k.values, sm.mean, sm.std, sm.ci_low, sm.ci_high, sm.p5, sm.p50, sm.p95)
        ):
            raise ValueError(f"KPI {k.name!r} with a value beyond {MAX_VALUE:g}")
    for s in r.series.values():
        # Monthly series have one value per month, daily ones (`*_daily`) one per day.
        length = len(s.mean) if is_daily(s.name) else len(r.months)
        if not isinstance(s.unit, str) or any(
            len(v) != length for v in (s.mean, s.p5, s.p50, s.p95)
        ):
            raise TypeError(f"series {s.name!r} without one value per month (or day)")
        if not _plausible((*s.mean, *s.p5, *s.p50, *s.p95)):
            raise ValueError(f"series {s.name!r} with a value beyond {MAX_VALUE:g}")
    for e in r.timeline:
        if not (isinstance(e.name, str) and isinstance(e.date, str)) or isinstance(e.day, bool):
            raise TypeError("a timeline entry that is not a name, a date and a day")
        date.fromisoformat(e.date)
        float(e.day)
    if not isinstance(r.inputs, dict):
        raise TypeError("inputs that are not a mapping")


MAX_VALUE = 1e15
"""Largest magnitude of a value in a saved result: far above any a run gives (quantities are at
most 1e9 kg), far below where squaring it for a variance overflows."""


def _plausible(values: Sequence[float]) -> bool:
    """Every value is NaN (not applicable) or a number of sensible size."""
    return all(math.isnan(v) or abs(v) <= MAX_VALUE for v in values)


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)
