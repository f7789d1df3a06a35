"""A sweep's output directory: manifest, Parquet parts written atomically, summaries, resume.

    DIR/sweep.json          manifest: sweep file, spec, resolved design, root seed, reesim
                            version, started/finished, status, counts, attempts
    DIR/parts/*.parquet     per-replication results (point, replication, seed, events, error,
                            one column per KPI), one file per finished task, written atomically
    DIR/points.parquet      per point, wide: factor values (as written, and `<factor>.value` /
    DIR/points.csv            `<factor>.unit`), replications, failures and for each KPI mean,
                            std, 95% CI, p5, p50, p95 and n (`<kpi>.mean`, ...)
    DIR/points-long.parquet the same in long form: one row per point, KPI and statistic, with
    DIR/points-long.csv       the factors' numeric values and units, the KPI's unit, and the
                            sweep's name and scenario SHA-256 on every row
    DIR/failures.csv        replications that raised, with the command that replays each
    DIR/sensitivity.csv     sobol designs: first-order and total indices with 95% CIs per KPI

Every Parquet file carries the sweep's provenance in its schema metadata (key ``reesim``: reesim
version, sweep name, base scenario path and SHA-256, root seed, design); parts also carry their
points' factor values, so a part can be analysed on its own.

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
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from reesim.errors import UsageError
from reesim.experiment.batches import BatchOutcome
from reesim.experiment.design import Design, sobol_indices
from reesim.experiment.sweepfile import SweepPlan
from reesim.experiment.sweepsummary import (
    STATS,
    SobolRow,
    SweepOutcome,
    SweepPoint,
    SweepSummary,
)
from reesim.results.io import atomic_write_text
from reesim.scenario.yamlsource import flow_text
from reesim.version import __version__

FORMAT = 1
MANIFEST = "sweep.json"
PARTS = "parts"
OUTPUTS = (
    "points.parquet",
    "points.csv",
    "points-long.parquet",
    "points-long.csv",
    "failures.csv",
    "sensitivity.csv",
)
METADATA_KEY = b"reesim"
"""Schema-metadata key of the provenance (JSON) in every Parquet file of a sweep."""
FACTORS_KEY = b"reesim.factor_columns"
"""Schema-metadata key listing a part's factor columns (JSON), which are not KPIs."""
RESERVED = ("point", "replication", "seed", "point_key", "events", "error")


