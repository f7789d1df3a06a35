"""Experimental designs as pure functions: factors -> design points -> seeded runs in batches.

A factor names a parameter by dotted path and gives either a list of values or a range
(`low`, `high`, optional `log`). A design turns factors into points, each one value per factor:

    grid    full factorial; a range contributes `levels` evenly spaced values (log-spaced if log)
    zip     the i-th value of every factor (lists of one length; ranges give that many levels)
    random  `samples` independent uniform (log-uniform) draws
    lhs     a Latin hypercube of `samples` points
    sobol   Saltelli's scheme for Sobol indices (SALib): samples * (factors + 2) points

In the sampled designs a list of values is a categorical factor, each value equally likely.
Sampling happens in the unit cube and is mapped onto each range in the range's own unit: the
range ``30wd``..``60wd`` yields ``41.2837wd``, ``1 t/mo``..``250 t/mo`` yields ``17.3 t/mo``.
Sampled numbers keep 6 significant digits; a range whose bounds are both whole numbers without a
unit (``60``..``300`` reviewers) yields whole numbers. The design's own random numbers come from
the sweep's root seed under a key of their own, so a sampled design is reproducible; the
resolved design is saved with the results all the same, and a `zip` design of its values
replays it exactly.

Seeds (see `point_seed`). With common random numbers (the default) replication r of every point
runs under the root seed itself, so point p's replication r draws exactly the numbers of
``reesim run SCENARIO --set ... --seed ROOT --replay r``: the points of a sweep differ only by
their factor values, never by luck, which makes the effect of a factor sharper (paired
differences) and every replication replayable by hand. Without them each point gets a root seed
of its own derived from (root seed, point index). Either way a seed depends on the design and
never on scheduling, so results are identical whatever the executor or worker count.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import json
import math
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from reesim.engine.streams import stream_key
from reesim.scenario.units import (
    parse_magnitude,
)
from reesim.scenario.yamlsource import flow_text

DesignKind = Literal["grid", "zip", "random", "lhs", "sobol"]
DESIGNS: tuple[str, ...] = get_args(DesignKind)
SIGNIFICANT = 6
DEFAULT_LEVELS = 5
"""Levels of a range in a grid or zip design when neither it nor the design says."""


class DesignError(ValueError):
    """A design that cannot be expanded; `factor` and `field` say where, when it is one."""

    def __init__(self, message: str, factor: str | None = None, field: str | None = None):
        super().__init__(message)
        self.factor = factor
        self.field = field


# --- factors ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Range:
    low: Any
    high: Any
    log: bool = False
    levels: int | None = None


@dataclass(frozen=True)
class Factor:
    """One swept parameter: a list of `values`, or a `range`."""

    name: str
    path: str
    values: tuple[Any, ...] = ()
    range: Range | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "path": self.path}
        if self.range is None:
            out["values"] = [to_json(v) for v in self.values]
        else:
            r = self.range
            out["range"] = {"low": to_json(r.low), "high": to_json(r.high), "log": r.log}
            if r.levels is not None:
                out["range"]["levels"] = r.levels
        return out

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Factor:
        if "range" in data:
            r = data["range"]
            low, high = from_json(r["low"]), from_json(r["high"])
            return Factor(
                data["name"], data["path"], range=Range(low, high, r["log"], r.get("levels"))
            )
        return Factor(data["name"], data["path"], tuple(from_json(v) for v in data["values"]))


@dataclass(frozen=True)
class _Scale:
    """How a range maps the unit interval onto written values."""

    low: float
    high: float
    log: bool
    unit: str = ""
    space: str = ""
    whole: bool = False

    def value(self, u: float) -> Any:
        if self.log:
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            x = self.low + u * (self.high - self.low)
        x = min(max(x, self.low), self.high)  # no float overshoot past the bounds
        if self.whole:
            return round(x)
        x = float(f"{x:.{SIGNIFICANT}g}")
        if not self.unit:
            return x
        return f"{_number_text(x)}{self.space}{self.unit}"


_AMOUNT = re.compile(r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(\s*)(\S.*?)\s*")


def _split(value: Any) -> tuple[float, str, str]:
    """(number, unit as written, space before the unit); the unit is '' for a plain number."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"expected a number or a value with a unit, got {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {value!r}")
        return float(value), "", ""
    match = _AMOUNT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected a number or a value with a unit like '30wd', got {value!r}")
    return float(match[1]), match[3], match[2]


def _scale(f: Factor) -> _Scale:
    assert f.range is not None
    r = f.range
    try:
        (low, lu, ls), (high, hu, _) = _split(r.low), _split(r.high)
    except ValueError as err:
        raise DesignError(str(err), f.name, "low") from None
    if lu != hu:
        # Different spellings of one unit kind (500 kg .. 2 t): sample in the base unit.
        try:
            (low, lu), (high, hu) = parse_magnitude(r.low), parse_magnitude(r.high)
        except ValueError:
            lu, hu = "?", ""
        if lu != hu:
            raise DesignError(
                f"expected low and high in one unit, got {r.low!r} and {r.high!r}", f.name, "high"
            )
        ls = " " if "/" in lu or lu == "kg" else ""
    if not low < high:
        raise DesignError(f"expected low < high, got low {r.low}, high {r.high}", f.name, "high")
    if r.log and low <= 0:
        raise DesignError(f"expected low > 0 for a log range, got {r.low}", f.name, "low")
    whole = not lu and all(isinstance(v, int) and not isinstance(v, bool) for v in (r.low, r.high))
    return _Scale(low, high, r.log, lu, ls, whole)


def _number_text(x: float) -> str:
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


# --- values as YAML text ----------------------------------------------------------------------
_DATE = "__date__"


def to_json(value: Any) -> Any:
    """A factor value as JSON data; YAML's dates become ``{"__date__": "2025-04-04"}``."""
    if isinstance(value, datetime.date):
        return {_DATE: value.isoformat()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def from_json(value: Any) -> Any:
    """The inverse of `to_json`."""
    if isinstance(value, dict):
        if list(value) == [_DATE]:
            return datetime.date.fromisoformat(value[_DATE])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


# --- designs ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DesignSpec:
    kind: DesignKind
    factors: tuple[Factor, ...]
    seed: int = 1
    samples: int | None = None


@dataclass(frozen=True)
class Design:
    """The resolved design: one tuple of factor values per point, as written to the scenario."""

    kind: DesignKind
    factors: tuple[Factor, ...]
    points: tuple[tuple[Any, ...], ...]
    seed: int
    samples: int | None = None

    def __len__(self) -> int:
        return len(self.points)

    def overrides(self, point: int) -> tuple[str, ...]:
        """The point's factor values as ``--set`` overrides: ``path=value``."""
        return tuple(
            f"{f.path}={flow_text(v)}"
            for f, v in zip(self.factors, self.points[point], strict=True)
        )

    def values(self, point: int) -> dict[str, Any]:
        return {f.name: v for f, v in zip(self.factors, self.points[point], strict=True)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "seed": self.seed,
            "samples": self.samples,
            "factors": [f.to_dict() for f in self.factors],
            "points": [[to_json(v) for v in p] for p in self.points],
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Design:
        return Design(
            data["kind"],
            tuple(Factor.from_dict(f) for f in data["factors"]),
            tuple(tuple(from_json(v) for v in p) for p in data["points"]),
            int(data["seed"]),
            data.get("samples"),
        )


MAX_POINTS = 100_000
"""Most points a design may have: every point is validated as a scenario before anything runs."""


def _too_many(count: int, field: str | None = None, factor: str | None = None) -> DesignError:
    return DesignError(
        f"expected at most {MAX_POINTS:,} design points, got {count:,}", factor, field
    )


def expand(spec: DesignSpec) -> Design:
    """The points of a design; DesignError if it cannot be expanded."""
    if spec.kind not in DESIGNS:
        raise DesignError(
            f"expected one of {', '.join(DESIGNS)}, got {spec.kind!r}", None, "design"
        )
    if not spec.factors:
        raise DesignError("expected at least one factor, got none", None, "factors")
    names = [f.name for f in spec.factors]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise DesignError(f"expected each factor once, got {twice!r} twice", twice)
    for f in spec.factors:
        if f.range is None and not f.values:
            raise DesignError("expected a list of values or a range, got no values", f.name)
    scales = {f.name: _scale(f) for f in spec.factors if f.range is not None}
    if spec.kind in ("grid", "zip"):
        columns = _levels(spec, scales)
        if spec.kind == "grid":
            count = math.prod(len(c) for c in columns)
            if count > MAX_POINTS:
                raise _too_many(count, "factors")
            points = tuple(itertools.product(*columns))
        else:
            sizes = {len(c) for c in columns}
            if len(sizes) > 1:
                lengths = ", ".join(
                    f"{f.name}: {len(c)}" for f, c in zip(spec.factors, columns, strict=True)
                )
                raise DesignError(
                    f"expected value lists of one length for zip, got {lengths}", None, "factors"
                )
            points = tuple(zip(*columns, strict=True))
    else:
        unit = _unit_sample(spec)
        points = tuple(
            tuple(
                _from_unit(f, scales.get(f.name), u) for f, u in zip(spec.factors, row, strict=True)
            )
            for row in unit
        )
    return Design(spec.kind, spec.factors, points, spec.seed, spec.samples)


def _levels(spec: DesignSpec, scales: dict[str, _Scale]) -> list[tuple[Any, ...]]:
    list_lengths = {len(f.values) for f in spec.factors if f.range is None}
    columns = []
    for f in spec.factors:
        if f.range is None:
            columns.append(tuple(f.values))
            continue
        k = f.range.levels or (
            max(list_lengths)
            if spec.kind == "zip" and list_lengths
            else spec.samples or DEFAULT_LEVELS
        )
        if k < 2:
            raise DesignError(f"expected at least 2 levels for a range, got {k}", f.name, "levels")
        if k > MAX_POINTS:
            raise _too_many(k, "levels", f.name)
        s = scales[f.name]
        columns.append(tuple(s.value(i / (k - 1)) for i in range(k)))
    return columns


def _rng(seed: int, what: str) -> np.random.Generator:
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(stream_key(what),)))
    )


