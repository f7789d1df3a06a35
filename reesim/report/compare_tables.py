"""How a comparison looks: rich renderables for the terminal, markdown for CI summaries and pull
requests, and a versioned JSON document for machines. Nothing here prints or computes
statistics; `reesim.results.compare` and `reesim.results.gates` do.

Markdown is built as text, not through rich, so it is the same whatever the terminal width.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from reesim.report.fit import Col, FittedTable
from reesim.report.tables import fmt, interval_text
from reesim.report.words import counted
from reesim.results.compare import Comparison, KpiComparison, Pairing, describe_replications
from reesim.results.comparison import Compared
from reesim.results.gates import GateOutcome, GateReport, Observation
from reesim.results.inputs_diff import ABSENT, UNKNOWN
from reesim.results.stats import Summary
from reesim.version import __version__

JSON_FORMAT = "reesim-compare"
JSON_VERSION = 1


# --- words and numbers ------------------------------------------------------------------------


def signed(x: float) -> str:
    return f"+{fmt(x)}" if x > 0 else fmt(x)


def percent(x: float) -> str:
    return "–" if math.isnan(x) else f"{signed(100.0 * x)}%"


def mean_hw(s: Summary | None) -> str:
    return interval_text(s)


def interval(lo: float, hi: float) -> str:
    """``[0.22, 2.28]``; with thousands separators ``[-841,449; -709,971]``, unambiguous."""
    if math.isnan(lo) or math.isnan(hi):
        return "–"
    a, b = fmt(lo), fmt(hi)
    return f"[{a}; {b}]" if "," in a + b else f"[{a}, {b}]"


def subset(c: Comparison, row: KpiComparison) -> bool:
    """Δ is over fewer replications than a mean shown (the KPI does not apply in all)."""
    d, b, k = row.diff, row.baseline, row.candidate
    if c.pairing is not Pairing.paired or d is None or b is None or k is None:
        return False
    return d.n != b.n or d.n != k.n


def delta_text(c: Comparison, row: KpiComparison) -> str:
    if row.diff is None:
        return "–"
    return signed(row.diff.delta) + ("†" if subset(c, row) else "")


def marker(row: KpiComparison) -> str:
    return "*" if row.significant else ""


def pairing_text(c: Comparison) -> str:
    if c.pairing is Pairing.paired:
        return f"paired, common random numbers ({c.reason})"
    return f"unpaired, Welch ({c.reason})"


def value_text(value: Any) -> str:
    """An input value as written in a scenario."""
    if value is ABSENT:
        return "–"
    if value is UNKNOWN:
        return "?"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(", ", ": "), default=str)
    return str(value)


def observation_text(o: Observation) -> str:
    if isinstance(o.value, bool):
        shown = "true" if o.value else "false"
    elif o.fn == "rel":
        shown = percent(o.value)
    else:
        unit = "" if o.unit in ("", "count", "share") else o.unit
        number = signed(o.value) if o.fn == "delta" else fmt(o.value)
        shown = number + (f" {unit}" if unit and unit != "%" else unit)
    text = f"{o.text} = {shown}"
    if o.interval is not None:
        text += f" (Δ 95% CI {interval(*o.interval)})"
    return text


def outcome_numbers(o: GateOutcome) -> str:
    parts = [observation_text(obs) for obs in o.observations]
    if o.reason:
        parts.append(f"undefined: {o.reason}")
    return "; ".join(parts)


def gates_summary(report: GateReport) -> str:
    failed = len(report.failed)
    total = len(report.outcomes)
    if total == 1:
        return "the gate failed" if failed else "the gate passed"
    if failed == 0:
        return f"all {total} gate checks passed"
    return f"{failed} of {total} gate checks failed"


def gate_failures(compared: Compared) -> str:
    """What a failed gate's error says: how many failed, then each with its numbers."""
    report = compared.gates
    if report is None:
        return ""
    lines = [gates_summary(report) + ":"]
    for o in report.failed:
        where = f" [{o.candidate}]" if len(compared.comparisons) > 1 else ""
        lines.append(f"  {o.gate.name}{where}: {outcome_numbers(o)}")
    return "\n".join(lines)


