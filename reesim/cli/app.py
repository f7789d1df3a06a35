"""The typer application and what every command shares: consoles and the --version flag.

Commands live in one module each (`run.py`, `validate.py`, …) and register on `app`.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from reesim.cli.conventions import ConventionalGroup
from reesim.version import __version__

if TYPE_CHECKING:
    from rich.progress import Progress

    from reesim.experiment.runner import Progress as ProgressCallback
    from reesim.scenario.load import ResolvedScenario

app = typer.Typer(
    name="reesim",
    help="Simulate export-licence scenarios for critical minerals.",
    cls=ConventionalGroup,
    # Plain help, as click writes it: paragraphs rewrapped to the terminal, nothing cut.
    rich_markup_mode=None,
    no_args_is_help=True,
    # --install-completion / --show-completion for bash, zsh, fish and PowerShell.
    add_completion=True,
    pretty_exceptions_enable=False,
)

PIPE_WIDTH = 10_000
"""Output width when stdout is not a terminal and COLUMNS is not set: as wide as the output
needs, so files and CI logs hold every column and every number whole."""


def output_width() -> int | None:
    """`COLUMNS` when set (a terminal's width, or what a user asks for), the terminal's width
    on a terminal (None lets rich ask it), else `PIPE_WIDTH`."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return None if sys.stdout.isatty() else PIPE_WIDTH


def stdout_console() -> Console:
    # No markup, no emoji: '[bold]' or ':x:' in a name or a message is text. Styles are given
    # as style= or Text, never inside strings that may hold input.
    return Console(width=output_width(), highlight=False, emoji=False, markup=False)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True, emoji=False, markup=False)


def warn_before_running(resolved: ResolvedScenario, quiet: bool = False) -> None:
    """What a user should know before results come (on stderr; not with --quiet): a run that
    leaves the years whose holidays the calendar knows."""
    from reesim.engine.calendar_data import scenario_calendar_warning

    message = scenario_calendar_warning(resolved.scenario)
    if message is not None and not quiet:
        stderr_console().print(f"warning: {resolved.name}: {message}", markup=False, style="yellow")


def _version(value: bool) -> None:
    if value:
        print(f"reesim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        callback=_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """Simulate export-licence scenarios for critical minerals."""


class progress_bar:  # noqa: N801 - used as a context manager like a function
    """A rich progress bar on stderr, only when stderr is a terminal and not --quiet."""

    def __init__(self, quiet: bool, total: int):
        self.enabled = not quiet and sys.stderr.isatty()
        self.total = total
        self.bar: Progress | None = None

    def __enter__(self) -> ProgressCallback | None:
        if not self.enabled:
            return None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("replications"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=stderr_console(),
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
