"""Results in tidy long form: one observation per row, numbers as numbers, units in a column.

Three tables describe a `RunResult`, each a list of plain dicts with the columns named in
`KPI_COLUMNS`, `REPLICATION_COLUMNS` and `SERIES_COLUMNS`:

- KPI summaries: one row per KPI and statistic (mean, std, ci_low, ci_high, p5, p50, p95, n);
- per replication: one row per KPI and replication;
- monthly series: one row per series, month and statistic (mean, p5, p50, p95);
- daily series (each firm's stock cover at every day's end): one row per series, day and
  statistic.

Every row carries the scenario's name, so tables of several results concatenate into one.
Undefined values (a first stockout day where none happened) are NaN, never text. The Python
API turns these into pandas DataFrames; Excel and CSV writers use them as they are.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from reesim.results.names import is_daily
from reesim.results.result import Kpi, RunResult

KPI_STATISTICS = ("mean", "std", "ci_low", "ci_high", "p5", "p50", "p95", "n")
SERIES_STATISTICS = ("mean", "p5", "p50", "p95")

KPI_COLUMNS = ("scenario", "kpi", "group", "measure", "unit", "statistic", "value")
REPLICATION_COLUMNS = ("scenario", "kpi", "group", "measure", "unit", "replication", "value")
SERIES_COLUMNS = ("scenario", "series", "unit", "month", "statistic", "value")
DAILY_COLUMNS = ("scenario", "series", "unit", "day", "date", "statistic", "value")

Row = dict[str, Any]


def kpi_rows(result: RunResult) -> list[Row]:
    """One row per KPI and summary statistic; `n` (replications where the KPI applies) is a
    count, given as a float like the other values so the column has one type."""
    name = result.provenance.scenario_name
    return [
        {**_kpi_identity(name, k), "statistic": stat, "value": float(getattr(k.summary, stat))}
        for k in result.kpis.values()
        for stat in KPI_STATISTICS
    ]


def replication_rows(result: RunResult) -> list[Row]:
    """One row per KPI and replication (replication indices as run: 0..n-1, or the replayed)."""
    name = result.provenance.scenario_name
    indices = list(result.provenance.replications)
    return [
        {**_kpi_identity(name, k), "replication": int(replication), "value": float(value)}
        for k in result.kpis.values()
        for replication, value in zip(indices, k.values, strict=False)
    ]


def _kpi_identity(scenario: str, k: Kpi) -> Row:
    """The columns naming a KPI, shared by its statistic rows and its replication rows."""
    return {
        "scenario": scenario,
        "kpi": k.name,
        "group": k.group,
        "measure": k.measure,
        "unit": k.unit,
    }


def series_rows(result: RunResult) -> list[Row]:
    """One row per monthly series, month (``YYYY-MM``) and band statistic."""
    name = result.provenance.scenario_name
    rows = []
    for s in result.series.values():
        if is_daily(s.name):
            continue
        for i, month in enumerate(result.months):
            for stat in SERIES_STATISTICS:
                rows.append(
                    {
                        "scenario": name,
                        "series": s.name,
                        "unit": s.unit,
                        "month": month,
                        "statistic": stat,
                        "value": float(getattr(s, stat)[i]),
                    }
                )
    return rows


def daily_rows(result: RunResult) -> list[Row]:
    """One row per daily series (stock cover at each day's end), day and band statistic; `day`
    counts from 1 (the end of the first simulated day), `date` is that day."""
    name = result.provenance.scenario_name
    start = result.inputs.get("start")
    first = date.fromisoformat(str(start)) if start else None
    rows = []
    for s in result.series.values():
        if not is_daily(s.name):
            continue
        for i in range(len(s.mean)):
            day = first + timedelta(days=i) if first else None
            for stat in SERIES_STATISTICS:
                rows.append(
                    {
                        "scenario": name,
                        "series": s.name,
                        "unit": s.unit,
                        "day": i + 1,
                        "date": day.isoformat() if day else "",
                        "statistic": stat,
                        "value": float(getattr(s, stat)[i]),
                    }
                )
    return rows


def provenance_rows(result: RunResult) -> list[Row]:
    """What produced the result, as (field, value) rows: for a sheet or a file header."""
    p = result.provenance
    fields: list[tuple[str, Any]] = [
        ("scenario", p.scenario_name),
        ("scenario_path", p.scenario_path),
        ("scenario_sha256", p.scenario_sha256),
        ("overrides", " ".join(p.overrides)),
        ("root_seed", p.root_seed),
        ("replications", len(p.replications)),
        ("reesim_version", p.reesim_version),
        ("created_utc", p.created_utc),
        ("wall_time_s", p.wall_time_s),
    ]
    return [{"field": k, "value": v} for k, v in fields]