def footnote(compared: Compared) -> str:
    holm = bool(compared.comparisons) and compared.comparisons[0].adjust == "holm"
    if holm:
        sig = "* Holm-adjusted p < 0.05 across the KPIs that differ (intervals are per KPI)"
    else:
        sig = "* the 95% interval of Δ excludes 0"
    text = f"{sig}; Δ = scenario - baseline; rel = Δ / |baseline|"
    if any(
        subset(c, c.kpis[k]) for c in compared.comparisons for k in compared.kpis if k in c.kpis
    ):
        text += (
            "\n† over the replications where the KPI applies in both, so Δ can differ from the "
            "difference of the means shown"
        )
    return text


def title(c: Comparison, compared: Compared) -> str:
    i = compared.labels.index(c.candidate)
    n = len(compared.results[i].provenance.replications)
    return (
        f"{c.candidate} vs {c.baseline} (baseline), {counted(n, 'replication')}: {pairing_text(c)}"
    )


def _groups(names: Sequence[str]) -> Iterator[tuple[str, str, str]]:
    """(group shown when it starts or "", indented measure, name) for each KPI."""
    group = None
    for name in names:
        head, _, rest = name.partition(".")
        g = f"{head}.{rest.split('.')[0]}" if head in ("firms", "materials") and rest else head
        measure = name[len(g) + 1 :] if name != g else name
        yield (g if g != group else ""), measure, name
        group = g


# --- rich -------------------------------------------------------------------------------------


def inputs_table(compared: Compared) -> RenderableType:
    if not compared.inputs:
        return Text("Inputs: no parameter differs.", style="dim")
    table = Table(
        title="Inputs that differ",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        show_edge=False,
        pad_edge=False,
    )
    table.add_column("parameter", overflow="fold")
    for label in compared.labels:
        table.add_column(Text(label), overflow="fold")
    for change in compared.inputs:  # Text: paths and values are never rich markup
        table.add_row(Text(change.path), *(Text(value_text(v)) for v in change.values))
    return table


def comparison_table(c: Comparison, compared: Compared) -> FittedTable:
    """KPI by KPI, fitted to the width it is printed at: the relative change and then the two
    means are left out before any number would be cut."""
    headers = ("unit", c.baseline, c.candidate, "Δ", "Δ 95% CI", "rel")
    names: list[str | Text | None] = []
    cells: list[list[str | Text | None]] = [[] for _ in headers]
    signs: list[str | Text | None] = []
    for group, measure, name in _groups([k for k in compared.kpis if k in c.kpis]):
        if group:
            names.append(Text(group, style="bold"))  # Text: names are never markup
            for column in cells:
                column.append(None)
            signs.append(None)
        row = c.kpis[name]
        unit, _, _, *rest = _value_cells(c, row)
        means = (compact_interval(row.baseline), compact_interval(row.candidate))
        names.append(Text(f"  {measure}"))
        for column, value in zip(cells, (unit, *means, *rest), strict=True):
            column.append(Text(value))
        signs.append(Text(marker(row), style="bold yellow"))
    drop = {1: 2, 2: 3, 5: 1}  # column index -> rank: rel first, then the baseline, the candidate
    return FittedTable(
        [
            Col("KPI", names),
            *(
                Col(
                    Text(header),
                    column,
                    number=i > 0,
                    drop=drop.get(i, 0),
                    justify="left" if i == 0 else "right",
                    style="dim" if i == 0 else "",
                )
                for i, (header, column) in enumerate(zip(headers, cells, strict=True))
            ),
            Col("sig", signs, number=True, justify="center"),
        ],
        title=Text(title(c, compared) + "; mean, 95% CI"),
    )


def compact_interval(s: Summary | None) -> str:
    """A mean and its interval in few columns: ``21.7 ± 0.92`` when symmetric, else
    ``0 +0.16`` (from 0 to 0.16), ``1.00 −0.16`` or ``11.0 +12.7/−11.0``."""
    if s is None or s.n == 0 or math.isnan(s.ci_low) or math.isnan(s.ci_high) or s.symmetric:
        return mean_hw(s)
    up, down = s.ci_high - s.mean, s.mean - s.ci_low
    parts = ([f"+{fmt(up)}"] if up > 0 else []) + ([f"−{fmt(down)}"] if down > 0 else [])
    return f"{fmt(s.mean)} {'/'.join(parts)}"


