"""`reesim validate`: every problem in every scenario file, exit 0 or 2."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reesim.cli.app import app, stdout_console, warn_before_running
from reesim.errors import Problem, ScenarioError


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario files to check.")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="Overrides to check too.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Check scenario files; print every problem in every file. Exit 0 if all are valid, else 2."""
    from reesim.scenario.load import load_scenario

    problems: list[Problem] = []
    for path in scenarios:
        try:
            resolved = load_scenario(path, set_ or ())
        except ScenarioError as err:
            problems.extend(err.problems)
            continue
        warn_before_running(resolved, quiet)
        if not quiet:
            stdout_console().print(
                f"ok   {path}  ({resolved.name}, {len(resolved.changes)} timeline "
                f"events, sha256 {resolved.sha256[:12]})",
                markup=False,
            )
    if problems:
        raise ScenarioError(problems)
