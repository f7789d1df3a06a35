"""Rich renderables for the answers of `reesim solve` (the curve of values tried, the cost
curve). Nothing here prints."""

from __future__ import annotations

import math

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from reesim.questions.cost import CostSolution
from reesim.questions.solve import Solution
from reesim.report.tables import fmt
from reesim.report.words import counted

VERDICT_STYLE = {"met": "green", "missed": "red", "open": "yellow"}


def sig3(x: float) -> str:
    """Three significant digits: a bound of 0.0496 must not read as 0.05 next to a 5% target."""
    return fmt(x) if not math.isfinite(x) or abs(x) >= 1000 else f"{x:.3g}"


def bound_side(op: str) -> str:
    return "upper" if op in ("<", "<=") else "lower"


def answer_line(solution: Solution) -> Text:
    s, axis = solution.settings, solution.axis
    what = f"{s.direction} {axis.path} meeting every target with {s.confidence:.0%} confidence"
    spent = f"{counted(solution.replications, 'replication')} at {len(solution.candidates)} values"
    if solution.answer is None:
        return Text(f"no {what} in {axis.text(axis.low)}..{axis.text(axis.high)}; {spent}")
    text = Text(f"{what}: ")
    text.append(solution.answer.text, style="bold")
    if solution.bracket is not None:
        lo, hi = (axis.text(x) for x in solution.bracket)
        text.append(f" (bracket {lo} .. {hi})")
    text.append(f"; {spent}")
    return text


def solve_table(solution: Solution) -> Table:
    """The curve: each value tried, its replications, and for each target the estimate, the
    one-sided bound that decides it and the verdict."""
    conf = solution.settings.look_confidence
    table = Table(
        title=f"values tried; bounds one-sided at {conf:.2%} per look",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        pad_edge=False,
    )
    table.add_column("value", justify="right")
    table.add_column("n", justify="right")
    many = len(solution.targets) > 1
    for i, t in enumerate(solution.targets, start=1):
        tag = f"[{i}] " if many else ""
        table.add_column(f"{tag}{t.kpi.rsplit('.', 1)[-1]}.{t.stat}", justify="right")
        table.add_column(f"{bound_side(t.op)} bound", justify="right")
    table.add_column("verdict")
    answer = solution.answer
    for c in solution.curve:
        cells: list[RenderableType] = [
            Text(c.text, style="bold" if c is answer else ""),
            f"{c.n:,}",
        ]
        for e, t in zip(c.estimates, solution.targets, strict=True):
            bound = e.upper if t.wants_low else e.lower
            cells += [sig3(e.value), sig3(bound)]
        verdict = c.verdict + (" ← answer" if c is answer else "")
        cells.append(Text(verdict, style=VERDICT_STYLE[c.verdict]))
        table.add_row(*cells)
    return table


def targets_text(solution: Solution) -> Text:
    lines = [f"[{i}] {t.text}" for i, t in enumerate(solution.targets, start=1)]
    return Text("targets: " + "; ".join(lines), style="dim")


def warnings_text(warnings: tuple[str, ...] | list[str]) -> RenderableType:
    return Group(*(Text(f"warning: {w}", style="yellow") for w in warnings))


def cost_line(cost: CostSolution) -> Text:
    lo, hi = (cost.axis.text(x) for x in cost.near_best)
    text = Text(f"least expected cost for {cost.axis.path}: ")
    text.append(cost.best.text, style="bold")
    text.append(
        f", {fmt(cost.best.mean)} (95% CI {fmt(cost.best.low)} .. {fmt(cost.best.high)}); "
        f"values within noise of it: {lo} .. {hi}; {counted(cost.replications, 'replication')}"
    )
    return text


def cost_table(cost: CostSolution) -> Table:
    table = Table(
        title=f"{cost.axis.path}: expected total cost (holding {fmt(cost.holding_per_kg_day)} "
        f"per kg-day for {cost.horizon_days:.0f} d + {fmt(cost.loss_per_unit)} per unit lost)",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        pad_edge=False,
    )
    for name in ("value", "held", "holding", "loss", "total", f"{cost.confidence:.0%} CI"):
        table.add_column(name, justify="right")
    for p in cost.points:
        holding = cost.holding_per_kg_day * p.held_kg * cost.horizon_days
        mark = "bold" if p is cost.best else ""
        table.add_row(
            Text(p.text, style=mark),
            f"{fmt(p.held_kg / 1000)} t",
            fmt(holding),
            fmt(p.mean - holding),
            Text(fmt(p.mean), style=mark),
            f"{fmt(p.low)} .. {fmt(p.high)}" if math.isfinite(p.low) else "–",
        )
    return table
