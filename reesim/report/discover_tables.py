"""Rich renderables for `reesim discover`: the chosen boxes (each restricted input with its
limits against its full range and its quasi-p-value) and the peeling trajectory."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich import box as rich_box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from reesim.questions.prim import Box, Inputs, Trajectory, limit_text


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def box_table(inputs: Inputs, box: Box, title: str) -> RenderableType:
    head = Text(
        f"{title}: coverage {box.coverage:.0%}, density {box.density:.0%}, mass {box.mass:.0%} "
        f"({box.hits} of {box.points} points meet the condition), "
        f"{len(box.restricted)} inputs restricted"
    )
    if not box.restricted:
        return Group(
            head, Text("no input restricted: the condition holds across the sweep", style="dim")
        )
    table = Table(box=rich_box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("input")
    table.add_column("box", justify="right")
    table.add_column("of the sweep's range", justify="right")
    table.add_column("qp-value", justify="right")
    full = inputs.full_limits()
    for i, qp in zip(box.restricted, box.qp_values, strict=True):
        weak = not math.isnan(qp) and qp > 0.05
        table.add_row(
            inputs.names[i],
            limit_text(box.limits[i], _fmt),
            limit_text(full[i], _fmt),
            Text(f"{qp:.2g}", style="yellow" if weak else ""),
        )
    return Group(head, table)


def trajectory_table(t: Trajectory, every: int = 1) -> Table:
    table = Table(
        title=f"peeling trajectory ({len(t.boxes)} boxes; base density {t.base_density:.0%}; "
        "* is the box shown)",
        title_justify="left",
        box=rich_box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for name in ("box", "coverage", "density", "mass", "inputs restricted"):
        table.add_column(name, justify="right")
    for i, b in enumerate(t.boxes):
        if i % every and i not in (t.chosen, len(t.boxes) - 1):
            continue
        mark = "*" if i == t.chosen else ""
        table.add_row(
            f"{mark}{i}",
            f"{b.coverage:.0%}",
            f"{b.density:.0%}",
            f"{b.mass:.0%}",
            str(len(b.restricted)),
        )
    return table


def leaves_table(inputs: Inputs, boxes: Sequence[Box]) -> RenderableType:
    parts: list[RenderableType] = []
    for i, b in enumerate(boxes, start=1):
        parts.append(box_table(inputs, b, f"leaf {i}"))
    return Group(*parts) if parts else Text("no leaf where most points meet the condition")
