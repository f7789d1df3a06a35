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

from reesim.cli.app import progress_bar, stdout_console
from reesim.cli.compare import DEFAULT_REPLICATIONS, DEFAULT_SEED
from reesim.errors import Problem, ReesimError, ScenarioError, UsageError
from reesim.experiment.executors import local_executor
from reesim.experiment.runner import run_scenario
from reesim.report.compare_tables import (
    Compared,
    compare_json,
    compare_markdown,
    compare_renderable,
    gates_summary,
    outcome_numbers,
)
from reesim.results.compare import compare_results
from reesim.results.gates import (
    Gate,
    bind_gates,
    check_all,
    gates_from_options,
    load_gates,
)
from reesim.results.inputs_diff import diff_inputs
from reesim.results.io import atomic_write_text, read_result
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
    if out is not None and out.suffix.lower() not in (".json", ".md"):
        raise UsageError(f"expected an output file ending in .json or .md, got {str(out)!r}")
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
        indices = list(range(replications))
    elif first_saved is not None:
        indices = list(first_saved.provenance.replications)
    else:
        indices = list(range(DEFAULT_REPLICATIONS))

    results = _run(inputs, scenarios, saved, root_seed, indices, jobs, quiet)
    labels = _labels(inputs)
    comparisons = tuple(
        compare_results(
            results[0],
            r,
            baseline_label=labels[0],
            candidate_label=label,
            adjust=adjust,
        )
        for label, r in zip(labels[1:], results[1:], strict=True)
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
    if out is not None:
        text = (
            compare_json(compared) if out.suffix.lower() == ".json" else compare_markdown(compared)
        )
        atomic_write_text(out, text)
    if not quiet:
        if fmt == "json":
            sys.stdout.write(compare_json(compared))
        elif fmt == "markdown":
            sys.stdout.write(compare_markdown(compared))
        else:
            stdout_console().print(compare_renderable(compared))
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
    indices: list[int],
    jobs: int,
    quiet: bool,
) -> list[RunResult]:
    """Every input as a RunResult; identical scenarios (same content and overrides) run once."""
    done: dict[tuple[str, tuple[str, ...]], RunResult] = {}
    results: list[RunResult] = []
    for i in range(len(inputs)):
        if i in saved:
            results.append(saved[i])
            continue
        resolved = scenarios[i]
        key = (resolved.sha256, resolved.overrides)
        if key not in done:
            with progress_bar(quiet, len(indices)) as progress:
                done[key] = run_scenario(
                    resolved, indices, root_seed, local_executor(jobs), jobs, progress
                )
        results.append(done[key])
    return results


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
