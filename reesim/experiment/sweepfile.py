"""Sweep files and ad-hoc sweeps: from YAML (or ``--vary``) to a validated `SweepPlan`.

A sweep file::

    scenario: ../scenarios/controls-2025.yaml   # relative to this file
    set: {authority.review.capacity: 120}       # base overrides, optional
    replications: 40
    seed: 1
    common_random_numbers: true                 # the default; see reesim.experiment.design
    kpis: [firms.*.stockout_days]               # globs; default all
    design: grid                                # grid, zip, random, lhs or sobol
    samples: 64                                 # points of random/lhs, base samples of sobol
    factors:                                    # default: the scenario's uncertainties
      authority.review.time.mean: [30wd, 45wd, 60wd]
      firms.tesla.stockpile.ndfeb_magnet: {low: 30d, high: 120d, levels: 4}
      authority.review.capacity: {low: 60, high: 300, log: true}

Every design point is validated like a scenario given the point's values as ``--set``
overrides, before anything runs; a problem is reported at the line of the factor (or ``set``
entry, or ``--vary``) that caused it, with the point's values. Every problem is a `Problem`
with file:line:col, raised together as one `ScenarioError` (exit 2).
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag, ValidationError

from reesim.errors import Problem, ScenarioError
from reesim.experiment.design import (
    DESIGNS,
    MAX_POINTS,
    Design,
    DesignError,
    DesignKind,
    DesignSpec,
    Factor,
    Range,
    expand,
    point_key,
    point_seed,
)
from reesim.limits import MAX_REPLICATIONS, MAX_SEED
from reesim.scenario.base import Model
from reesim.scenario.dotted import Key, dotted
from reesim.scenario.load import ResolvedScenario, resolve
from reesim.scenario.numbers import Bounded
from reesim.scenario.paths import parse_dotted
from reesim.scenario.problems import problems_from_validation
from reesim.scenario.yamlsource import Document, flow_text, parse_scalar, read_document

CACHE_BYTES = 256 * 2**20
"""Memory for resolved points kept from validation for the run, estimated as 4x the pickled
size of a point: small designs resolve each point once, large ones twice, memory stays flat."""
MAX_PROBLEMS = 20
"""Most distinct problems reported for the points of a design (the same problem at many points
is reported once, with how many points have it)."""


class RangeSpec(Model):
    """A range of values: sampled, or `levels` evenly spaced values in a grid."""

    low: Any = Field(description="Least value, a number or a value with a unit like 30wd.")
    high: Any = Field(description="Greatest value, in the unit of `low`.")
    log: bool = Field(default=False, description="Log scale (needs low > 0).")
    levels: Annotated[int, Bounded(ge=2, le=MAX_POINTS, whole=True)] | None = Field(
        default=None, description="Values in a grid or zip design."
    )


def _factor_kind(value: Any) -> str:
    return "values" if isinstance(value, list) else "range"


FactorSpec = Annotated[
    Annotated[list[Any], Field(min_length=1), Tag("values")] | Annotated[RangeSpec, Tag("range")],
    Discriminator(_factor_kind),
]


class SweepFile(Model):
    """A sweep: a base scenario, a design over factors, and what to keep."""

    name: str = Field(default="", description="Short identifier, shown in results.")
    description: str = Field(default="", description="Free text for readers.")
    scenario: str = Field(min_length=1, description="Base scenario file, relative to this file.")
    set: dict[str, Any] = Field(default={}, description="Overrides of the base scenario by path.")
    replications: int = Field(
        default=20, ge=1, le=MAX_REPLICATIONS, description="Replications per design point."
    )
    seed: int = Field(
        default=1, ge=0, le=MAX_SEED, description="Root seed of the design and the runs."
    )
    common_random_numbers: bool = Field(
        default=True, description="Replication r of every point draws the same random numbers."
    )
    kpis: list[str] = Field(default=[], description="KPIs to keep (globs); default all.")
    design: DesignKind = Field(default="grid", description="grid, zip, random, lhs or sobol.")
    samples: Annotated[int, Bounded(ge=1, le=MAX_POINTS, whole=True)] | None = Field(
        default=None,
        description="Points of random/lhs; base samples (a power of 2) of sobol.",
    )
    factors: dict[str, FactorSpec] | None = Field(
        default=None,
        description="Parameters by dotted path; default: the scenario's uncertainties.",
    )


@dataclass(frozen=True)
class Origin:
    """Where a factor or override was written, for problems."""

    source: str
    line: int
    col: int
    path: str
    target: str = ""
    """The scenario path the override sets."""


@dataclass(frozen=True)
class SweepPlan:
    """Everything a sweep needs, validated: the base scenario, the design, seeds and keys."""

    name: str
    source: str
    text: str
    document: Document
    base: ResolvedScenario
    base_sets: tuple[str, ...]
    design: Design
    replications: int
    seed: int
    common_random_numbers: bool
    kpis: tuple[str, ...]
    origins: tuple[Origin, ...]
    """Where each base override, then each factor, was written."""
    resolved: dict[int, ResolvedScenario] = field(default_factory=dict, compare=False, repr=False)
    """Points `check_points` resolved and kept for the run (as many as CACHE_BYTES allow)."""

    @property
    def points(self) -> int:
        return len(self.design)

    def overrides(self, point: int) -> tuple[str, ...]:
        return self.base_sets + self.design.overrides(point)

    def resolve(self, point: int) -> ResolvedScenario:
        """The point's scenario: kept from validation (once), or resolved again."""
        kept = self.resolved.pop(point, None)
        return kept if kept is not None else resolve(self.document, self.overrides(point))

    def seeds(self) -> list[int]:
        return [point_seed(self.seed, p, self.common_random_numbers) for p in range(self.points)]

    def keys(self) -> list[str]:
        sha, seeds = self.base.sha256, self.seeds()
        return [
            point_key(sha, self.design.overrides(p), seeds[p], self.kpis)
            for p in range(self.points)
        ]

    def spec(self) -> dict[str, Any]:
        """The sweep as data, canonical: what the results depend on (with the base scenario's
        content hash), not how the file was laid out."""
        return {
            "scenario_sha256": self.base.sha256,
            "set": list(self.base_sets),
            "replications": self.replications,
            "seed": self.seed,
            "common_random_numbers": self.common_random_numbers,
            "kpis": list(self.kpis),
            "design": self.design.kind,
            "samples": self.design.samples,
            "factors": [f.to_dict() for f in self.design.factors],
        }

    @property
    def fingerprint(self) -> str:
        text = json.dumps(self.spec(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


# --- sweep files ------------------------------------------------------------------------------
def is_sweep_document(doc: Document) -> bool:
    """A sweep file names a base `scenario`; a scenario never has that key."""
    return isinstance(doc.data, dict) and "scenario" in doc.data


def load_sweep(path: str | Path, doc: Document | None = None) -> SweepPlan:
    """Read and validate a sweep file and every point of its design."""
    doc = doc or read_document(path)
    source = doc.source
    try:
        sweep = SweepFile.model_validate(doc.data)
    except ValidationError as err:
        raise ScenarioError(problems_from_validation(err, doc, SweepFile)) from None

    def at(key: Key, message: str, on_key: bool = False) -> Problem:
        mark = (doc.key_marks.get(key) if on_key else None) or doc.mark_for(key)
        line, col = (mark.line, mark.col) if mark else (0, 0)
        return Problem(source, line, col, dotted(key), message)

    def origin(key: Key, on_key: bool = True) -> Origin:
        p = at(key, "", on_key)
        return Origin(p.source, p.line, p.col, p.path, str(key[-1]))

    problems: list[Problem] = []
    for path in (*sweep.set, *(sweep.factors or {})):
        try:
            parse_dotted(path)
        except ValueError as err:
            group = "set" if path in sweep.set else "factors"
            problems.append(at((group, path), str(err), on_key=True))
    scenario_path = Path(source).parent / sweep.scenario
    wrong = _scenario_path_problem(sweep.scenario, scenario_path, source)
    if wrong:
        problems.append(at(("scenario",), wrong))
    if problems:
        raise ScenarioError(problems)

    base_doc = read_document(scenario_path)
    if not isinstance(base_doc.data, dict) or not SCENARIO_KEYS & set(base_doc.data):
        # Some other YAML file: say so, without echoing any of it.
        keys = ", ".join(sorted(SCENARIO_KEYS))
        message = f"expected a scenario file (a mapping with {keys}), got a file with none of them"
        raise ScenarioError([at(("scenario",), message)])
    base_sets = tuple(f"{p}={flow_text(v)}" for p, v in sweep.set.items())
    set_origins = tuple(origin(("set", p)) for p in sweep.set)
    base = _resolve_base(base_doc, base_sets, set_origins)
    if sweep.factors is None:
        factors, factor_origins = uncertainty_factors(base_doc, base)
        if not factors:
            raise ScenarioError(
                [at((), f"expected factors, or uncertainties in {scenario_path}, got neither")]
            )
    else:
        factors, factor_origins = [], []
        for path, spec in sweep.factors.items():
            if isinstance(spec, RangeSpec):
                rng = Range(spec.low, spec.high, spec.log, spec.levels)
                factors.append(Factor(path, path, range=rng))
            else:
                factors.append(Factor(path, path, tuple(spec)))
            factor_origins.append(origin(("factors", path)))

    def locate(err: DesignError) -> Problem:
        if err.factor is not None and sweep.factors is not None:
            key: Key = ("factors", err.factor)
            if err.field and isinstance(sweep.factors[err.factor], RangeSpec):
                key = (*key, err.field)
            return at(key, str(err))
        if err.factor is not None:  # from the scenario's uncertainties
            o = factor_origins[[f.name for f in factors].index(err.factor)]
            return Problem(o.source, o.line, o.col, o.path, str(err))
        return at((err.field,) if err.field and err.field in doc.data else (), str(err))

    try:
        design = expand(DesignSpec(sweep.design, tuple(factors), sweep.seed, sweep.samples))
    except DesignError as err:
        raise ScenarioError([locate(err)]) from None
    text = doc.text
    plan = SweepPlan(
        name=sweep.name or Path(source).stem,
        source=source,
        text=text,
        document=base_doc,
        base=base,
        base_sets=base_sets,
        design=design,
        replications=sweep.replications,
        seed=sweep.seed,
        common_random_numbers=sweep.common_random_numbers,
        kpis=tuple(sweep.kpis),
        origins=(*set_origins, *factor_origins),
    )
    check_points(plan)
    return plan


def uncertainty_factors(doc: Document, base: ResolvedScenario) -> tuple[list[Factor], list[Origin]]:
    """The factors a scenario's `uncertainties` block declares, and where."""
    factors, origins = [], []
    for name, u in base.scenario.uncertainties.items():
        factors.append(Factor(name, u.path, range=Range(u.low, u.high, u.log)))
        mark = doc.key_marks.get(("uncertainties", name)) or doc.mark_for(("uncertainties", name))
        line, col = (mark.line, mark.col) if mark else (0, 0)
        origins.append(Origin(doc.source, line, col, f"uncertainties.{name}", u.path))
    return factors, origins


def _resolve_base(
    doc: Document, base_sets: tuple[str, ...], origins: Sequence[Origin]
) -> ResolvedScenario:
    try:
        return resolve(doc, base_sets)
    except ScenarioError as err:
        raise ScenarioError([_attribute(p, origins) for p in err.problems]) from None


SCENARIO_SUFFIXES = (".yaml", ".yml")
SCENARIO_KEYS = frozenset({"name", "start", "materials", "authority", "firms"})
"""Keys every scenario has (the schema requires them)."""


def _scenario_path_problem(written: str, path: Path, source: str) -> str | None:
    """Why `written`, a sweep file's `scenario`, names no scenario file: it must be a relative
    path (resolved from the sweep file's directory; '..' may lead out of it) to an existing
    .yaml or .yml file. Nothing of the file is read here."""
    if Path(written).is_absolute():
        return f"expected a path relative to {source}, got an absolute path {written!r}"
    if Path(written).suffix.lower() not in SCENARIO_SUFFIXES:
        return f"expected a scenario file ending in .yaml or .yml, got {written!r}"
    if not path.is_file():
        return f"expected a scenario file (relative to {source}), got {written!r}"
    return None


# --- ad-hoc sweeps ----------------------------------------------------------------------------
def adhoc_plan(
    scenario: str | Path,
    vary: Sequence[str],
    sets: Sequence[str] = (),
    *,
    replications: int = 20,
    seed: int = 1,
    design: str = "grid",
    samples: int | None = None,
    kpis: Sequence[str] = (),
    command: str = "",
    doc: Document | None = None,
) -> SweepPlan:
    """A sweep of a scenario from ``--vary PATH=a,b,c`` / ``--vary PATH=low:high[:N][:log]``
    options, or over the scenario's uncertainties when there are none."""
    doc = doc or read_document(scenario)
    set_origins = tuple(
        Origin(f"--set[{i}]", 1, 1, "", text.partition("=")[0].strip())
        for i, text in enumerate(sets, start=1)
    )
    base = _resolve_base(doc, tuple(sets), set_origins)
    problems: list[Problem] = []
    if design not in DESIGNS:
        problems.append(
            Problem("--design", 0, 0, "", f"expected one of {', '.join(DESIGNS)}, got {design!r}")
        )
    factors: list[Factor] = []
    origins: list[Origin] = []
    for i, text in enumerate(vary, start=1):
        source = f"--vary[{i}]"
        try:
            factors.append(parse_vary(text))
        except ValueError as err:
            problems.append(Problem(source, 1, 1, "", str(err)))
            continue
        origins.append(Origin(source, 1, text.find("=") + 2, "", factors[-1].path))
    if problems:
        raise ScenarioError(problems)
    if not vary:
        factors, origins = uncertainty_factors(doc, base)
        if not factors:
            message = "expected --vary PATH=VALUES, or an uncertainties block in the scenario, got neither"
            raise ScenarioError([Problem(doc.source, 0, 0, "", message)])
    try:
        expanded = expand(DesignSpec(design, tuple(factors), seed, samples))  # type: ignore[arg-type]
    except DesignError as err:
        where = origins[[f.name for f in factors].index(err.factor)] if err.factor else None
        source = where.source if where else f"--{err.field or 'design'}"
        raise ScenarioError(
            [Problem(source, where.line if where else 0, where.col if where else 0, "", str(err))]
        ) from None
    plan = SweepPlan(
        name=base.name,  # the scenario's own name, as results and reports call it
        source=doc.source,
        text=command,
        document=doc,
        base=base,
        base_sets=tuple(sets),
        design=expanded,
        replications=replications,
        seed=seed,
        common_random_numbers=True,
        kpis=tuple(kpis),
        origins=(*set_origins, *origins),
    )
    check_points(plan)
    return plan


VARY_FORMS = "PATH=a,b,c, PATH=low:high, PATH=low:high:N or PATH=low:high[:N]:log"


def parse_vary(text: str) -> Factor:
    """``--vary`` text: ``path=a,b,c`` (values, each read as YAML), or a range
    ``path=low:high`` with optional ``:N`` levels and ``:log`` (``60d:365d:10``,
    ``1:100:5:log``). A range without levels gets `design.DEFAULT_LEVELS` in a grid, or one
    value per sample in a sampled design."""
    path, sep, values = text.partition("=")
    path = path.strip()
    if not sep or not path or not values.strip():
        raise ValueError(
            f"expected {VARY_FORMS}, such as authority.review.time.mean=30wd,45wd,60wd, "
            f"got {text!r}"
        )
    parse_dotted(path)
    items = _split_top(values, ",")
    if len(items) == 1:
        bounds = [b.strip() for b in _split_top(values, ":")]
        if len(bounds) >= 2:
            return Factor(path, path, range=_vary_range(bounds, values))
    return Factor(path, path, tuple(parse_scalar(v.strip()) for v in items))


def _vary_range(bounds: list[str], text: str) -> Range:
    low, high, *rest = bounds
    log = bool(rest) and rest[-1] == "log"
    if log:
        rest = rest[:-1]
    levels = None
    if len(rest) == 1 and rest[0].isdigit():
        levels = int(rest[0])
    elif rest:
        raise ValueError(
            f"expected low:high, low:high:N (N levels, a whole number) or low:high[:N]:log, "
            f"got {text!r}"
        )
    if levels is not None and levels < 2:
        raise ValueError(f"expected at least 2 levels, got {levels} in {text!r}")
    return Range(parse_scalar(low), parse_scalar(high), log, levels)


def _split_top(text: str, sep: str) -> list[str]:
    """`text` split at `sep` outside brackets, braces and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


# --- the points -------------------------------------------------------------------------------
def check_points(plan: SweepPlan) -> None:
    """Validate every point of the design as a scenario; ScenarioError with each distinct
    problem once, at the factor that caused it, saying at which points."""
    found: dict[Problem, list[int]] = defaultdict(list)
    keep: int | None = None
    plan.resolved.clear()
    for p in range(plan.points):
        try:
            resolved = resolve(plan.document, plan.overrides(p))
        except ScenarioError as err:
            for problem in err.problems:
                found[_attribute(problem, plan.origins)].append(p)
            continue
        if keep is None:
            keep = CACHE_BYTES // (4 * len(pickle.dumps(resolved)))
        if len(plan.resolved) < keep and not found:
            plan.resolved[p] = resolved
    if not found:
        return
    plan.resolved.clear()
    out = []
    for problem, points in list(found.items())[:MAX_PROBLEMS]:
        message = f"{problem.message} ({_at_points(points, plan)})"
        out.append(Problem(problem.source, problem.line, problem.col, problem.path, message))
    if len(found) > MAX_PROBLEMS:
        out.append(Problem(plan.source, 0, 0, "", f"and {len(found) - MAX_PROBLEMS} more problems"))
    raise ScenarioError(out)


def _at_points(points: list[int], plan: SweepPlan) -> str:
    values = ", ".join(f"{n}={flow_text(v)}" for n, v in plan.design.values(points[0]).items())
    if len(points) == plan.points and plan.points > 1:
        return f"at all {plan.points} points, e.g. point 0: {values}"
    more = f" and {len(points) - 1} more" if len(points) > 1 else ""
    return f"at point {points[0]}{more}: {values}"


def _attribute(problem: Problem, origins: Sequence[Origin]) -> Problem:
    """A problem the loader put on ``--set[i]`` moved to where that override was written."""
    if not problem.source.startswith("--set["):
        return problem
    i = int(problem.source[len("--set[") : -1]) - 1
    if not 0 <= i < len(origins):
        return problem
    o = origins[i]
    same = problem.path in ("", o.target)
    message = problem.message if same else f"{problem.path}: {problem.message}"
    return Problem(o.source, o.line, o.col, o.path, message)