def _unit_sample(spec: DesignSpec) -> np.ndarray:
    """Points in the unit cube, (rows x factors)."""
    d, n = len(spec.factors), spec.samples
    if n is None:
        raise DesignError(
            f"expected samples: N for a {spec.kind} design, got none", None, "samples"
        )
    count = n * (d + 2) if spec.kind == "sobol" else n
    if count > MAX_POINTS:
        raise _too_many(count, "samples")
    rng = _rng(spec.seed, f"design.{spec.kind}")
    if spec.kind == "random":
        return rng.random((n, d))
    if spec.kind == "lhs":
        # One point in each of n equal strata of every factor, strata paired at random.
        strata = np.argsort(rng.random((n, d)), axis=0)
        return (strata + rng.random((n, d))) / n
    if n & (n - 1):
        nxt = 1 << n.bit_length()
        raise DesignError(
            f"expected a power of 2 for sobol samples (Saltelli's scheme), got {n}; "
            f"try {nxt // 2} or {nxt}",
            None,
            "samples",
        )
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": d, "names": [f.name for f in spec.factors], "bounds": [[0.0, 1.0]] * d}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seed = int(rng.integers(2**31))
        return np.asarray(sobol_sample.sample(problem, n, calc_second_order=False, seed=seed))


def _from_unit(f: Factor, scale: _Scale | None, u: float) -> Any:
    if scale is not None:
        return scale.value(float(u))
    k = len(f.values)
    return f.values[min(int(u * k), k - 1)]


