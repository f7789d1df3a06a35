"""HTML reports for answers: `reesim solve` (and its cost mode), `reesim calibrate` and
`reesim discover`, built from the same page, tables and inline charts as the run reports."""

from __future__ import annotations

import math
from collections.abc import Sequence

from reesim.questions.calibrate import Calibration, Fit, Predictive
from reesim.questions.cost import CostSolution
from reesim.questions.prim import Box, Inputs, Trajectory, limit_text
from reesim.questions.solve import Solution
from reesim.report import plots
from reesim.report.html import Section, _esc, _table, figures_html, page
from reesim.report.tables import fmt


def warnings_html(warnings: tuple[str, ...] | list[str]) -> str:
    if not warnings:
        return '<p class="muted">No warnings.</p>'
    return "<ul>" + "".join(f'<li class="sig">{_esc(w)}</li>' for w in warnings) + "</ul>"


def solve_report(solution: Solution, scenario: str) -> str:
    from reesim.report.plots.answers import solve_chart

    s, axis = solution.settings, solution.axis
    answer = solution.answer
    facts = [
        (
            "question",
            _esc(f"{s.direction} {axis.path} in {axis.text(axis.low)}..{axis.text(axis.high)}"),
        ),
        ("targets", "<br>".join(f"<code>{_esc(t.text)}</code>" for t in solution.targets)),
        ("confidence", _esc(f"{s.confidence:.0%} ({s.look_confidence:.2%} per look)")),
        ("answer", f"<strong>{_esc(answer.text if answer else 'none in the range')}</strong>"),
        (
            "bracket",
            _esc(" .. ".join(str(axis.text(x)) for x in solution.bracket))
            if solution.bracket
            else "–",
        ),
        ("replications", _esc(f"{solution.replications:,} at {len(solution.candidates)} values")),
    ]
    head = ["value", "n"]
    for t in solution.targets:
        head += [_esc(f"{t.kpi}.{t.stat}"), "upper bound" if t.wants_low else "lower bound"]
    head.append("verdict")
    rows = []
    for c in solution.curve:
        row = [_esc(c.text), _esc(f"{c.n:,}")]
        for e, t in zip(c.estimates, solution.targets, strict=True):
            row += [_esc(fmt(e.value)), _esc(fmt(e.upper if t.wants_low else e.lower))]
        row.append(_esc(c.verdict + (" (answer)" if c is answer else "")))
        rows.append(row)
    chart = plots.Chart("solve", "Values tried", solve_chart(solution))
    caption = {
        "solve": "Each dot is a value tried: the target's statistic over its replications, with "
        "the one-sided bounds that decided it. Dashed: the threshold; vertical line: the answer; "
        "shaded: the final bracket."
    }
    sections = [
        Section("answer", "Answer", _table(["", ""], facts)),
        Section("warnings", "Warnings", warnings_html(solution.warnings)),
        Section("curve", "Values tried", _table(head, rows, num_from=0)),
        Section("chart", "Chart", figures_html([chart], caption)),
    ]
    return page(f"reesim solve: {scenario}", "", sections)


def cost_report(cost: CostSolution, scenario: str) -> str:
    from reesim.report.plots.answers import cost_chart

    lo, hi = (cost.axis.text(x) for x in cost.near_best)
    facts = [
        ("parameter", f"<code>{_esc(cost.axis.path)}</code>"),
        ("answer", f"<strong>{_esc(cost.best.text)}</strong>"),
        (
            "expected cost",
            _esc(f"{fmt(cost.best.mean)} ({fmt(cost.best.low)} .. {fmt(cost.best.high)})"),
        ),
        ("values within noise of it", _esc(f"{lo} .. {hi}")),
        ("replications", _esc(f"{cost.replications:,}")),
    ]
    rows = [
        [
            _esc(p.text),
            _esc(fmt(p.held_kg)),
            _esc(fmt(p.mean)),
            _esc(f"{fmt(p.low)} .. {fmt(p.high)}" if math.isfinite(p.low) else "–"),
        ]
        for p in cost.points
    ]
    chart = plots.Chart("cost", "Expected total cost", cost_chart(cost))
    sections = [
        Section("answer", "Answer", _table(["", ""], facts)),
        Section(
            "curve", "Values tried", _table(["value", "held kg", "mean cost", "95% CI"], rows, 0)
        ),
        Section("chart", "Chart", figures_html([chart])),
    ]
    return page(f"reesim solve --holding-cost: {scenario}", "", sections)


