"""The typer application and what every command shares: consoles and the --version flag.

Commands live in one module each (`run.py`, `validate.py`, …) and register on `app`.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from reesim import __version__

app = typer.Typer(
    name="reesim",
    help="Simulate export-licence scenarios for critical minerals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

WIDTH = 100
"""Output width when stdout is not a terminal, so files and CI logs are stable."""


def stdout_console() -> Console:
    return Console(width=None if sys.stdout.isatty() else WIDTH, highlight=False)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        print(f"reesim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Simulate export-licence scenarios for critical minerals."""