# --- parts ------------------------------------------------------------------------------------
def write_part(
    path: Path,
    outcomes: Sequence[BatchOutcome],
    keys: Sequence[str],
    keep: Callable[[str], bool] = lambda _: True,
    design: Design | None = None,
    provenance: dict[str, Any] | None = None,
) -> None:
    """One task's replications as a Parquet file, written atomically; with `design`, each row
    also carries its point's factor values (as written, numeric value and unit)."""
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
    factor_names: list[str] = []
    if design is not None:
        points = [r[0] for r in rows]
        for name, arr in factor_columns(design):
            columns[name] = arr.take(pa.array(points, pa.int64()))
            factor_names.append(name)
    for name in names:
        columns[name] = pa.array(
            [r[5].get(name) if r[4] is None else None for r in rows], pa.float64()
        )
    table = pa.table(columns)
    metadata = {FACTORS_KEY: json.dumps(factor_names).encode()}
    if provenance is not None:
        metadata[METADATA_KEY] = json.dumps(provenance).encode()
    table = table.replace_schema_metadata(metadata)
    tmp = temporary_sibling(path)
    try:
        pq.write_table(table, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def temporary_sibling(path: Path) -> Path:
    """A new, unique temporary name beside `path` (``.NAME.<random>.tmp``): two writers can
    never write the same temporary file."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    return Path(name)


def _part_files(parts: Path) -> list[Path]:
    return sorted(parts.glob("part-*.parquet"))


REQUIRED = {"point": "int64", "replication": "int64", "seed": "int64", "error": "string"}


def scan_parts(
    parts: Path,
    keys: Sequence[str],
    reps: int,
    add: Callable[[int, int, int, dict[str, float] | None, str | None], bool],
) -> tuple[np.ndarray, list[str]]:
    """Read every part once (resuming): which (point, replication) pairs the current plan
    already has, each fed to `add` (point, replication, seed, KPIs or None, error or None);
    and a message per part that cannot be trusted. Such a part (unreadable, truncated, not
    Parquet, missing columns) is moved to ``parts/corrupt/``, so its replications run again
    and nothing is lost for a later look."""
    done = np.zeros((len(keys), reps), dtype=bool)
    problems: list[str] = []
    for path in _part_files(parts):
        try:
            table = pq.read_table(path)
            _check_part(table)
        except (OSError, ValueError, pa.ArrowException) as err:
            moved = _quarantine(path)
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            problems.append(
                f"{path}: expected a sweep part, got an unreadable file ({reason}); moved to "
                f"{moved}, its replications run again"
            )
            continue
        names = kpi_columns(table)
        rows = table.to_pydict()
        for i in range(table.num_rows):
            point, rep = rows["point"][i], rows["replication"][i]
            if (
                not (0 <= point < len(keys) and 0 <= rep < reps)
                or rows["point_key"][i] != keys[point]
            ):
                continue
            if done[point, rep]:
                continue  # a duplicate: counted once
            done[point, rep] = True
            error = rows["error"][i]
            kpis = None if error is not None else {n: _nan_for_none(rows[n][i]) for n in names}
            add(point, rep, rows["seed"][i], kpis, error)
    return done, problems


def kpi_columns(table: pa.Table) -> list[str]:
    """A part's KPI columns: all but the bookkeeping and the factor columns it lists."""
    meta = table.schema.metadata or {}
    factors = set(json.loads(meta[FACTORS_KEY])) if FACTORS_KEY in meta else set()
    return [n for n in table.column_names if n not in RESERVED and n not in factors]


def _nan_for_none(v: float | None) -> float:
    return math.nan if v is None else float(v)


def _check_part(table: pa.Table) -> None:
    for name, kind in {**REQUIRED, "point_key": "string"}.items():
        if name not in table.column_names:
            raise ValueError(f"no column {name!r}")
        if str(table.schema.field(name).type) != kind:
            raise ValueError(f"column {name!r} is {table.schema.field(name).type}, not {kind}")


def _quarantine(path: Path) -> Path:
    corrupt = path.parent / "corrupt"
    corrupt.mkdir(exist_ok=True)
    target = corrupt / path.name
    n = 1
    while target.exists():
        n += 1
        target = corrupt / f"{path.stem}.{n}{path.suffix}"
    os.replace(path, target)
    return target


# --- the lock ---------------------------------------------------------------------------------
LOCK = ".lock"


class DirectoryLock:
    """An exclusive lock on a sweep directory, held while a sweep writes to it: a second
    writer is refused (UsageError, exit 2) with the holder's PID. The lock is the kernel's
    (``flock``), so it is released when the holder exits, however it exits; the ``.lock`` file
    stays (deleting it would let two writers lock two different files)."""

    def __init__(self, directory: Path):
        self.path = directory / LOCK
        self._file: Any = None

    def __enter__(self) -> DirectoryLock:
        import fcntl

        f = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until __exit__
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            f.close()
            raise UsageError(
                f"{self.path.parent} is being written by another reesim sweep (PID {holder}); "
                "wait for it to finish, or choose another directory"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        self._file = f
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()  # closing releases the flock
            self._file = None


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
    except json.JSONDecodeError as err:
        raise UsageError(
            f"{path}:{err.lineno}:{err.colno}: expected a sweep manifest (JSON), got "
            f"{err.msg} (a truncated or damaged file)"
        ) from None
    except (OSError, ValueError) as err:  # unreadable, or not text
        raise UsageError(f"{path}: expected a sweep manifest (JSON), got {err}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UsageError(f"{path}: expected a sweep manifest of format {FORMAT}")
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
        corrupt = parts / "corrupt"
        if corrupt.is_dir():
            for path in corrupt.glob("*.parquet"):
                path.unlink()
            with contextlib.suppress(OSError):
                corrupt.rmdir()
        with contextlib.suppress(OSError):
            parts.rmdir()


# --- summaries (see `reesim.experiment.summaries`, which builds them while a sweep runs) -----
def write_points(
    out: Path,
    design: Design,
    kpis: Sequence[str],
    rows: Sequence[tuple[int, int, dict[str, tuple[float, ...]]]],
    provenance: dict[str, Any] | None = None,
) -> None:
    """points.parquet and points.csv (wide), and points-long.parquet and points-long.csv,
    atomically, from one row per point of (replications that ran, replications that failed,
    {kpi: the STATS values}); a KPI missing at a point is NaN with n = 0."""
    factor_cols = factor_columns(design)
    schema = pa.schema(
        [
            ("point", pa.int64()),
            *[(name, arr.type) for name, arr in factor_cols],
            ("replications", pa.int64()),
            ("failed", pa.int64()),
            *[(f"{k}.{s}", pa.int64() if s == "n" else pa.float64()) for k in kpis for s in STATS],
        ]
    )
    empty = tuple([math.nan] * (len(STATS) - 1) + [0.0])
    arrays = [pa.array(range(len(rows)), pa.int64())] + [arr for _, arr in factor_cols]
    arrays.append(pa.array([r[0] for r in rows], pa.int64()))
    arrays.append(pa.array([r[1] for r in rows], pa.int64()))
    for name in kpis:
        for i, stat in enumerate(STATS):
            values = [r[2].get(name, empty)[i] for r in rows]
            if stat == "n":
                arrays.append(pa.array([int(v) for v in values], pa.int64()))
            else:
                arrays.append(pa.array(values, pa.float64(), from_pandas=True))
    table = pa.Table.from_arrays(arrays, schema=schema)
    _write_table(out, "points", table, provenance)
    _write_table(out, "points-long", _long_points(table, factor_cols, kpis, provenance), provenance)


def _long_points(
    wide: pa.Table,
    factor_cols: Sequence[tuple[str, pa.Array]],
    kpis: Sequence[str],
    provenance: dict[str, Any] | None,
) -> pa.Table:
    """One row per point, KPI and statistic: the point's factors (as written, value, unit),
    the KPI, its unit, the statistic and its value (n as a number like the others)."""
    from reesim.results.names import kpi_unit

    points = len(wide)
    repeat = len(kpis) * len(STATS)
    index = pa.array(np.repeat(np.arange(points), repeat), pa.int64())
    prov = provenance or {}
    columns: dict[str, pa.Array] = {
        "sweep": pa.array([str(prov.get("sweep", ""))] * (points * repeat), pa.string()),
        "scenario_sha256": pa.array(
            [str(prov.get("scenario_sha256", ""))] * (points * repeat), pa.string()
        ),
        "point": index,
    }
    for name, arr in factor_cols:
        columns[name] = arr.take(index)
    columns["kpi"] = pa.array(
        np.tile(np.repeat(np.array(kpis, dtype=object), len(STATS)), points).tolist(), pa.string()
    )
    columns["unit"] = pa.array(
        np.tile(
            np.repeat(np.array([kpi_unit(k) for k in kpis], dtype=object), len(STATS)), points
        ).tolist(),
        pa.string(),
    )
    columns["statistic"] = pa.array(
        np.tile(np.array(STATS, dtype=object), points * len(kpis)).tolist(), pa.string()
    )
    values = np.empty((points, len(kpis), len(STATS)))
    for j, k in enumerate(kpis):
        for s, stat in enumerate(STATS):
            values[:, j, s] = np.asarray(
                wide.column(f"{k}.{stat}").to_numpy(zero_copy_only=False), dtype=float
            )
    columns["value"] = pa.array(values.reshape(-1), pa.float64())
    return pa.table(columns)


def _write_table(out: Path, stem: str, table: pa.Table, provenance: dict[str, Any] | None) -> None:
    """`stem`.parquet (with the provenance in its metadata) and `stem`.csv, atomically."""
    if provenance is not None:
        table = table.replace_schema_metadata({METADATA_KEY: json.dumps(provenance).encode()})
    tmp = temporary_sibling(out / f"{stem}.parquet")
    try:
        pq.write_table(table, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, out / f"{stem}.parquet")
    finally:
        tmp.unlink(missing_ok=True)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.schema.names)
    for row in zip(*(c.to_pylist() for c in table.columns), strict=True):
        writer.writerow([_csv(v) for v in row])
    atomic_write_text(out / f"{stem}.csv", buf.getvalue())


def provenance_of(plan: SweepPlan) -> dict[str, Any]:
    """What every output file of a sweep says produced it."""
    return {
        "reesim_version": __version__,
        "sweep": plan.name,
        "source": plan.source,
        "scenario_path": plan.base.path,
        "scenario_sha256": plan.base.sha256,
        "set": list(plan.base_sets),
        "root_seed": plan.seed,
        "replications": plan.replications,
        "design": plan.design.kind,
    }


def _replay(plan: SweepPlan, point: int, replication: int, seed: int) -> str:
    sets = " ".join(f"--set {shlex.quote(o)}" for o in plan.overrides(point))
    return f"reesim run {shlex.quote(plan.base.path)} {sets} --seed {seed} --replay {replication}"


def factor_columns(design: Design) -> list[tuple[str, pa.Array]]:
    """Three columns per factor, one value per design point: `<factor>` as written (numbers as
    numbers, anything else as text), `<factor>.value` the number in its unit (NaN where the
    value is not a number or a quantity) and `<factor>.unit` that unit (``wd``, ``d``, ``kg``,
    ``kg/d``; empty for a plain number)."""
    out = []
    for (name, written), f in zip(_factor_columns(design), design.factors, strict=True):
        i = design.factors.index(f)
        magnitudes = [_magnitude(p[i]) for p in design.points]
        out += [
            (name, written),
            (f"{name}.value", pa.array([m[0] for m in magnitudes], pa.float64())),
            (f"{name}.unit", pa.array([m[1] for m in magnitudes], pa.string())),
        ]
    return out


def _magnitude(value: Any) -> tuple[float, str]:
    from reesim.scenario.units import parse_magnitude

    try:
        return parse_magnitude(value)
    except (ValueError, TypeError):
        return math.nan, ""


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
            arr = pa.array([flow_text(v) for v in values], pa.string())
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
    manifest: dict[str, Any] = field(default_factory=dict)
    """sweep.json as read."""


def read_points_long(out: Path) -> dict[str, list[Any]]:
    """points-long.parquet as columns of plain values (see the module docstring)."""
    path = out / "points-long.parquet"
    if not path.is_file():
        raise UsageError(f"expected a finished sweep with {path.name}, got {str(out)!r}")
    columns: dict[str, list[Any]] = pq.read_table(path).to_pydict()
    return columns


def read_points(out: Path) -> PointsTable:
    """The per-point summaries of the sweep in `out`; UsageError if it is not a finished sweep
    (or its files are not as reesim wrote them)."""
    manifest = _read_manifest(out / MANIFEST)
    if manifest is None or not (out / "points.parquet").is_file():
        raise UsageError(
            f"expected a sweep directory with {MANIFEST} and points.parquet, got {str(out)!r}"
        )
    try:
        design = Design.from_dict(manifest["design"])
        columns = pq.read_table(out / "points.parquet").to_pydict()
        factor_names = {f.name for f in design.factors}
        missing = [c for c in ("point", *factor_names) if c not in columns]
        if missing:
            raise ValueError(f"no column {missing[0]!r} in points.parquet")
    except (KeyError, TypeError, ValueError, OSError, pa.ArrowException) as err:
        raise UsageError(
            f"{out}: expected a sweep directory as reesim sweep writes it, got {err}"
        ) from None
    not_kpis = {
        *factor_names,
        *(f"{n}.{part}" for n in factor_names for part in ("value", "unit")),
        "point",
        "replications",
        "failed",
    }
    kpis = tuple(dict.fromkeys(c.rsplit(".", 1)[0] for c in columns if c not in not_kpis))
    return PointsTable(tuple((f.name, f.path) for f in design.factors), columns, kpis, manifest)


def read_sweep(out: Path) -> SweepSummary:
    """The finished sweep in `out` as plain data (what reports and charts are made from):
    points.parquet's points, sweep.json's manifest and sensitivity.csv's Sobol indices;
    UsageError naming what is missing or damaged."""
    table = read_points(out)
    names = [name for name, _ in table.factors]
    columns = table.columns
    points = []
    for i in range(len(columns["point"])):
        values = {n: columns[n][i] for n in names}
        stats = {
            k: {s: _nan_for_none(columns[f"{k}.{s}"][i]) for s in STATS if f"{k}.{s}" in columns}
            for k in table.kpis
        }
        written = {n: str(_csv(v)) for n, v in values.items()}
        points.append(SweepPoint(int(columns["point"][i]), written, values, stats))
    return SweepSummary(
        str(out),
        table.manifest,
        tuple(names),
        tuple(path for _, path in table.factors),
        table.kpis,
        tuple(points),
        _read_sensitivity(out / "sensitivity.csv"),
    )


def _read_sensitivity(path: Path) -> tuple[SobolRow, ...]:
    """sensitivity.csv as `_sensitivity` writes it (none for designs other than Sobol)."""
    if not path.is_file():
        return ()
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        return tuple(
            SobolRow(
                r["kpi"],
                r["factor"],
                r["path"],
                float(r["S1"]),
                float(r["S1_conf"]),
                float(r["ST"]),
                float(r["ST_conf"]),
                int(r["rank"]),
            )
            for r in rows
        )
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise UsageError(
            f"{path}: expected Sobol indices as reesim sweep writes them, got {err}"
        ) from None
