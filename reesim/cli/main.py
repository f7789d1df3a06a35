"""The `reesim` command. Each command parses, calls the library, renders, and returns an exit code.

Exit codes, for every command: 0 success; 1 a gate failed; 2 invalid input or usage;
3 a simulation run failed. This module is the one place where a `ReesimError` becomes a message
on stderr and an exit code.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from reesim import __version__
from reesim.errors import Problem, ReesimError, ScenarioError, UsageError
from reesim.experiment.executors import local_executor
from reesim.experiment.runner import Progress as ProgressCallback
from reesim.experiment.runner import run_scenario
from reesim.report.tables import kpi_markdown, kpi_table, select_series, series_tables
from reesim.results.io import to_csv, to_json, write_result
from reesim.scenario.load import load_scenario
from reesim.scenario.schema import Scenario

app = typer.Typer(
    name="reesim",
    help="Simulate export-licence scenarios for critical minerals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

WIDTH = 100


def _stdout() -> Console:
    return Console(width=None if sys.stdout.isatty() else WIDTH, highlight=False)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    csv = "csv"


def _version(value: bool) -> None:
    if value:
        print(f"reesim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Simulate export-licence scenarios for critical minerals."""


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    replications: Annotated[
        int, typer.Option("-n", "--replications", min=1, help="Replications to run.")
    ] = 100,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Root seed.")] = 1,
    jobs: Annotated[
        int, typer.Option("-j", "--jobs", min=1, help="Worker processes (1 runs in this process).")
    ] = 1,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Override a parameter: PATH=VALUE, e.g. authority.review.capacity=20."
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output on stdout.")] = Format.table,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the full result (.json or .csv).")
    ] = None,
    series: Annotated[
        list[str] | None,
        typer.Option("--series", help="Show monthly series matching a glob, e.g. 'exports.*'."),
    ] = None,
    replay: Annotated[
        int | None,
        typer.Option(
            "--replay", min=0, help="Run only this replication index (to replay one run)."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Run replications of a scenario and report KPIs with 95% confidence intervals."""
    resolved = load_scenario(scenario, set_ or ())
    indices = [replay] if replay is not None else list(range(replications))
    with _progress_bar(quiet, len(indices)) as progress:
        result = run_scenario(resolved, indices, seed, local_executor(jobs), jobs, progress)
    if out is not None:
        try:
            write_result(result, out)
        except ValueError as err:
            raise UsageError(str(err)) from None
    if quiet:
        return
    console = _stdout()
    if fmt is Format.json:
        sys.stdout.write(to_json(result))
    elif fmt is Format.csv:
        sys.stdout.write(to_csv(result))
    elif fmt is Format.markdown:
        sys.stdout.write(kpi_markdown(result))
    else:
        console.print(kpi_table(result))
        events = result.events_per_replication
        console.print(
            f"[dim]{sum(events) / len(events):,.0f} events per replication; "
            f"{result.provenance.wall_time_s:.2f} s; scenario sha256 "
            f"{result.provenance.scenario_sha256[:12]}[/dim]"
        )
    if series:
        chosen = select_series(result, series)
        if not chosen:
            raise UsageError(
                f"no series matches {', '.join(series)}; there are: " + ", ".join(result.series)
            )
        console.print(series_tables(result, chosen))


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario files to check.")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="Overrides to check too.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Check scenario files; print every problem in every file. Exit 0 if all are valid, else 2."""
    problems: list[Problem] = []
    for path in scenarios:
        try:
            resolved = load_scenario(path, set_ or ())
        except ScenarioError as err:
            problems.extend(err.problems)
            continue
        if not quiet:
            _stdout().print(
                f"ok   {path}  ({resolved.name}, {len(resolved.changes)} timeline "
                f"events, sha256 {resolved.sha256[:12]})"
            )
    if problems:
        raise ScenarioError(problems)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors and linters)."""
    document = Scenario.model_json_schema(by_alias=True)
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "reesim scenario"
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


class _progress_bar:  # noqa: N801 - used as a context manager like a function
    """A rich progress bar on stderr, only when stderr is a terminal and not --quiet."""

    def __init__(self, quiet: bool, total: int):
        self.enabled = not quiet and sys.stderr.isatty()
        self.total = total
        self.bar: Progress | None = None

    def __enter__(self) -> ProgressCallback | None:
        if not self.enabled:
            return None
        self.bar = Progress(
            TextColumn("replications"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=_stderr(),
            transient=True,
        )
        self.bar.start()
        task = self.bar.add_task("run", total=self.total)
        bar = self.bar

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning reesim's errors into messages and exit codes."""
    try:
        rc = app(args=argv, standalone_mode=False)
    except ReesimError as err:
        console = _stderr()
        lines = [str(p) for p in err.problems] if isinstance(err, ScenarioError) else [str(err)]
        for line in lines:
            console.print(line, markup=False)
        if isinstance(err, ScenarioError):
            console.print(
                f"{len(lines)} problem{'s' if len(lines) != 1 else ''} found", style="red"
            )
        return err.exit_code
    except typer.Exit as exit_:
        return exit_.exit_code
    except typer.Abort:
        _stderr().print("aborted")
        return 130
    except KeyboardInterrupt:
        _stderr().print("interrupted")
        return 130
    except typer.TyperException as err:  # usage errors, which typer formats itself
        show = getattr(err, "show", None)
        if show is not None:
            show()
        else:
            _stderr().print(str(err), markup=False)
        return 2
    return rc if isinstance(rc, int) else 0
