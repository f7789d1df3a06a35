"""`reesim discover`: boxes of a sweep's input space where a condition on its outputs holds."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from reesim.cli.app import app, stdout_console
from reesim.cli.output import check_file
from reesim.errors import UsageError

if TYPE_CHECKING:
    from reesim.questions.prim import Box, Inputs


class Method(StrEnum):
    prim = "prim"
    tree = "tree"


@app.command()
def discover(
    sweep: Annotated[Path, typer.Argument(help="A sweep output directory (reesim sweep -o).")],
    condition: Annotated[
        str,
        typer.Option(
            "--condition",
            "-c",
            help="When a point counts, on its KPI statistics, e.g. "
            "'firms.tesla.stockout_days.mean > 30'.",
        ),
    ],
    method: Annotated[Method, typer.Option("--method", help="prim or tree.")] = Method.prim,
    boxes: Annotated[
        int, typer.Option("--boxes", min=1, help="PRIM: boxes to find one after another.")
    ] = 1,
    box: Annotated[
        int | None,
        typer.Option("--box", min=0, help="PRIM: show this box of the (first) peeling trajectory."),
    ] = None,
    alpha: Annotated[
        float, typer.Option("--alpha", min=0.01, max=0.5, help="PRIM: share peeled per step.")
    ] = 0.05,
    min_mass: Annotated[
        float,
        typer.Option("--min-mass", min=0.0, max=1.0, help="PRIM: least share of points in a box."),
    ] = 0.05,
    depth: Annotated[int, typer.Option("--depth", min=1, help="Tree: levels at most.")] = 4,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the boxes as JSON.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML report.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Find boxes of a sweep's inputs where a condition on its outputs holds (PRIM, or a
    classification tree)."""
    check_file(out, (".json",))
    check_file(report, (".html", ".htm"))
    from reesim.experiment.store import read_points
    from reesim.questions.discover import evaluate_condition, inputs_from
    from reesim.questions.prim import covering
    from reesim.questions.tree import tree_boxes

    table = read_points(sweep)
    outcome = evaluate_condition(condition, table.kpis, table.columns)
    inputs = inputs_from(table.factors, table.columns)
    met = int(outcome.met.sum())
    if met == 0:
        raise UsageError(f"expected some points to meet the condition, got none of {inputs.n}")
    trajectories, leaves = [], []
    if method is Method.prim:
        trajectories = covering(inputs, outcome.met, boxes, alpha, min_mass)
        if box is not None:
            first = trajectories[0]
            if box >= len(first.boxes):
                raise UsageError(
                    f"expected --box below {len(first.boxes)} (the trajectory's length), got {box}"
                )
            trajectories[0] = replace(first, chosen=box)
    else:
        leaves = tree_boxes(inputs, outcome.met, depth)
    chosen = [t.boxes[t.chosen] for t in trajectories] or leaves
    if out is not None:
        from reesim.results.io import atomic_write_text

        data = {
            "sweep": str(sweep),
            "condition": outcome.condition,
            "method": method.value,
            "points": inputs.n,
            "points_meeting": met,
            "boxes": [_box_dict(inputs, b) for b in chosen],
            "trajectories": [
                {"chosen": t.chosen, "boxes": [_box_dict(inputs, b) for b in t.boxes]}
                for t in trajectories
            ],
        }
        atomic_write_text(out, json.dumps(data, indent=2) + "\n")
    if report is not None:
        from reesim.report.answers_html import discover_report
        from reesim.report.html import write_report

        write_report(
            discover_report(inputs, outcome.condition, str(sweep), trajectories, leaves, met),
            report,
        )
    if quiet:
        return
    from reesim.report.discover_tables import box_table, leaves_table, trajectory_table

    console = stdout_console()
    console.print(
        f"{outcome.condition}: {met} of {inputs.n} points ({met / inputs.n:.0%}); {method.value}"
    )
    for i, t in enumerate(trajectories, start=1):
        console.print(box_table(inputs, t.boxes[t.chosen], f"box {i}"))
        if i == 1:
            every = max(1, math.ceil(len(t.boxes) / 12))
            console.print(trajectory_table(t, every))
    if method is Method.tree:
        console.print(leaves_table(inputs, leaves))


def _box_dict(inputs: Inputs, b: Box) -> dict[str, Any]:
    from reesim.questions.prim import limit_text

    return {
        "coverage": b.coverage,
        "density": b.density,
        "mass": b.mass,
        "points": b.points,
        "meeting": b.hits,
        "restricted": {
            inputs.names[i]: {"limits": limit_text(b.limits[i]), "qp_value": qp}
            for i, qp in zip(b.restricted, b.qp_values, strict=True)
        },
    }
