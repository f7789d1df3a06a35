"""The work of `reesim compare` (see `reesim.cli.compare` for the command and its options):
read or run every input, compare each candidate with the baseline, evaluate gates, print.

Scenario files are run here, all with the same root seed and replication indices, so their
differences are paired (common random numbers). When saved results are given too and
``--seed``/``-n`` are not, scenario files are run with the first saved result's seed and
replications, so they pair with it.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from reesim.cli.app import progress_bar, stdout_console, warn_before_running
from reesim.cli.compare import DEFAULT_REPLICATIONS, DEFAULT_SEED
from reesim.cli.output import Outputs, check_file
from reesim.errors import (
    Interrupted,
    Problem,
    ReesimError,
    ScenarioError,
    Terminated,
    UsageError,
    interrupted_exit_code,
)
from reesim.experiment.executors import local_executor
from reesim.experiment.runner import run_paired
from reesim.report.compare_tables import (
    Compared,
    compare_json,
    compare_markdown,
    compare_renderable,
    gates_summary,
    outcome_numbers,
)
from reesim.results.compare import PairFold, compare_results
from reesim.results.gates import (
    Gate,
    bind_gates,
    check_all,
    gates_from_options,
    load_gates,
)
from reesim.results.inputs_diff import diff_inputs
from reesim.results.io import read_result
from reesim.results.result import RunResult
from reesim.scenario.load import ResolvedScenario, load_scenario

SCENARIO_SUFFIXES = (".yaml", ".yml")


class GateFailed(ReesimError):
    """At least one gate failed: exit 1."""

    exit_code = 1


def compare_command(
    inputs: list[Path],
    *,
    replications: int | None,
    seed: int | None,
    jobs: int,
    set_: list[str] | None,
    gate_files: list[Path] | None,
    fail_if: list[str] | None,
    fmt: str,
    out: Path | None,
    kpi: list[str] | None,
    changed_only: bool,
    adjust: str | None,
    quiet: bool,
) -> None:
    if len(inputs) < 2:
        raise UsageError(
            f"expected at least two scenario files or saved results to compare, got {len(inputs)}"
        )
    check_file(out, (".json", ".md"))
    problems: list[Problem] = []
    gates = _gates(fail_if or (), gate_files or (), problems)
    scenarios, saved = _read_inputs(inputs, set_ or (), problems)
    if problems:
        raise ScenarioError(problems)

    first_saved = next(iter(saved.values()), None)
    root_seed = (
        seed
        if seed is not None
        else first_saved.provenance.root_seed
        if first_saved
        else DEFAULT_SEED
    )
    if replications is not None:
        indices: Sequence[int] = range(replications)
    elif first_saved is not None:
        indices = first_saved.provenance.replications
    else:
        indices = range(DEFAULT_REPLICATIONS)

    results, folds = _run(inputs, scenarios, saved, root_seed, indices, jobs, quiet)
    labels = _labels(inputs)
    comparisons = tuple(
        compare_results(
            results[0],
            r,
            baseline_label=labels[0],
            candidate_label=label,
            adjust=adjust,
            paired=folds.get(i),
        )
        for i, (label, r) in enumerate(zip(labels[1:], results[1:], strict=True), start=1)
    )

    units: dict[str, str] = {}
    for r in results:
        units.update({name: k.unit for name, k in r.kpis.items()})
    report = check_all(bind_gates(gates, units), comparisons) if gates else None

    names = list(dict.fromkeys(name for c in comparisons for name in c.kpis))
    if kpi:
        names = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in kpi)]
        if not names:
            raise UsageError(
                f"no KPI matches {', '.join(kpi)}; there are: " + ", ".join(sorted(units))
            )
    if changed_only:
        names = [n for n in names if any(c.kpis[n].changed for c in comparisons if n in c.kpis)]

    compared = Compared(
        labels=tuple(labels),
        sources=tuple(str(p) for p in inputs),
        results=tuple(results),
        comparisons=comparisons,
        inputs=tuple(diff_inputs([r.inputs or None for r in results])),
        kpis=tuple(names),
        gates=report,
    )
    outputs = Outputs()
    if out is not None:
        text = (
            compare_json(compared) if out.suffix.lower() == ".json" else compare_markdown(compared)
        )
        outputs.write(out, text, "the comparison")
    if not quiet:
        if fmt == "json":
            sys.stdout.write(compare_json(compared))
        elif fmt == "markdown":
            sys.stdout.write(compare_markdown(compared))
        else:
            stdout_console().print(compare_renderable(compared))
    outputs.raise_failures()
    if report is not None and report.failed:
        lines = [gates_summary(report) + ":"]
        for o in report.failed:
            where = f" [{o.candidate}]" if len(comparisons) > 1 else ""
            lines.append(f"  {o.gate.name}{where}: {outcome_numbers(o)}")
        raise GateFailed("\n".join(lines))


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
        if suffix == ".json":
            if overrides:
                raise UsageError(
                    f"--set changes scenario files, and {path} is a saved result; "
                    "run it again with --set, or compare scenario files"
                )
            try:
                saved[i] = read_result(path)
            except Exception as err:  # noqa: BLE001 - any unreadable file is a problem to report
                problems.append(Problem(str(path), 0, 0, "", _unreadable(err)))
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


def _unreadable(err: Exception) -> str:
    if isinstance(err, FileNotFoundError | IsADirectoryError):
        got = "a directory" if isinstance(err, IsADirectoryError) else "no such file"
        return f"expected a saved result, got {got}"
    if isinstance(err, json.JSONDecodeError):
        return f"expected a result saved by 'reesim run -o', got invalid JSON ({err})"
    if isinstance(err, KeyError):
        return f"expected a result saved by 'reesim run -o', got no {err} in it"
    if isinstance(err, ValueError) and str(err).startswith("expected"):
        return str(err)  # the result's own check, e.g. its schema_version
    return f"expected a result saved by 'reesim run -o', got {type(err).__name__}: {err}"


def _run(
    inputs: Sequence[Path],
    scenarios: dict[int, ResolvedScenario],
    saved: dict[int, RunResult],
    root_seed: int,
    indices: Sequence[int],
    jobs: int,
    quiet: bool,
) -> tuple[list[RunResult], dict[int, PairFold]]:
    """Every input as a RunResult, and for each scenario file after a scenario-file baseline
    its paired differences against it. Scenario files run together, replication by replication
    in the same tasks (identical ones once), so the pairs fold as they arrive and nothing per
    replication is kept, unless a saved result kept its replications (then the runs keep
    theirs too, to pair with it)."""
    order = [i for i in range(len(inputs)) if i in scenarios]
    runs: list[RunResult] = []
    pairs: list[PairFold] = []
    if order:
        for sha in dict.fromkeys(scenarios[i].sha256 for i in order):
            warn_before_running(next(s for s in scenarios.values() if s.sha256 == sha), quiet)
        keep = any(r.kept_replications for r in saved.values())
        try:
            with local_executor(jobs) as executor, progress_bar(quiet, len(indices)) as progress:
                runs, pairs = run_paired(
                    [scenarios[i] for i in order],
                    indices,
                    root_seed,
                    executor,
                    jobs,
                    progress,
                    keep_replications=keep,
                )
        except (KeyboardInterrupt, Terminated) as exc:
            raise Interrupted(
                "interrupted: nothing was saved (reesim compare reports when every run is "
                "done); run the command again to start over",
                interrupted_exit_code(exc),
            ) from None
    results = [saved[i] if i in saved else runs[order.index(i)] for i in range(len(inputs))]
    folds = dict(zip(order[1:], pairs, strict=True)) if order and order[0] == 0 else {}
    return results, folds


def _labels(inputs: Sequence[Path]) -> list[str]:
    """File names without suffix; a repeated one numbered (``a``, ``a#2``)."""
    labels: list[str] = []
    for path in inputs:
        label = path.stem or str(path)
        n, unique = 1, label
        while unique in labels:
            n += 1
            unique = f"{label}#{n}"
        labels.append(unique)
    return labels