def sobol_indices(
    design: Design, outputs: np.ndarray, seed: int, resamples: int = 200
) -> dict[str, np.ndarray] | None:
    """First-order and total Sobol indices of one output per point (SALib, 95% bootstrap
    intervals), in factor order; None where they are undefined (an output missing at some
    point, or the same everywhere)."""
    if design.kind != "sobol":
        raise DesignError("expected a sobol design for Sobol indices")
    y = np.asarray(outputs, dtype=float)
    if y.shape != (len(design),) or not np.all(np.isfinite(y)) or np.ptp(y) == 0:
        return None
    from SALib.analyze import sobol as sobol_analyze

    d = len(design.factors)
    problem = {"num_vars": d, "names": [f.name for f in design.factors], "bounds": [[0.0, 1.0]] * d}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        found = sobol_analyze.analyze(
            problem, y, calc_second_order=False, num_resamples=resamples, conf_level=0.95, seed=seed
        )
    return {k: np.asarray(found[k], dtype=float) for k in ("S1", "S1_conf", "ST", "ST_conf")}


# --- runs -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PointRuns:
    """Replications of one point, run under `seed`."""

    point: int
    seed: int
    replications: tuple[int, ...]


def point_seed(root_seed: int, point: int, common_random_numbers: bool = True) -> int:
    """The root seed a point's replications run under (see the module docstring)."""
    if common_random_numbers:
        return root_seed
    seq = np.random.SeedSequence(root_seed, spawn_key=(stream_key("sweep.point"), point))
    return int(seq.generate_state(1, np.uint64)[0] >> np.uint64(1))


def point_key(
    scenario_sha256: str, overrides: Sequence[str], seed: int, kpis: Sequence[str]
) -> str:
    """What a point's results depend on, hashed: results on disk are reused only under the same
    key (a changed design with --force reuses exactly the points it still has)."""
    text = json.dumps([scenario_sha256, list(overrides), seed, list(kpis)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan_batches(
    points: int,
    replications: int,
    seeds: Sequence[int],
    batch_size: int,
    done: np.ndarray | None = None,
) -> Iterator[tuple[PointRuns, ...]]:
    """Every (point, replication) not marked in `done` (a points x replications bool array), in
    design order, cut into batches of at most `batch_size` replications; a batch may span
    points."""
    batch: list[PointRuns] = []
    size = 0
    for p in range(points):
        todo = list(range(replications)) if done is None else np.flatnonzero(~done[p]).tolist()
        while todo:
            take, todo = todo[: batch_size - size], todo[batch_size - size :]
            batch.append(PointRuns(p, seeds[p], tuple(take)))
            size += len(take)
            if size == batch_size:
                yield tuple(batch)
                batch, size = [], 0
    if batch:
        yield tuple(batch)


def auto_batch_size(replications_total: int, workers: int, cap: int = 64) -> int:
    """About four tasks per worker, so the last ones finish together, and at most `cap`
    replications per task, so an interrupted sweep loses little and progress moves."""
    return max(1, min(cap, math.ceil(replications_total / (4 * max(1, workers)))))
