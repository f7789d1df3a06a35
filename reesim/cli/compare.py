"""`reesim compare`: scenarios or saved results against a baseline, with CI gates.

Scenario files are run here, all with the same root seed and replication indices, so their
differences are paired (common random numbers). When saved results are given too and
``--seed``/``-n`` are not, scenario files are run with the first saved result's seed and
replications, so they pair with it.

Exit codes: 0 all gates pass (or none); 1 a gate fails; 2 a malformed input or gate; 3 a run
failed.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from reesim.cli.app import app, progress_bar, stdout_console
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

DEFAULT_REPLICATIONS = 100
DEFAULT_SEED = 1
SCENARIO_SUFFIXES = (".yaml", ".yml")


class Format(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"


class Adjust(StrEnum):
    none = "none"
    holm = "holm"


class GateFailed(ReesimError):
    """At least one gate failed: exit 1."""

    exit_code = 1


@app.command()
def compare(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Two or more scenario files (.yaml) or saved results (.json); the first is "
            "the baseline.",
            show_default=False,
        ),
    ],
    replications: Annotated[
        int | None,
        typer.Option(
            "-n",
            "--replications",
            min=1,
            help=f"Replications per scenario file (default {DEFAULT_REPLICATIONS}, or those of "
            "the first saved result).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            min=0,
            help=f"Root seed for scenario files (default {DEFAULT_SEED}, or that of the first "
            "saved result).",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int, typer.Option("-j", "--jobs", min=1, help="Worker processes (1 runs in this process).")
    ] = 1,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a parameter in every scenario file: PATH=VALUE."),
    ] = None,
    gate_files: Annotated[
        list[Path] | None,
        typer.Option("--gate", help="A gates YAML file (a 'gates' list of name, fail_if)."),
    ] = None,
    fail_if: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-if",
            help="A gate: fail when this is true, e.g. 'delta(firms.ford.production_lost_pct) > 2'.",
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output on stdout.")] = Format.table,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Also write the comparison to a .json or .md file."),
    ] = None,
    kpi: Annotated[
        list[str] | None,
        typer.Option("--kpi", help="Show KPIs matching a glob, e.g. 'firms.*.stockout_days'."),
    ] = None,
    changed_only: Annotated[
        bool, typer.Option("--changed-only", help="Hide KPIs identical in every scenario.")
    ] = False,
    adjust: Annotated[
        Adjust, typer.Option("--adjust", help="Multiple-comparison adjustment across KPIs.")
    ] = Adjust.none,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only errors and failed gates.")
    ] = False,
) -> None:
    """Compare scenarios against the first (baseline): Δ with 95% intervals, paired when run
    with the same seed; what differs in the inputs; gates for CI (exit 1 when one fails)."""
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
    adjust_name = None if adjust is Adjust.none else adjust.value
    comparisons = tuple(
        compare_results(
            results[0],
            r,
            baseline_label=labels[0],
            candidate_label=label,
            adjust=adjust_name,
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
        if fmt is Format.json:
            sys.stdout.write(compare_json(compared))
        elif fmt is Format.markdown:
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
