"""reesim from Python: run a scenario, compare results, run a sweep, and get DataFrames.

A thin layer over the same functions the command line uses (`reesim.scenario.load`,
`reesim.experiment`, `reesim.results`), so a notebook and ``reesim run`` give the same numbers
for the same scenario, overrides and seed::

    import reesim

    result = reesim.run("scenarios/examples/licence-queue.yaml", replications=50, seed=7,
                        overrides={"authority.review.capacity": 2})
    result.kpi("firms.importer.licence_wait_days").mean
    result.kpi_frame()          # one row per KPI and statistic
    result.replication_frame()  # one row per KPI and replication
    result.series_frame()       # one row per series, month and statistic

DataFrames need pandas, an optional extra (``pip install 'reesim[pandas]'``); everything else
works without it, and `Result.kpi_rows` and friends give the same tables as plain dicts.
Errors are reesim's own: a bad scenario raises `reesim.ScenarioError` with every problem, a
failed replication `reesim.SimulationError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reesim.errors import UsageError
from reesim.results import tidy
from reesim.results.compare import Comparison, compare_results
from reesim.results.result import Kpi, RunResult, Series
from reesim.results.stats import Summary
from reesim.scenario.load import ResolvedScenario, load_scenario

if TYPE_CHECKING:
    import pandas as pd

    from reesim.experiment.sweepsummary import SweepOutcome

Overrides = Mapping[str, Any] | Sequence[str] | None
"""``{"authority.review.capacity": 2}`` or ``["authority.review.capacity=2"]``: what ``--set``
takes. Mapping values are written as YAML flow text (``"45wd"``, ``2``, ``{dist: ...}``)."""


def overrides_text(overrides: Overrides) -> tuple[str, ...]:
    """Overrides as the ``PATH=VALUE`` texts of ``--set``, in order."""
    if overrides is None:
        return ()
    if isinstance(overrides, Mapping):
        from reesim.scenario.yamlsource import flow_text

        return tuple(f"{path}={flow_text(value)}" for path, value in overrides.items())
    if isinstance(overrides, str):
        raise TypeError("expected overrides as a mapping or a list of 'PATH=VALUE', got a str")
    return tuple(overrides)


def load(scenario: str | Path, overrides: Overrides = None) -> ResolvedScenario:
    """Read and validate a scenario file with overrides; `ScenarioError` lists every problem."""
    return load_scenario(scenario, overrides_text(overrides))


def _frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "DataFrames need pandas, an optional extra: pip install 'reesim[pandas]'"
        ) from None
    return pd.DataFrame(rows, columns=list(columns))


@dataclass(frozen=True)
class Result:
    """The outcome of `run`: KPI summaries with 95% intervals, per-replication values, monthly
    series with bands, and the provenance that replays it. `raw` is the `RunResult` the
    command line writes and reads (``--out x.json``)."""

    raw: RunResult

    @property
    def name(self) -> str:
        return self.raw.provenance.scenario_name

    @property
    def label(self) -> str:
        """The scenario's name, with its overrides if any: how comparisons name it."""
        overrides = self.raw.provenance.overrides
        return f"{self.name} ({', '.join(overrides)})" if overrides else self.name

    @property
    def seed(self) -> int:
        return self.raw.provenance.root_seed

    @property
    def replications(self) -> int:
        return len(self.raw.provenance.replications)

    @property
    def kpis(self) -> list[str]:
        return list(self.raw.kpis)

    @property
    def series(self) -> list[str]:
        return list(self.raw.series)

    def kpi(self, name: str) -> Summary:
        """The summary of one KPI (mean, std, ci_low, ci_high, p5, p50, p95, n)."""
        return self._kpi(name).summary

    def unit(self, name: str) -> str:
        """The unit of a KPI or a series."""
        if name in self.raw.series:
            return self.raw.series[name].unit
        return self._kpi(name).unit

    def values(self, name: str) -> tuple[float, ...]:
        """One KPI's value in each replication, NaN where it does not apply."""
        return self._kpi(name).values

    def monthly(self, name: str) -> Series:
        """One monthly series: mean, p5, p50, p95 per month of `months`."""
        try:
            return self.raw.series[name]
        except KeyError:
            raise KeyError(_unknown("series", name, self.raw.series)) from None

    @property
    def months(self) -> tuple[str, ...]:
        return self.raw.months

    def _kpi(self, name: str) -> Kpi:
        try:
            return self.raw.kpis[name]
        except KeyError:
            raise KeyError(_unknown("KPI", name, self.raw.kpis)) from None

    # --- tidy tables -------------------------------------------------------------------------
    def kpi_rows(self) -> list[dict[str, Any]]:
        return tidy.kpi_rows(self.raw)

    def replication_rows(self) -> list[dict[str, Any]]:
        return tidy.replication_rows(self.raw)

    def series_rows(self) -> list[dict[str, Any]]:
        return tidy.series_rows(self.raw)

    def daily_rows(self) -> list[dict[str, Any]]:
        return tidy.daily_rows(self.raw)

    def daily_frame(self) -> pd.DataFrame:
        """Columns scenario, series, unit, day, date, statistic, value: each firm's stock cover
        (``firms.<id>.cover_days_daily``) at every day's end, with its bands."""
        return _frame(self.daily_rows(), tidy.DAILY_COLUMNS)

    def kpi_frame(self) -> pd.DataFrame:
        """Columns scenario, kpi, group, measure, unit, statistic, value: one row per KPI and
        statistic (mean, std, ci_low, ci_high, p5, p50, p95, n)."""
        return _frame(self.kpi_rows(), tidy.KPI_COLUMNS)

    def replication_frame(self) -> pd.DataFrame:
        """Columns scenario, kpi, group, measure, unit, replication, value."""
        return _frame(self.replication_rows(), tidy.REPLICATION_COLUMNS)

    def series_frame(self) -> pd.DataFrame:
        """Columns scenario, series, unit, month, statistic, value (mean, p5, p50, p95)."""
        return _frame(self.series_rows(), tidy.SERIES_COLUMNS)

    # --- files -------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the result atomically: ``.json`` (everything; `Result.read` reads it back),
        ``.csv`` (KPI summaries) or ``.xlsx`` (summary, replications, series, provenance)."""
        from reesim.results.io import write_result

        write_result(self.raw, path)
        return Path(path)

    @staticmethod
    def read(path: str | Path) -> Result:
        """A result saved as JSON, by `save` or ``reesim run --out x.json``."""
        from reesim.results.io import read_result

        return Result(read_result(path))


def run(
    scenario: str | Path | ResolvedScenario,
    *,
    replications: int = 100,
    seed: int = 1,
    overrides: Overrides = None,
    workers: int = 1,
) -> Result:
    """Run `replications` replications of a scenario (a file, or what `load` returned) under
    root seed `seed`, on `workers` local processes (1 runs in this process; results are the
    same for any number)."""
    from reesim.experiment.executors import local_executor
    from reesim.experiment.runner import run_scenario

    if replications < 1:
        raise UsageError(f"expected replications >= 1, got {replications}")
    if workers < 1:
        raise UsageError(f"expected workers >= 1, got {workers}")
    if isinstance(scenario, ResolvedScenario):
        if overrides:
            raise UsageError("overrides apply to a scenario file; give them to load() instead")
        resolved = scenario
    else:
        resolved = load(scenario, overrides)
    with local_executor(workers) as executor:
        # Kept per replication: `replication_frame` and paired comparisons need them.
        raw = run_scenario(resolved, range(replications), seed, executor, workers, None, True)
    return Result(raw)


@dataclass(frozen=True)
class Compared:
    """Candidates against a baseline, KPI by KPI: Δ with its 95% interval, paired replication
    by replication when the runs share seed and replications (common random numbers)."""

    baseline: Result
    candidates: tuple[Result, ...]
    comparisons: tuple[Comparison, ...]

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for comparison in self.comparisons:
            for row in comparison.kpis.values():
                b, c, d = row.baseline, row.candidate, row.diff
                rows.append(
                    {
                        "baseline": comparison.baseline,
                        "candidate": comparison.candidate,
                        "kpi": row.name,
                        "unit": row.unit,
                        "baseline_mean": b.mean if b is not None else float("nan"),
                        "candidate_mean": c.mean if c is not None else float("nan"),
                        "delta": d.delta if d is not None else float("nan"),
                        "delta_ci_low": d.ci_low if d is not None else float("nan"),
                        "delta_ci_high": d.ci_high if d is not None else float("nan"),
                        "rel": d.rel if d is not None else float("nan"),
                        "p_value": d.p_value if d is not None else float("nan"),
                        "significant": row.significant,
                        "pairing": comparison.pairing.value,
                    }
                )
        return rows

    def frame(self) -> pd.DataFrame:
        """One row per candidate and KPI; columns as in `rows`."""
        rows = self.rows()
        return _frame(rows, list(rows[0]) if rows else ["baseline", "candidate", "kpi"])


def compare(
    baseline: Result | str | Path,
    *candidates: Result | str | Path,
    replications: int = 100,
    seed: int = 1,
    workers: int = 1,
    adjust: str | None = None,
) -> Compared:
    """Each candidate against `baseline`. Results are used as they are; scenario files run
    with one root seed (`seed`) and `replications`, so the differences are paired; ``.json``
    files are saved results. `adjust="holm"` adjusts p-values for the number of KPIs."""
    if not candidates:
        raise UsageError("expected at least one candidate to compare with the baseline")

    def result_of(item: Result | str | Path) -> Result:
        if isinstance(item, Result):
            return item
        if Path(item).suffix.lower() == ".json":
            return Result.read(item)
        return run(item, replications=replications, seed=seed, workers=workers)

    base = result_of(baseline)
    others = tuple(result_of(c) for c in candidates)
    comparisons = tuple(
        compare_results(
            base.raw,
            other.raw,
            baseline_label=base.label,
            candidate_label=other.label,
            adjust=adjust,
        )
        for other in others
    )
    return Compared(base, others, comparisons)


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep in its directory (`out_dir`): per point, each factor's value and each
    KPI's summary; every replication is in ``parts/``."""

    out_dir: Path
    outcome: SweepOutcome

    @property
    def kpis(self) -> list[str]:
        return list(self.outcome.kpis)

    def point_rows(self) -> list[dict[str, Any]]:
        """One row per design point, KPI and statistic (points-long.parquet): the sweep's name
        and scenario SHA-256, the point, each factor as written with its numeric value and
        unit (`<factor>.value`, `<factor>.unit`), the KPI, its unit, the statistic, the value."""
        from reesim.experiment.store import read_points_long

        columns = read_points_long(self.out_dir)
        names = list(columns)
        return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]

    def point_frame(self) -> pd.DataFrame:
        rows = self.point_rows()
        return _frame(rows, list(rows[0]) if rows else ["point", "kpi", "statistic", "value"])


