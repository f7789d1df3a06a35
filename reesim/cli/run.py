"""`reesim run`: replications of one scenario, KPIs with confidence intervals."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reesim.cli.app import app, progress_bar, stdout_console, warn_before_running
from reesim.cli.options import Jobs, Seed
from reesim.cli.output import Outputs, check_file
from reesim.errors import Interrupted, Terminated, UsageError, interrupted_exit_code
from reesim.limits import MAX_REPLICATIONS

if TYPE_CHECKING:
    from reesim.results.result import RunResult

DEFAULT_REPLICATIONS = 100


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    csv = "csv"


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    replications: Annotated[
        int | None,
        typer.Option(
            "-n",
            "--replications",
            min=1,
            max=MAX_REPLICATIONS,
            help=f"Replications to run (default {DEFAULT_REPLICATIONS}).",
            show_default=False,
        ),
    ] = None,
    seed: Seed = 1,
    jobs: Jobs = 1,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Override a parameter: PATH=VALUE, e.g. authority.review.capacity=20."
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output on stdout.")] = Format.table,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the result: .json (everything), .csv (KPI summaries) or .xlsx (summary, "
            "replications, series, provenance sheets).",
        ),
    ] = None,
    series: Annotated[
        list[str] | None,
        typer.Option("--series", help="Show monthly series matching a glob, e.g. 'exports.*'."),
    ] = None,
    replay: Annotated[
        int | None,
        typer.Option(
            "--replay",
            min=0,
            max=MAX_REPLICATIONS - 1,
            help="Run only this replication index (to replay one run; not with -n).",
        ),
    ] = None,
    keep_replications: Annotated[
        bool,
        typer.Option(
            "--keep-replications",
            help="Keep every replication's KPI values in the result (--out, JSON), e.g. to pair "
            "it with a later run in reesim compare; memory then grows with -n.",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write a self-contained HTML report.")
    ] = None,
) -> None:
    """Run replications of a scenario and report KPIs with 95% confidence intervals."""
    from reesim.experiment.executors import local_executor
    from reesim.experiment.runner import run_scenario
    from reesim.results.io import SUFFIXES, result_bytes
    from reesim.results.names import is_daily
    from reesim.scenario.load import load_scenario

    check_file(out, SUFFIXES)
    check_file(report, (".html", ".htm"))
    if replay is not None and replications is not None:
        raise UsageError(
            f"--replay {replay} runs one replication; -n {replications} does not apply with it "
            "(the replication's numbers depend only on --seed and its index)"
        )
    resolved = load_scenario(scenario, set_ or ())
    warn_before_running(resolved, quiet)
    if series:  # checked before the run, not after it
        from fnmatch import fnmatchcase

        from reesim.experiment.batches import probe

        metrics = probe(resolved, seed)
        names = [n for n in (metrics.series if metrics else ()) if not is_daily(n)]
        if metrics is not None and not any(fnmatchcase(n, p) for n in names for p in series):
            raise UsageError(
                f"no series matches {', '.join(series)}; there are: " + ", ".join(names)
            )
    indices = (
        range(replay, replay + 1)
        if replay is not None
        else range(replications or DEFAULT_REPLICATIONS)
    )
    try:
        # The pool starts before the progress bar's thread, so workers can be forked.
        with local_executor(jobs) as executor, progress_bar(quiet, len(indices)) as progress:
            # The report's per-run charts (licence waits) and a workbook's replications sheet
            # need the replications.
            workbook = out is not None and out.suffix.lower() == ".xlsx"
            keep = keep_replications or report is not None or workbook
            result = run_scenario(resolved, indices, seed, executor, jobs, progress, keep)
    except (KeyboardInterrupt, Terminated) as exc:
        raise Interrupted(
            "interrupted: nothing was saved (reesim run writes its results when every "
            "replication is done); run the command again to start over",
            interrupted_exit_code(exc),
        ) from None
    outputs = Outputs()
    if out is not None:
        outputs.write(out, result_bytes(result, out))
    if report is not None:
        from reesim.report.html import result_report

        outputs.write(report, result_report(result), "the report")
    try:
        _print(result, fmt, series, quiet)
    finally:  # a file that could not be written is reported even if printing failed
        outputs.raise_failures()


def _print(result: RunResult, fmt: Format, series: list[str] | None, quiet: bool) -> None:
    from reesim.report.tables import (
        INTERVAL_NOTE,
        kpi_markdown,
        kpi_table,
        select_series,
        series_markdown,
        series_tables,
    )
    from reesim.results.io import series_csv, to_csv, to_json
    from reesim.results.names import is_daily

    chosen = select_series(result, series) if series else []
    if series and not chosen:
        raise UsageError(
            f"no series matches {', '.join(series)}; there are: "
            + ", ".join(s for s in result.series if not is_daily(s))
        )
    if quiet:
        return
    console = stdout_console()
    if fmt is Format.json:
        sys.stdout.write(to_json(result))  # the full result holds every series already
    elif fmt is Format.csv:
        # One table per stream: the chosen series in long form, else the KPIs.
        sys.stdout.write(series_csv(result, chosen) if chosen else to_csv(result))
    elif fmt is Format.markdown:
        sys.stdout.write(kpi_markdown(result))
        if chosen:
            sys.stdout.write("\n" + series_markdown(result, chosen))
    else:
        console.print(kpi_table(result))
        console.print(
            f"{result.mean_events:,.0f} events per replication; "
            f"{result.provenance.wall_time_s:.2f} s; scenario sha256 "
            f"{result.provenance.scenario_sha256[:12]}",
            style="dim",
        )
        console.print(INTERVAL_NOTE, style="dim", markup=False)
        if chosen:
            console.print(series_tables(result, chosen))