def _value_cells(c: Comparison, row: KpiComparison) -> tuple[str, ...]:
    """Unit, both means, Δ, its interval and the relative change: the cells every form shows."""
    d = row.diff
    return (
        row.unit,
        mean_hw(row.baseline),
        mean_hw(row.candidate),
        delta_text(c, row),
        interval(d.ci_low, d.ci_high) if d else "–",
        percent(d.rel) if d else "–",
    )


def gates_list(report: GateReport, several: bool) -> RenderableType:
    """Each gate on a line (status, name, scenario, expression), then the numbers behind it,
    one per line: expressions are too long for table cells."""
    lines: list[RenderableType] = [Text(f"Gates: {gates_summary(report)}", style="italic")]
    for o in report.outcomes:
        passed = o.status == "pass"
        line = Text("pass" if passed else "FAIL", style="green" if passed else "bold red")
        line.append(f"  {o.gate.name}", style="bold")
        if several:
            line.append(f"  [{o.candidate}]")
        lines.append(line)
        if o.gate.name != o.gate.fail_if.strip():
            expression = " ".join(o.gate.fail_if.split())
            lines.append(Text(f"      fail if {expression}", style="dim"))
        for obs in o.observations:
            lines.append(Text(f"      {observation_text(obs)}"))
        if o.reason:
            lines.append(Text(f"      undefined: {o.reason}", style="red"))
    return Group(*lines)


def compare_renderable(compared: Compared) -> RenderableType:
    parts: list[RenderableType] = [inputs_table(compared)]
    if compared.missing_inputs:
        parts.append(
            Text(f"Inputs not recorded in: {', '.join(compared.missing_inputs)}", style="dim")
        )
    parts.append(Text(""))
    for c in compared.comparisons:
        if compared.kpis:
            parts += [comparison_table(c, compared), Text("")]
    if not compared.kpis:
        parts += [Text("No KPI to show (all filtered out or unchanged)."), Text("")]
    parts.append(Text(footnote(compared), style="dim"))
    if compared.gates is not None and compared.gates.outcomes:
        parts += [Text(""), gates_list(compared.gates, len(compared.comparisons) > 1)]
    return Group(*parts)


# --- markdown ---------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def compare_markdown(compared: Compared) -> str:
    labels = compared.labels
    lines = [f"### reesim compare: {' vs '.join(labels[1:])} against {labels[0]}", ""]
    if compared.inputs:
        lines += [
            "**Inputs that differ**",
            "",
            "| parameter | " + " | ".join(map(_cell, labels)) + " |",
            "|---|" + "---|" * len(labels),
        ]
        for change in compared.inputs:
            values = " | ".join(_cell(f"`{value_text(v)}`") for v in change.values)
            lines.append(f"| `{_cell(change.path)}` | {values} |")
    else:
        lines.append("Inputs: no parameter differs.")
    if compared.missing_inputs:
        lines += ["", f"Inputs not recorded in: {', '.join(compared.missing_inputs)}."]
    lines.append("")
    for c in compared.comparisons:
        shown = [k for k in compared.kpis if k in c.kpis]
        sig = "sig"
        lines += [f"**{_cell(title(c, compared))}**", ""]
        if not shown:
            lines += ["No KPI to show (all filtered out or unchanged).", ""]
            continue
        lines += [
            f"| KPI | unit | {_cell(c.baseline)} | {_cell(c.candidate)} | Δ | Δ 95% CI | rel | "
            f"{sig} |",
            "|---|---|---:|---:|---:|---:|---:|:---:|",
        ]
        for name in shown:
            row = c.kpis[name]
            cells = [f"`{name}`", *_value_cells(c, row), "**\\***" if row.significant else ""]
            lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
        lines.append("")
    lines += [f"<sub>\\{footnote(compared).replace(chr(10), '<br>')}</sub>", ""]
    if compared.gates is not None and compared.gates.outcomes:
        several = len(compared.comparisons) > 1
        lines += [
            f"**Gates: {gates_summary(compared.gates)}**",
            "",
            "| | gate (fails if) | " + ("scenario | " if several else "") + "numbers |",
            "|---|---|" + ("---|" if several else "") + "---|",
        ]
        for o in compared.gates.outcomes:
            status = "✅ pass" if o.status == "pass" else "❌ **FAIL**"
            expression = " ".join(o.gate.fail_if.split())
            gate = f"`{expression}`"
            if o.gate.name != o.gate.fail_if.strip():
                gate = f"{o.gate.name}: {gate}"
            cells = [status, gate]
            if several:
                cells.append(o.candidate)
            cells.append(outcome_numbers(o))
            lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
        lines.append("")
    return "\n".join(lines)


