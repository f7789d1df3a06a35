"""`reesim report`: one self-contained HTML file from a result, several results side by side,
or a sweep directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reesim.cli.app import app, stdout_console
from reesim.cli.output import Outputs, check_file
from reesim.errors import UsageError
from reesim.files import FileProblem

if TYPE_CHECKING:
    from reesim.report.plots import Sweep
    from reesim.results.result import RunResult

KPI_HELP = "KPIs to chart for a sweep or in the forest plot (glob, repeatable)."


def read_results(paths: list[Path]) -> list[RunResult]:
    """Result JSON files, or a UsageError naming the file and what is wrong with it."""
    from reesim.results.io import read_result

    results = []
    for path in paths:
        try:
            results.append(read_result(path))
        except FileProblem as err:
            raise UsageError(f"{path}: {err}") from None
        except json.JSONDecodeError as err:
            raise UsageError(
                f"{path}:{err.lineno}:{err.colno}: expected JSON, got {err.msg}"
            ) from None
        except (KeyError, TypeError, ValueError) as err:
            said = str(err)
            if not said.startswith("expected"):
                said = f"expected a reesim result (reesim run -o), got {said}"
            raise UsageError(f"{path}: {said}") from None
    return results


def is_sweep(inputs: list[Path]) -> bool:
    """A single directory is a sweep; a directory among other inputs is an error."""
    dirs = [p for p in inputs if p.is_dir()]
    if dirs and len(inputs) > 1:
        raise UsageError(f"{dirs[0]}: expected result files or one sweep directory, not both")
    return bool(dirs)


def read_sweep_dir(path: Path) -> Sweep:
    from reesim.report.plots import read_sweep

    try:
        return read_sweep(path)
    except (ValueError, KeyError, OSError) as err:
        raise UsageError(str(err)) from None


def render(inputs: list[Path], kpis: list[str] | None = None) -> str:
    """The HTML report of the inputs: a sweep directory, one result or several."""
    from reesim.report import html

    if is_sweep(inputs):
        return html.sweep_report(read_sweep_dir(inputs[0]), kpis or ())
    results = read_results(inputs)
    if len(results) == 1:
        return html.result_report(results[0])
    names = html.labels(results, [str(p) for p in inputs])
    runs = list(zip(names, results, strict=True))
    return html.comparison_report(runs, kpis) if kpis else html.comparison_report(runs)


@app.command()
def report(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="A result JSON, several (the first is the baseline), or a sweep directory."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")],
    kpi: Annotated[list[str] | None, typer.Option("--kpi", help=KPI_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Write one self-contained HTML report (inline charts and CSS, no network needed)."""
    check_file(out, (".html", ".htm"))
    outputs = Outputs()
    outputs.write(out, render(inputs, kpi), "the report")
    outputs.raise_failures()
    if not quiet:
        stdout_console().print(f"wrote {out}", markup=False)