def sweep(
    target: str | Path,
    out: str | Path,
    *,
    vary: Iterable[str] = (),
    overrides: Overrides = None,
    replications: int = 20,
    seed: int = 1,
    design: str = "grid",
    samples: int | None = None,
    kpis: Sequence[str] = (),
    workers: int = 1,
    resume: bool = False,
    force: bool = False,
) -> SweepResult:
    """Run a sweep file, or a scenario with `vary` factors (``"PATH=a,b,c"``,
    ``"PATH=low:high[:levels]"``; none sweeps its declared uncertainties), into `out`.

    The options after `vary` apply to a scenario only, as on the command line."""
    from reesim.experiment.executors import local_executor
    from reesim.experiment.sweep import execute_sweep
    from reesim.experiment.sweepfile import adhoc_plan, is_sweep_document, load_sweep
    from reesim.scenario.yamlsource import read_document

    doc = read_document(target)
    if is_sweep_document(doc):
        if list(vary) or overrides:
            raise UsageError(f"{target} is a sweep file: write factors and overrides in it")
        plan = load_sweep(target, doc)
    else:
        plan = adhoc_plan(
            target,
            list(vary),
            overrides_text(overrides),
            replications=replications,
            seed=seed,
            design=design,
            samples=samples,
            kpis=kpis,
            doc=doc,
        )
    with local_executor(workers) as executor:
        outcome = execute_sweep(plan, out, executor, workers=workers, resume=resume, force=force)
    return SweepResult(Path(out), outcome)


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"no {what} named {name!r}{hint}"
