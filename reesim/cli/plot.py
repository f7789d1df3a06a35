"""`reesim plot`: the charts of a result, of several results compared, or of a sweep, one file
per chart."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reesim.cli.app import app, stdout_console
from reesim.cli.output import check_dir
from reesim.cli.report import KPI_HELP, is_sweep, read_sweep_dir
from reesim.errors import OutputError
from reesim.files import FileProblem


@app.command()
def plot(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="A result JSON, several (compared against the first), or a sweep directory."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the chart files.")],
    svg: Annotated[bool, typer.Option("--svg", help="Write SVG instead of PNG.")] = False,
    kpi: Annotated[list[str] | None, typer.Option("--kpi", help=KPI_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Draw charts, one PNG (or SVG) file per chart, and list the files written."""
    from reesim.report import plots
    from reesim.report.html import labels

    check_dir(out)
    if is_sweep(inputs):
        charts = plots.sweep_charts(read_sweep_dir(inputs[0]), kpi or ())
    else:
        from reesim.results.io import read_results

        results = read_results(inputs)
        if len(results) == 1:
            charts = plots.result_charts(results[0])
        else:
            names = labels(results, [str(p) for p in inputs])
            runs = list(zip(names, results, strict=True))
            charts = plots.comparison_charts(runs, kpi or plots.DEFAULT_FOREST)
    console = stdout_console()
    fmt = "svg" if svg else "png"
    for chart, name in zip(charts, plots.file_names(charts, fmt), strict=True):
        try:
            path = plots.save(chart, out, fmt, name)
        except FileProblem as err:
            raise OutputError(f"{out / name}: {err}") from None
        if not quiet:
            console.print(str(path), markup=False, soft_wrap=True)