def discover_report(
    inputs: Inputs,
    condition: str,
    sweep: str,
    trajectories: Sequence[Trajectory] = (),
    leaves: Sequence[Box] = (),
    met: int = 0,
) -> str:
    """The boxes found (PRIM's chosen boxes with their trajectories, or the tree's leaves)."""
    from reesim.report.plots.answers import box_chart, trajectory_chart

    facts = [
        ("sweep", _esc(sweep)),
        ("condition", f"<code>{_esc(condition)}</code>"),
        ("points meeting it", _esc(f"{met} of {inputs.n}")),
    ]
    sections = [Section("question", "Question", _table(["", ""], facts))]
    boxes: list[tuple[str, Box, Trajectory | None]] = [
        (f"box {i}", t.boxes[t.chosen], t) for i, t in enumerate(trajectories, start=1)
    ]
    boxes += [(f"leaf {i}", b, None) for i, b in enumerate(leaves, start=1)]
    for name, box, t in boxes:
        full = inputs.full_limits()
        rows = [
            [
                f"<code>{_esc(inputs.names[i])}</code>",
                _esc(limit_text(box.limits[i])),
                _esc(limit_text(full[i])),
                _esc(f"{qp:.2g}"),
            ]
            for i, qp in zip(box.restricted, box.qp_values, strict=True)
        ]
        lead = (
            f"<p>coverage {box.coverage:.0%}, density {box.density:.0%}, mass {box.mass:.0%}: "
            f"{box.hits} of the {box.points} points in the box meet the condition.</p>"
        )
        charts = [plots.Chart(f"box-{name}", f"{name}: restricted inputs", box_chart(inputs, box))]
        if t is not None:
            charts.insert(
                0,
                plots.Chart(
                    f"trajectory-{name}", f"{name}: peeling trajectory", trajectory_chart(t)
                ),
            )
        html = lead + _table(["input", "box", "sweep's range", "qp-value"], rows, num_from=1)
        html += figures_html(charts, DISCOVER_CAPTIONS)
        sections.append(Section(name.replace(" ", "-"), name.capitalize(), html))
    return page(f"reesim discover: {sweep}", "", sections)


DISCOVER_CAPTIONS = {
    "trajectory": "Each dot is a box on PRIM's peeling trajectory: the share of the points "
    "meeting the condition that it holds (coverage) against the share of its points that meet "
    "it (density), coloured by the number of inputs it restricts. Circled: the box shown.",
    "box": "Each restricted input's limits within the range the sweep covered, with its "
    "quasi-p-value (a large one says the restriction could be dropped).",
}


def calibration_report(
    cal: Calibration,
    pred: Predictive,
    fits: Sequence[tuple[str, Fit | None]],
    scenario: str,
    data: str,
) -> str:
    from reesim.report.plots.calibration import predictive_chart

    rows = []
    for i, p in enumerate(cal.priors):
        mean, sd, q5, q50, q95 = cal.summary(i)
        rows.append(
            [
                _esc(p.name),
                f"<code>{_esc(p.axis.path)}</code>",
                _esc(f"{p.axis.text(p.axis.low)} .. {p.axis.text(p.axis.high)}"),
                f"<strong>{_esc(p.axis.text(q50))}</strong>",
                _esc(f"{p.axis.text(q5)} .. {p.axis.text(q95)}"),
            ]
        )
    fit_rows = [
        [
            _esc(name),
            _esc(f.observations),
            _esc(f"{f.rmse_standardised:.2f}"),
            _esc(f"{f.coverage_90:.0%}"),
        ]
        for name, f in fits
        if f is not None
    ]
    gens = [
        [
            _esc(i),
            _esc("∞" if math.isinf(g.tolerance) else f"{g.tolerance:.3g}"),
            _esc(g.simulations),
        ]
        for i, g in enumerate(cal.generations)
    ]
    chart = plots.Chart(
        "predictive", "Posterior predictive against the data", predictive_chart(cal, pred)
    )
    caption = {
        "predictive": "Band: 5th to 95th percentile of the observation simulated at values drawn "
        "from the posterior (fresh random numbers); line: its median. Dots: the data, filled "
        "where fitted and open where held out."
    }
    sections = [
        Section(
            "posterior",
            "Posterior",
            _table(
                ["uncertainty", "path", "prior range", "median", "90% interval"], rows, num_from=2
            ),
        ),
        Section(
            "fit",
            "Fit",
            _table(["observations", "n", "standardised RMSE", "inside 90% band"], fit_rows, 1),
        ),
        Section("chart", "Data and predictive bands", figures_html([chart], caption)),
        Section(
            "abc",
            "ABC-SMC generations",
            _table(["generation", "tolerance", "simulations"], gens, num_from=0),
        ),
    ]
    return page(f"reesim calibrate: {scenario}", f"Fitted to {data}.", sections)
