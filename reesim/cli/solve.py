"""`reesim solve`: the smallest (or largest) value of a parameter that meets targets, or the
value that minimises expected cost."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reesim.cli.app import app, stderr_console, stdout_console
from reesim.cli.options import Jobs, Seed
from reesim.cli.output import check_file
from reesim.errors import Problem, ScenarioError, UsageError
from reesim.limits import MAX_COST, MAX_COST_POINTS, MAX_KEPT_REPLICATIONS
from reesim.report.words import counted

if TYPE_CHECKING:  # what the command needs is imported when it runs: --help stays light
    from reesim.questions.parameter import Axis
    from reesim.questions.runs import ScenarioRuns


@app.command()
def solve(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    param: Annotated[str, typer.Option("--param", help="Dotted path of the parameter to search.")],
    range_: Annotated[
        str, typer.Option("--range", help="LOW:HIGH in the parameter's unit, e.g. 2w:52w.")
    ],
    target: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            help="A target on a KPI statistic, e.g. 'firms.x.stockout_probability <= 0.05' "
            "(repeat for several; all must hold).",
        ),
    ] = None,
    largest: Annotated[
        bool, typer.Option("--largest", help="Find the largest value meeting the targets.")
    ] = False,
    confidence: Annotated[
        float,
        typer.Option("--confidence", min=0.5, max=0.999, help="Confidence of the guarantee."),
    ] = 0.95,
    tolerance: Annotated[
        float | None,
        typer.Option(
            "--tolerance",
            min=0.0,
            max=1e15,
            help="Bracket width to stop at, in the range's unit (default: 1/64 of the range).",
        ),
    ] = None,
    replications: Annotated[
        int,
        typer.Option(
            "-n",
            "--replications",
            min=2,
            max=MAX_KEPT_REPLICATIONS,
            help="Replications at each value first.",
        ),
    ] = 50,
    max_replications: Annotated[
        int,
        typer.Option(
            "--max-replications",
            min=2,
            max=MAX_KEPT_REPLICATIONS,
            help="Replications at most at one value.",
        ),
    ] = 800,
    holding_cost: Annotated[
        float | None,
        typer.Option(
            "--holding-cost",
            min=0.0,
            max=MAX_COST,
            help="Cost mode: cost of holding one kg for one day.",
        ),
    ] = None,
    loss_cost: Annotated[
        float | None,
        typer.Option(
            "--loss-cost",
            min=0.0,
            max=MAX_COST,
            help="Cost mode: loss per unit of production lost.",
        ),
    ] = None,
    points: Annotated[
        int,
        typer.Option(
            "--points", min=2, max=MAX_COST_POINTS, help="Cost mode: values tried across the range."
        ),
    ] = 9,
    seed: Seed = 1,
    jobs: Jobs = 1,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a parameter: PATH=VALUE.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the answer as JSON.")
    ] = None,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Draw the curve to a .png or .svg file.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML report.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Find the smallest (or largest) value of a parameter whose confidence bound meets every
    target, or with --holding-cost and --loss-cost the value of least expected cost."""
    check_file(out, (".json",))
    check_file(chart, (".png", ".svg"))
    check_file(report, (".html", ".htm"))
    cost_mode = holding_cost is not None or loss_cost is not None
    if cost_mode and (holding_cost is None or loss_cost is None):
        raise UsageError("expected both --holding-cost and --loss-cost for the cost mode")
    if not cost_mode and not target:
        raise UsageError("expected at least one --target (or --holding-cost and --loss-cost)")
    if max_replications < replications:
        raise UsageError(
            f"expected --max-replications >= --replications ({replications}), got {max_replications}"
        )
    from reesim.experiment.executors import local_executor
    from reesim.questions.runs import ScenarioRuns
    from reesim.questions.solve import Settings, solution_dict
    from reesim.questions.solve import solve as bisect
    from reesim.questions.targets import parse_targets
    from reesim.questions.traps import solution_warnings
    from reesim.results.io import atomic_write_text
    from reesim.scenario.yamlsource import read_document

    axis = _axis(param, range_)
    doc = read_document(scenario)
    console = stderr_console()
    show = not quiet and console.is_terminal

    def listen(overrides: str, n: int) -> None:
        if show:
            console.print(f"{overrides}: {counted(n, 'replication')}", style="dim")

    runs = ScenarioRuns(doc, tuple(set_ or ()), seed, local_executor(jobs), jobs, listen)
    # Both ends must be valid scenarios before anything runs: every problem at once.
    _check_ends(runs, axis)
    if cost_mode:
        assert holding_cost is not None and loss_cost is not None
        _cost(
            runs,
            axis,
            holding_cost,
            loss_cost,
            points,
            replications,
            confidence,
            out,
            chart,
            report,
            quiet,
        )
        return
    pilot = runs.run([axis.override(axis.high)], [0])
    targets = parse_targets(target or [], {k: v.unit for k, v in pilot.kpis.items()})
    kpis = sorted({t.kpi for t in targets})
    settings = Settings(
        confidence, "largest" if largest else "smallest", tolerance, replications, max_replications
    )
    solution = bisect(
        axis, targets, lambda x, reps: runs.kpi_values([axis.override(x)], reps, kpis), settings
    )
    at = solution.answer.x if solution.answer else (axis.low if largest else axis.high)
    warnings = solution_warnings(solution, runs.resolved([axis.override(at)]).scenario)
    solution = replace(solution, warnings=tuple(warnings))
    if out is not None:
        atomic_write_text(out, json.dumps(solution_dict(solution), indent=2) + "\n")
    if chart is not None:
        from reesim.report.plots.answers import solve_chart
        from reesim.report.plots.output import save_file

        _save(save_file, solve_chart(solution), chart)
    if report is not None:
        from reesim.report.answers_html import solve_report
        from reesim.report.html import write_report

        write_report(solve_report(solution, runs.resolved([]).name), report)
    if not quiet:
        from reesim.report.answer_tables import (
            answer_line,
            solve_table,
            targets_text,
            warnings_text,
        )

        stdout = stdout_console()
        stdout.print(answer_line(solution))
        stdout.print(targets_text(solution))
        stdout.print(solve_table(solution))
        stdout.print(warnings_text(solution.warnings))
    if solution.answer is None:
        raise typer.Exit(1)


