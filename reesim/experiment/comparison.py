"""`reesim compare`'s inputs, read and run: scenario files and saved results against the first.

`plan_comparison` reads every input and gate and decides how scenario files run: all with one
root seed and the same replication indices, so their differences are paired (common random
numbers). When saved results are given and the seed or the number of replications is not,
scenario files take the first saved result's, so they pair with it. Every problem in every
input is reported at once.

`run_comparison` runs the scenario files together, replication by replication in the same
tasks (identical ones once), folds the pairs as they arrive, and hands the results to
`reesim.results.comparison.compare_all`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reesim.errors import Problem, ResultError, ScenarioError, UsageError
from reesim.experiment.executors import Executor
from reesim.experiment.runner import Progress, run_paired
from reesim.limits import COMPARE_REPLICATIONS, COMPARE_SEED
from reesim.results.compare import PairFold
from reesim.results.comparison import Compared, compare_all
from reesim.results.gates import Gate, gates_from_options, load_gates
from reesim.results.io import read_result
from reesim.results.result import RunResult
from reesim.scenario.load import ResolvedScenario, load_scenario

SCENARIO_SUFFIXES = (".yaml", ".yml")
RESULT_SUFFIX = ".json"


@dataclass(frozen=True)
class ComparisonPlan:
    """The inputs of a comparison, read, and how its scenario files will run."""

    sources: tuple[str, ...]
    scenarios: dict[int, ResolvedScenario]
    """Scenario files, by position among the inputs."""
    saved: dict[int, RunResult]
    """Saved results, by position among the inputs."""
    gates: tuple[Gate, ...]
    root_seed: int
    replications: Sequence[int]
    keep_replications: bool = field(default=False)
    """Runs keep their replications when a saved result kept its own, to pair with it."""

    @property
    def to_run(self) -> list[ResolvedScenario]:
        """Each scenario file to run, identical contents once (what to warn about before)."""
        distinct = dict.fromkeys(s.sha256 for s in self.scenarios.values())
        return [next(s for s in self.scenarios.values() if s.sha256 == sha) for sha in distinct]


def plan_comparison(
    inputs: Sequence[Path],
    *,
    overrides: Sequence[str] = (),
    replications: int | None = None,
    seed: int | None = None,
    gate_expressions: Sequence[str] = (),
    gate_files: Sequence[Path] = (),
) -> ComparisonPlan:
    """Read every input and gate (ScenarioError with every problem found); choose the root seed
    and the replications (see the module docstring)."""
    if len(inputs) < 2:
        raise UsageError(
            f"expected at least two scenario files or saved results to compare, got {len(inputs)}"
        )
    problems: list[Problem] = []
    gates = _gates(gate_expressions, gate_files, problems)
    scenarios, saved = _read_inputs(inputs, overrides, problems)
    if problems:
        raise ScenarioError(problems)
    first_saved = next(iter(saved.values()), None)
    root_seed = (
        seed
        if seed is not None
        else first_saved.provenance.root_seed
        if first_saved
        else COMPARE_SEED
    )
    if replications is not None:
        indices: Sequence[int] = range(replications)
    elif first_saved is not None:
        indices = first_saved.provenance.replications
    else:
        indices = range(COMPARE_REPLICATIONS)
    return ComparisonPlan(
        tuple(str(p) for p in inputs),
        scenarios,
        saved,
        tuple(gates),
        root_seed,
        indices,
        keep_replications=any(r.kept_replications for r in saved.values()),
    )


def run_comparison(
    plan: ComparisonPlan,
    executor: Executor | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    *,
    kpis: Sequence[str] = (),
    changed_only: bool = False,
    adjust: str | None = None,
) -> Compared:
    """Run the plan's scenario files (see the module docstring) and compare every input with
    the first; `kpis`, `changed_only` and `adjust` as in `compare_all`."""
    order = sorted(plan.scenarios)
    runs: list[RunResult] = []
    pairs: list[PairFold] = []
    if order:
        runs, pairs = run_paired(
            [plan.scenarios[i] for i in order],
            plan.replications,
            plan.root_seed,
            executor,
            workers,
            progress,
            keep_replications=plan.keep_replications,
        )
    results = [
        plan.saved[i] if i in plan.saved else runs[order.index(i)] for i in range(len(plan.sources))
    ]
    # Paired folds exist for scenario files run together with a scenario-file baseline.
    folds = dict(zip(order[1:], pairs, strict=True)) if order and order[0] == 0 else {}
    return compare_all(
        plan.sources,
        results,
        paired=folds,
        gates=plan.gates,
        kpis=kpis,
        changed_only=changed_only,
        adjust=adjust,
    )


def _gates(
    expressions: Sequence[str], files: Sequence[Path], problems: list[Problem]
) -> list[Gate]:
    gates: list[Gate] = []
    for path in files:
        try:
            gates += load_gates(path)
        except ScenarioError as err:
            problems += err.problems
    try:
        gates += gates_from_options(expressions)
    except ScenarioError as err:
        problems += err.problems
    return gates


def _read_inputs(
    inputs: Sequence[Path], overrides: Sequence[str], problems: list[Problem]
) -> tuple[dict[int, ResolvedScenario], dict[int, RunResult]]:
    """Scenario files loaded and saved results read, by position; every problem collected."""
    scenarios: dict[int, ResolvedScenario] = {}
    saved: dict[int, RunResult] = {}
    for i, path in enumerate(inputs):
        suffix = path.suffix.lower()
        if suffix == RESULT_SUFFIX:
            if overrides:
                raise UsageError(
                    f"--set changes scenario files, and {path} is a saved result; "
                    "run it again with --set, or compare scenario files"
                )
            try:
                saved[i] = read_result(path)
            except ResultError as err:
                problems += err.problems
        elif suffix in SCENARIO_SUFFIXES:
            try:
                scenarios[i] = load_scenario(path, overrides)
            except ScenarioError as err:
                problems += err.problems
        else:
            problems.append(
                Problem(
                    str(path),
                    0,
                    0,
                    "",
                    "expected a scenario file (.yaml, .yml) or a saved result (.json), "
                    f"got {suffix or 'no suffix'}",
                )
            )
    return scenarios, saved
