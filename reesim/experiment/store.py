"""A sweep's output directory: manifest, Parquet parts written atomically, summaries, resume.

    DIR/sweep.json          manifest: sweep file, spec, resolved design, root seed, reesim
                            version, started/finished, status, counts, attempts
    DIR/parts/*.parquet     per-replication results (point, replication, seed, events, error,
                            one column per KPI), one file per finished task, written atomically
    DIR/points.parquet      per point: factor values, replications, failures and for each KPI
    DIR/points.csv            mean, std, 95% CI, p5, p50, p95 and n (`<kpi>.mean`, ...)
    DIR/failures.csv        replications that raised, with the command that replays each
    DIR/sensitivity.csv     sobol designs: first-order and total indices with 95% CIs per KPI

`sweep.execute_sweep` runs a sweep into this directory; each finished task is written as one
Parquet part (temporary file, fsync, rename). Each row carries its point's key (a hash of what
it depends on, see `design.point_key`), and only rows whose key matches the current plan
count: resuming a changed sweep (allowed with `force`) reuses exactly the points that did not
change. Per-point summaries are computed at the end from the parts, a bounded range of points
at a time.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import shlex
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from scipy import stats as sps

from reesim import __version__
from reesim.errors import UsageError
from reesim.experiment.design import Design, sobol_indices, yaml_flow
from reesim.experiment.runner import BatchOutcome
from reesim.experiment.sweepfile import SweepPlan
from reesim.results.io import atomic_write_text
from reesim.results.stats import CONFIDENCE

FORMAT = 1
MANIFEST = "sweep.json"
PARTS = "parts"
OUTPUTS = ("points.parquet", "points.csv", "failures.csv", "sensitivity.csv")
RESERVED = ("point", "replication", "seed", "point_key", "events", "error")
STATS = ("mean", "std", "ci_low", "ci_high", "p5", "p50", "p95", "n")
ROWS_PER_CHUNK = 200_000
"""Replication rows read at once when summarising points."""


@dataclass(frozen=True)
class SobolRow:
    kpi: str
    factor: str
    path: str
    s1: float
    s1_conf: float
    st: float
    st_conf: float
    rank: int


@dataclass
class SweepOutcome:
    out_dir: Path
    points: int
    replications: int
    done: int
    failed: int
    ran: int
    wall_s: float
    status: str
    kpis: list[str] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    """The first few failures (point, replication, seed, error, replay)."""
    sensitivity: list[SobolRow] = field(default_factory=list)
    sensitivity_skipped: dict[str, str] = field(default_factory=dict)


# --- parts ------------------------------------------------------------------------------------
def write_part(
    path: Path,
    outcomes: Sequence[BatchOutcome],
    keys: Sequence[str],
    keep: Callable[[str], bool] = lambda _: True,
) -> None:
    """One task's replications as a Parquet file, written atomically."""
    rows: list[tuple[int, int, int, int, str | None, dict[str, float]]] = []
    for o in outcomes:
        rows += [(o.point, m.replication, o.seed, m.events, None, m.kpis) for m in o.metrics]
        rows += [(f.point, f.replication, f.seed, 0, f.error, {}) for f in o.failures]
    names: list[str] = []
    seen: set[str] = set()
    for *_, kpis in rows:
        for name in kpis:
            if name not in seen and keep(name):
                seen.add(name)
                names.append(name)
    order = sorted(range(len(rows)), key=lambda i: (rows[i][0], rows[i][1]))
    rows = [rows[i] for i in order]
    columns: dict[str, pa.Array] = {
        "point": pa.array([r[0] for r in rows], pa.int64()),
        "replication": pa.array([r[1] for r in rows], pa.int64()),
        "seed": pa.array([r[2] for r in rows], pa.int64()),
        "point_key": pa.array([keys[r[0]] for r in rows], pa.string()),
        "events": pa.array([r[3] for r in rows], pa.int64()),
        "error": pa.array([r[4] for r in rows], pa.string()),
    }
    for name in names:
        columns[name] = pa.array(
            [r[5].get(name) if r[4] is None else None for r in rows], pa.float64()
        )
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(pa.table(columns), tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _part_files(parts: Path) -> list[Path]:
    return sorted(parts.glob("part-*.parquet"))


def _done(parts: Path, keys: Sequence[str], reps: int) -> tuple[np.ndarray, int]:
    """Which (point, replication) pairs the parts hold for the current plan, and how many of
    them failed."""
    done = np.zeros((len(keys), reps), dtype=bool)
    failed = 0
    expected = np.asarray(keys, dtype=object)
    for path in _part_files(parts):
        t = pq.read_table(path, columns=["point", "replication", "point_key", "error"])
        point = t["point"].to_numpy()
        rep = t["replication"].to_numpy()
        ok = (point < len(keys)) & (rep < reps)
        key = np.asarray(t["point_key"].to_pylist(), dtype=object)
        ok[ok] &= expected[point[ok]] == key[ok]
        fresh = ok.copy()
        fresh[ok] &= ~done[point[ok], rep[ok]]
        done[point[fresh], rep[fresh]] = True
        failed += int(np.sum(fresh & t["error"].is_valid().to_numpy(zero_copy_only=False)))
    return done, failed


# --- manifest ---------------------------------------------------------------------------------
def _utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _new_manifest(plan: SweepPlan, now: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "reesim_version": __version__,
        "fingerprint": plan.fingerprint,
        "name": plan.name,
        "sweep": {"source": plan.source, "text": plan.text, "spec": plan.spec()},
        "scenario": {"path": plan.base.path, "name": plan.base.name, "sha256": plan.base.sha256},
        "root_seed": plan.seed,
        "common_random_numbers": plan.common_random_numbers,
        "replications": plan.replications,
        "design": plan.design.to_dict(),
        "started_utc": now,
        "finished_utc": None,
        "status": "running",
        "counts": {},
        "kpis": [],
        "attempts": [],
    }


def _read_manifest(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UsageError(f"expected a readable sweep manifest at {path}, got {err}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UsageError(f"expected a sweep manifest of format {FORMAT} at {path}")
    return data


def _write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(manifest, indent=2) + "\n")


def _check_resume(manifest: dict[str, Any], plan: SweepPlan, out: Path, force: bool) -> SweepPlan:
    """The plan to resume with: refused (UsageError) when the sweep or reesim changed, unless
    `force`. Unchanged, the saved design is used, so a resumed sweep runs exactly the points
    the parts were made for even if a library's sampler changed."""
    changes = []
    if manifest.get("reesim_version") != __version__:
        changes.append(
            f"it was made by reesim {manifest.get('reesim_version')}, this is {__version__}"
        )
    if manifest.get("fingerprint") != plan.fingerprint:
        old = manifest.get("sweep", {}).get("spec", {})
        new = plan.spec()
        what = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        changes.append(
            "the sweep changed since it started ("
            + ", ".join("base scenario" if k == "scenario_sha256" else k for k in what)
            + ")"
        )
    if changes and not force:
        raise UsageError(
            f"refusing to resume {out}: {'; '.join(changes)}. Use --force to resume anyway "
            "(results of points that did not change are kept), or choose another directory"
        )
    if not changes:
        return replace(plan, design=Design.from_dict(manifest["design"]))
    manifest.update(
        reesim_version=__version__,
        fingerprint=plan.fingerprint,
        sweep={"source": plan.source, "text": plan.text, "spec": plan.spec()},
        design=plan.design.to_dict(),
        replications=plan.replications,
        root_seed=plan.seed,
        common_random_numbers=plan.common_random_numbers,
    )
    manifest.setdefault("forced", []).append({"at": _utc(), "changes": changes})
    return plan


def _clear(out: Path) -> None:
    """Remove what a sweep wrote, and nothing else."""
    for name in (MANIFEST, *OUTPUTS):
        (out / name).unlink(missing_ok=True)
    parts = out / PARTS
    if parts.is_dir():
        for path in [*parts.glob("part-*.parquet"), *parts.glob(".*.tmp")]:
            path.unlink()
        with contextlib.suppress(OSError):
            parts.rmdir()


# --- summaries --------------------------------------------------------------------------------
def summarize(out: Path, plan: SweepPlan) -> SweepOutcome:
    """points.parquet/.csv, failures.csv and sensitivity.csv from the parts."""
    parts = _part_files(out / PARTS)
    design, reps = plan.design, plan.replications
    points = len(design)
    schemas = [pq.read_schema(p) for p in parts]
    schema = (
        pa.unify_schemas(schemas) if schemas else pa.schema([(c, pa.int64()) for c in RESERVED])
    )
    kpis = [n for n in schema.names if n not in RESERVED]
    keys = np.asarray(plan.keys(), dtype=object)
    factor_cols = _factor_columns(design)
    out_schema = pa.schema(
        [
            ("point", pa.int64()),
            *[(name, arr.type) for name, arr in factor_cols],
            ("replications", pa.int64()),
            ("failed", pa.int64()),
            *[(f"{k}.{s}", pa.int64() if s == "n" else pa.float64()) for k in kpis for s in STATS],
        ]
    )
    sobol = design.kind == "sobol"
    means = np.full((points, len(kpis)), np.nan) if sobol else None
    outcome = SweepOutcome(out, points, points * reps, 0, 0, 0, 0.0, "", kpis)
    dataset = (
        ds.dataset([str(p) for p in parts], format="parquet", schema=schema) if parts else None
    )
    chunk = max(1, ROWS_PER_CHUNK // max(1, reps))
    tmp_parquet = out / ".points.parquet.tmp"
    tmp_csv = out / ".points.csv.tmp"
    tmp_fail = out / ".failures.csv.tmp"
    with (
        pq.ParquetWriter(tmp_parquet, out_schema) as pw,
        open(tmp_csv, "w", newline="", encoding="utf-8") as fc,
        open(tmp_fail, "w", newline="", encoding="utf-8") as ff,
    ):
        points_csv = csv.writer(fc, lineterminator="\n")
        points_csv.writerow(out_schema.names)
        fail_csv = csv.writer(ff, lineterminator="\n")
        fail_csv.writerow(["point", "replication", "seed", "error", "replay"])
        for a in range(0, points, chunk):
            b = min(points, a + chunk)
            table = _rows(dataset, a, b, keys, reps)
            columns = _summaries(table, a, b, kpis, outcome, plan, fail_csv, means)
            batch = pa.record_batch(
                [pa.array(range(a, b), pa.int64())]
                + [arr.slice(a, b - a) for _, arr in factor_cols]
                + columns,
                schema=out_schema,
            )
            pw.write_batch(batch)
            for row in zip(*(c.to_pylist() for c in batch.columns), strict=True):
                points_csv.writerow([_csv(v) for v in row])
        for f in (fc, ff):
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp_parquet, out / "points.parquet")
    os.replace(tmp_csv, out / "points.csv")
    if outcome.failed:
        os.replace(tmp_fail, out / "failures.csv")
    else:
        tmp_fail.unlink()
        (out / "failures.csv").unlink(missing_ok=True)
    if means is not None:
        _sensitivity(out, plan, kpis, means, outcome)
    return outcome


def _rows(
    dataset: ds.Dataset | None, a: int, b: int, keys: np.ndarray, reps: int
) -> pa.Table | None:
    """The current plan's rows for points [a, b), sorted by point and replication."""
    if dataset is None:
        return None
    table = dataset.to_table(filter=(pc.field("point") >= a) & (pc.field("point") < b))
    point = table["point"].to_numpy()
    ok = (table["replication"].to_numpy() < reps) & (
        keys[point] == np.asarray(table["point_key"].to_pylist(), dtype=object)
    )
    table = table.filter(pa.array(ok))
    return table.sort_by([("point", "ascending"), ("replication", "ascending")])


def _summaries(
    table: pa.Table | None,
    a: int,
    b: int,
    kpis: list[str],
    outcome: SweepOutcome,
    plan: SweepPlan,
    fail_csv: Any,
    means: np.ndarray | None,
) -> list[pa.Array]:
    n_points = b - a
    reps_ok = np.zeros(n_points, dtype=np.int64)
    failed = np.zeros(n_points, dtype=np.int64)
    stats = {s: np.full((n_points, len(kpis)), np.nan) for s in STATS}
    stats["n"] = np.zeros((n_points, len(kpis)))
    if table is not None and table.num_rows:
        point = table["point"].to_numpy()
        error = table["error"].to_pylist()
        ok = np.array([e is None for e in error])
        matrix = (
            np.column_stack([pc.fill_null(table[k], math.nan).to_numpy() for k in kpis])
            if kpis
            else np.zeros((table.num_rows, 0))
        )
        for i in np.flatnonzero(~ok):
            p, r, seed = (
                int(point[i]),
                int(table["replication"][i].as_py()),
                int(table["seed"][i].as_py()),
            )
            outcome.failed += 1
            replay = _replay(plan, p, r, seed)
            fail_csv.writerow([p, r, seed, error[i], replay])
            if len(outcome.failures) < 5:
                outcome.failures.append(
                    {
                        "point": p,
                        "replication": r,
                        "seed": seed,
                        "error": error[i],
                        "replay": replay,
                    }
                )
        local = point - a
        reps_ok[:] = np.bincount(local[ok], minlength=n_points)
        failed[:] = np.bincount(local[~ok], minlength=n_points)
        good = matrix[ok]  # rows of successful replications, still in point order
        starts = np.concatenate([[0], np.cumsum(reps_ok)])
        # Points with the same number of replications are summarised together: (points, n, K).
        for count in np.unique(reps_ok[reps_ok > 0]):
            group = np.flatnonzero(reps_ok == count)
            rows = starts[group][:, None] + np.arange(count)
            for name, v in column_stats(good[rows]).items():
                stats[name][group] = v
        outcome.done += int(table.num_rows)
    if means is not None:
        means[a:b] = stats["mean"]
    columns = [pa.array(reps_ok, pa.int64()), pa.array(failed, pa.int64())]
    for k in range(len(kpis)):
        for s in STATS:
            values = stats[s][:, k]
            if s == "n":
                columns.append(pa.array(values.astype(np.int64), pa.int64()))
            else:
                columns.append(pa.array(values, pa.float64(), from_pandas=True))
    return columns


def column_stats(matrix: np.ndarray, confidence: float = CONFIDENCE) -> dict[str, np.ndarray]:
    """`results.stats.summarize` for each column of a (replications x KPIs) matrix, or of each
    matrix in a (points x replications x KPIs) stack, at once; NaN marks a replication where a
    KPI does not apply."""
    x = np.asarray(matrix, dtype=float)
    n = np.sum(~np.isnan(x), axis=-2)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(x, axis=-2)
        std = np.where(n > 1, np.nanstd(x, axis=-2, ddof=1), 0.0)
        std = np.where(std <= 1e-12 * np.maximum(1.0, np.abs(mean)), 0.0, std)
        t = sps.t.ppf(0.5 + confidence / 2.0, np.maximum(n - 1, 1))
        half = np.where(std > 0, t * std / np.sqrt(np.maximum(n, 1)), 0.0)
        half = np.where(n >= 2, half, np.nan)
        p5, p50, p95 = np.nanpercentile(x, [5, 50, 95], axis=-2)
    std = np.where(n > 0, std, np.nan)
    return {
        "mean": mean,
        "std": std,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "p5": p5,
        "p50": p50,
        "p95": p95,
        "n": n.astype(float),
    }


def _replay(plan: SweepPlan, point: int, replication: int, seed: int) -> str:
    sets = " ".join(f"--set {shlex.quote(o)}" for o in plan.overrides(point))
    return f"reesim run {shlex.quote(plan.base.path)} {sets} --seed {seed} --replay {replication}"


def _factor_columns(design: Design) -> list[tuple[str, pa.Array]]:
    """One column per factor: numbers as numbers, anything else as written."""
    out = []
    for i, f in enumerate(design.factors):
        values = [p[i] for p in design.points]
        if all(isinstance(v, bool) for v in values):
            arr = pa.array(values, pa.bool_())
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            arr = pa.array(values, pa.int64())
        elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            arr = pa.array([float(v) for v in values], pa.float64())
        elif all(isinstance(v, str) for v in values):
            arr = pa.array(values, pa.string())
        else:
            arr = pa.array([yaml_flow(v) for v in values], pa.string())
        out.append((f.name, arr))
    return out


def _csv(value: Any) -> Any:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return "" if value is None else value


def _sensitivity(
    out: Path, plan: SweepPlan, kpis: list[str], means: np.ndarray, outcome: SweepOutcome
) -> None:
    rows: list[SobolRow] = []
    for k, kpi in enumerate(kpis):
        y = means[:, k]
        if np.any(np.isnan(y)):
            outcome.sensitivity_skipped[kpi] = "undefined at some points"
            continue
        found = sobol_indices(plan.design, y, plan.seed)
        if found is None:
            outcome.sensitivity_skipped[kpi] = "the same at every point"
            continue
        order = np.argsort(-found["ST"], kind="stable")
        rank = np.empty(len(order), dtype=int)
        rank[order] = np.arange(1, len(order) + 1)
        for i, f in enumerate(plan.design.factors):
            rows.append(
                SobolRow(
                    kpi,
                    f.name,
                    f.path,
                    float(found["S1"][i]),
                    float(found["S1_conf"][i]),
                    float(found["ST"][i]),
                    float(found["ST_conf"][i]),
                    int(rank[i]),
                )
            )
    rows.sort(key=lambda r: (kpis.index(r.kpi), r.rank))
    lines: list[list[Any]] = [["kpi", "factor", "path", "S1", "S1_conf", "ST", "ST_conf", "rank"]]
    lines += [
        [r.kpi, r.factor, r.path, *(f"{v:.6g}" for v in (r.s1, r.s1_conf, r.st, r.st_conf)), r.rank]
        for r in rows
    ]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(lines)
    atomic_write_text(out / "sensitivity.csv", buf.getvalue())
    outcome.sensitivity = rows


def ranked_points(
    out: Path, kpi: str, k: int = 5
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The `k` points with the highest and the lowest mean of `kpi` (points where it is
    undefined left out)."""
    table = pq.read_table(out / "points.parquet")
    column = f"{kpi}.mean"
    if column not in table.column_names:
        raise UsageError(f"expected a KPI of this sweep for --sort-by, got {kpi!r}")
    table = table.filter(pc.invert(pc.is_nan(table[column])))
    table = table.sort_by([(column, "descending"), ("point", "ascending")])
    rows = table.to_pylist()
    top = rows[:k]
    bottom = list(reversed(rows[-k:])) if len(rows) > k else []
    return top, [r for r in bottom if r not in top]


def read_replications(out: Path) -> pa.Table:
    """All per-replication rows, sorted (for tests and small sweeps: this one does hold them)."""
    parts = _part_files(out / PARTS)
    schema = pa.unify_schemas([pq.read_schema(p) for p in parts])
    table = ds.dataset([str(p) for p in parts], format="parquet", schema=schema).to_table()
    return table.sort_by([("point", "ascending"), ("replication", "ascending")])


@dataclass(frozen=True)
class PointsTable:
    """A finished sweep's points as plain data: each factor's values and each KPI statistic's
    values, one entry per design point (what `reesim discover` reads)."""

    factors: tuple[tuple[str, str], ...]
    """(name, dotted path) of each factor, in design order."""
    columns: dict[str, list[Any]]
    """``<factor name>`` and ``<kpi>.<stat>`` -> one value per point."""
    kpis: tuple[str, ...]


def read_points(out: Path) -> PointsTable:
    """The per-point summaries of the sweep in `out`; UsageError if it is not a finished sweep."""
    manifest = _read_manifest(out / MANIFEST)
    if manifest is None or not (out / "points.parquet").is_file():
        raise UsageError(
            f"expected a sweep directory with {MANIFEST} and points.parquet, got {str(out)!r}"
        )
    design = Design.from_dict(manifest["design"])
    columns = pq.read_table(out / "points.parquet").to_pydict()
    factor_names = {f.name for f in design.factors}
    kpis = tuple(
        dict.fromkeys(
            c.rsplit(".", 1)[0]
            for c in columns
            if c not in factor_names and c not in ("point", "replications", "failed")
        )
    )
    return PointsTable(tuple((f.name, f.path) for f in design.factors), columns, kpis)