def _axis(param: str, text: str) -> Axis:
    from reesim.questions.parameter import parse_range
    from reesim.scenario.paths import parse_dotted

    problems = []
    try:
        parse_dotted(param)
    except ValueError as err:
        problems.append(Problem("--param", 1, 1, "", str(err)))
    try:
        axis = parse_range(param, text)
    except ValueError as err:
        problems.append(Problem("--range", 1, 1, "", str(err)))
    if problems:
        raise ScenarioError(problems)
    return axis


def _check_ends(runs: ScenarioRuns, axis: Axis) -> None:
    problems: list[Problem] = []
    for x in (axis.low, axis.high):
        try:
            runs.resolved([axis.override(x)])
        except ScenarioError as err:
            problems += [
                replace(p, message=f"{p.message} (at --range value {axis.text(x)})")
                if p.source.startswith("--set[")
                else p
                for p in err.problems
            ]
    if problems:
        raise ScenarioError(problems)


def _save(save_file: object, figure: object, path: Path) -> None:
    try:
        save_file(figure, path)  # type: ignore[operator]
    except ValueError as err:
        raise UsageError(str(err)) from None


def _cost(
    runs: ScenarioRuns,
    axis: Axis,
    holding: float,
    loss: float,
    points: int,
    replications: int,
    confidence: float,
    out: Path | None,
    chart: Path | None,
    report: Path | None,
    quiet: bool,
) -> None:
    from reesim.questions.cost import cost_dict, cost_firm, minimise_cost
    from reesim.results.io import atomic_write_text

    scenario = runs.resolved([axis.override(axis.high)]).scenario
    try:
        firm = cost_firm(axis.path, scenario)
    except ValueError as err:
        raise UsageError(str(err)) from None
    kpis = [f"firms.{firm}.production_lost_units"]
    try:
        cost = minimise_cost(
            axis,
            scenario,
            lambda x, reps: runs.kpi_values([axis.override(x)], reps, kpis),
            holding,
            loss,
            points,
            replications,
            confidence,
        )
    except ValueError as err:
        raise UsageError(str(err)) from None
    if out is not None:
        atomic_write_text(out, json.dumps(cost_dict(cost), indent=2) + "\n")
    if chart is not None:
        from reesim.report.plots.answers import cost_chart
        from reesim.report.plots.output import save_file

        _save(save_file, cost_chart(cost), chart)
    if report is not None:
        from reesim.report.answers_html import cost_report
        from reesim.report.html import write_report

        write_report(cost_report(cost, scenario.name), report)
    if not quiet:
        from reesim.report.answer_tables import cost_line, cost_table

        stdout = stdout_console()
        stdout.print(cost_line(cost))
        stdout.print(cost_table(cost))
