"""`reesim report`: one self-contained HTML file from a result, several results side by side,
or a sweep directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reesim.cli.app import app, stdout_console
from reesim.cli.output import Outputs, check_file
from reesim.errors import UsageError

if TYPE_CHECKING:
    from reesim.experiment.sweepsummary import SweepSummary

KPI_HELP = "KPIs to chart for a sweep or in the forest plot (glob, repeatable)."


def is_sweep(inputs: list[Path]) -> bool:
    """A single directory is a sweep; a directory among other inputs is an error."""
    dirs = [p for p in inputs if p.is_dir()]
    if dirs and len(inputs) > 1:
        raise UsageError(f"{dirs[0]}: expected result files or one sweep directory, not both")
    return bool(dirs)


def read_sweep_dir(path: Path) -> SweepSummary:
    from reesim.experiment.store import read_sweep

    return read_sweep(path)


def render(inputs: list[Path], kpis: list[str] | None = None) -> str:
    """The HTML report of the inputs: a sweep directory, one result or several."""
    from reesim.report import html

    if is_sweep(inputs):
        return html.sweep_report(read_sweep_dir(inputs[0]), kpis or ())
    from reesim.results.io import read_results

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