# --- JSON -------------------------------------------------------------------------------------


def _num(x: float) -> float | None:
    return None if math.isnan(x) or math.isinf(x) else x


def _summary(s: Summary | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "mean": _num(s.mean),
        "half_width": _num(s.half_width),
        "ci_low": _num(s.ci_low),
        "ci_high": _num(s.ci_high),
        "interval": s.interval,
        "std": _num(s.std),
        "p5": _num(s.p5),
        "p50": _num(s.p50),
        "p95": _num(s.p95),
        "n": s.n,
    }


def _kpi_json(row: KpiComparison) -> dict[str, Any]:
    d = row.diff
    return {
        "name": row.name,
        "unit": row.unit,
        "baseline": _summary(row.baseline),
        "candidate": _summary(row.candidate),
        "delta": _num(d.delta) if d else None,
        "ci_low": _num(d.ci_low) if d else None,
        "ci_high": _num(d.ci_high) if d else None,
        "method": d.method if d else None,
        "rel": _num(d.rel) if d else None,
        "p_value": _num(d.p_value) if d else None,
        "p_adjusted": _num(row.p_adjusted) if row.p_adjusted is not None else None,
        "n": d.n if d else 0,
        "significant": row.significant,
        "identical": d.identical if d else False,
    }


def _observation_json(o: Observation) -> dict[str, Any]:
    value: Any = o.value if isinstance(o.value, bool) else _num(o.value)
    return {
        "text": o.text,
        "value": value,
        "unit": o.unit,
        "interval": [_num(o.interval[0]), _num(o.interval[1])] if o.interval else None,
    }


def compare_dict(compared: Compared) -> dict[str, Any]:
    scenarios = []
    for label, source, r in zip(compared.labels, compared.sources, compared.results, strict=True):
        p = r.provenance
        scenarios.append(
            {
                "label": label,
                "input": source,
                "name": p.scenario_name,
                "sha256": p.scenario_sha256,
                "overrides": list(p.overrides),
                "root_seed": p.root_seed,
                "replications": len(p.replications),
                "replication_range": describe_replications(p.replications),
                "reesim_version": p.reesim_version,
            }
        )
    doc: dict[str, Any] = {
        "format": JSON_FORMAT,
        "schema_version": JSON_VERSION,
        "reesim_version": __version__,
        "baseline": compared.labels[0],
        "scenarios": scenarios,
        "inputs_not_recorded": list(compared.missing_inputs),
        "inputs_changed": [
            {
                "path": change.path,
                "values": {
                    label: v
                    for label, v in zip(compared.labels, change.values, strict=True)
                    if v is not ABSENT and v is not UNKNOWN
                },
            }
            for change in compared.inputs
        ],
        "comparisons": [
            {
                "baseline": c.baseline,
                "candidate": c.candidate,
                "pairing": c.pairing.value,
                "reason": c.reason,
                "adjust": c.adjust,
                "kpis": [_kpi_json(c.kpis[k]) for k in compared.kpis if k in c.kpis],
            }
            for c in compared.comparisons
        ],
        "gates": None,
        "passed": None,
    }
    if compared.gates is not None:
        doc["gates"] = [
            {
                "name": o.gate.name,
                "fail_if": o.gate.fail_if,
                "description": o.gate.description,
                "source": o.gate.origin.source,
                "baseline": o.baseline,
                "candidate": o.candidate,
                "status": o.status,
                "reason": o.reason,
                "observations": [_observation_json(x) for x in o.observations],
            }
            for o in compared.gates.outcomes
        ]
        doc["passed"] = not compared.gates.failed
    return doc


def compare_json(compared: Compared) -> str:
    return json.dumps(compare_dict(compared), indent=2, allow_nan=False, default=str) + "\n"
