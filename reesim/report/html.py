"""One self-contained HTML report: a result, several results side by side, or a sweep.

The file needs nothing but a browser: charts are inline SVG (text kept as text, so it stays
sharp and searchable), the CSS is inline, and nothing refers to another file or to the network.
It prints readably (charts are not split across pages, tables repeat their headers).

Jinja2 renders the template with autoescaping on; chart SVG is the only markup let through
unescaped, after `inline_svg` has stripped its XML prologue and metadata and prefixed its ids so
that several charts can share one page.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reesim.experiment.sweepsummary import SweepSummary
from reesim.report import plots
from reesim.report.tables import fmt, mean_ci
from reesim.report.words import counted
from reesim.results.io import atomic_write_text
from reesim.results.names import kpi_unit
from reesim.results.result import Kpi, RunResult
from reesim.version import __version__

CSS = """
:root { --ink: #1d2430; --muted: #5c6675; --rule: #d9dde3; --accent: #1f77b4; --bad: #b8281f; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 1180px; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--rule); }
h3 { font-size: 1.05em; margin: 18px 0 6px; }
p.lead { color: var(--muted); margin: 0 0 12px; max-width: 60em; }
nav { font-size: .9em; color: var(--muted); margin: 8px 0 0; }
nav a { color: var(--accent); text-decoration: none; margin-right: 12px; }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: .9em; }
th, td { padding: 3px 10px 3px 0; text-align: left; vertical-align: top; border-bottom: 1px solid var(--rule); }
th { font-weight: 600; border-bottom: 1.5px solid var(--ink); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
span.ci { color: var(--muted); font-size: 0.85em; }
p.note { color: var(--muted); font-size: 0.85em; max-width: 60em; }
td.unit { color: var(--muted); }
td.date { white-space: nowrap; }
tr.group td { font-weight: 600; padding-top: 10px; border-bottom: 1px solid var(--ink); }
td.kpi { padding-left: 14px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .95em; }
.sig { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
.cols { display: grid; grid-template-columns: repeat(var(--n, 1), minmax(0, 1fr)); gap: 24px; }
.cols > div { overflow-x: auto; }
.cols table { font-size: .8em; }
figure { margin: 18px 0 26px; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: .9em; margin-top: 4px; max-width: 60em; }
details summary { cursor: pointer; color: var(--accent); }
pre { background: #f6f7f9; padding: 10px; overflow-x: auto; font-size: .8em; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .95em; }
footer { margin-top: 36px; color: var(--muted); font-size: .85em; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav, details { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table { break-inside: auto; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  .cols { display: block; }
  a { color: inherit; text-decoration: none; }
}
@page { margin: 14mm 12mm; }
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="reesim {{ version }}">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
{% if lead %}<p class="lead">{{ lead }}</p>{% endif %}
<nav>{% for id, name in sections %}<a href="#{{ id }}">{{ name }}</a>{% endfor %}</nav>
</header>
{{ body }}
<footer>Made by reesim {{ version }} on {{ created }}. Numbers are means over replications with
95% confidence intervals unless marked otherwise; bands in charts are the 5th–95th percentiles
of the replications.</footer>
</body>
</html>
"""

SECTION = """
<section id="{{ id }}">
<h2>{{ name }}</h2>
{{ content }}
</section>
"""


@dataclass(frozen=True)
class Section:
    id: str
    name: str
    html: str


def _env() -> Any:
    from jinja2 import Environment

    return Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)


def _markup(text: str) -> Any:
    from markupsafe import Markup

    return Markup(text)


def _esc(text: object) -> str:
    from markupsafe import escape

    return str(escape(str(text)))


def page(title: str, lead: str, sections: Sequence[Section]) -> str:
    """A whole HTML document with the given sections."""
    env = _env()
    section = env.from_string(SECTION)
    body = "\n".join(
        section.render(id=s.id, name=s.name, content=_markup(s.html)) for s in sections
    )
    page_html: str = env.from_string(TEMPLATE).render(
        title=title,
        lead=lead,
        css=_markup(CSS),
        sections=[(s.id, s.name) for s in sections],
        body=_markup(body),
        version=__version__,
        created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    return page_html


# --- charts ------------------------------------------------------------------------------------

_PROLOGUE = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<metadata>.*?</metadata>", re.S)
_ID_USE = re.compile(r'(id="|url\(#|href="#)([^")]+)')
_ROOT_SIZE = re.compile(r'(<svg\b[^>]*?)\s(?:width|height)="[^"]*"')


def inline_svg(svg: str, prefix: str) -> str:
    """SVG text ready to sit inside HTML: no prologue or metadata, ids made unique with
    `prefix` (and numbered where several elements share one), and no fixed size on the root so
    it scales to the page. References (``url(#…)``, ``href="#…"``) point to the first."""
    text = _PROLOGUE.sub("", svg).strip()
    ids = set(re.findall(r'\bid="([^"]+)"', text))
    seen: Counter[str] = Counter()

    def rename(m: re.Match[str]) -> str:
        if m[2] not in ids:
            return m[0]
        if m[1] != 'id="':
            return f"{m[1]}{prefix}-{m[2]}"
        # Artists sharing a gid (the spans of one shading) would share an id: number them.
        seen[m[2]] += 1
        n = seen[m[2]]
        return f"{m[1]}{prefix}-{m[2]}" + (f"-{n}" if n > 1 else "")

    text = _ID_USE.sub(rename, text)
    for _ in range(2):
        text = _ROOT_SIZE.sub(r"\1", text, count=1)
    return text


def figures_html(charts: Sequence[plots.Chart], captions: dict[str, str] | None = None) -> str:
    parts = []
    for i, chart in enumerate(charts):
        svg = inline_svg(plots.to_svg(chart.figure), f"c{i}")
        caption = (captions or {}).get(chart.slug.split("-")[0], "")
        parts.append(
            f'<figure id="fig-{_esc(chart.slug)}" data-chart="{_esc(chart.slug)}">{svg}'
            f"<figcaption><strong>{_esc(chart.title)}.</strong> {_esc(caption)}</figcaption>"
            "</figure>"
        )
    return "\n".join(parts)


CAPTIONS = {
    "cover": "Days of production the firm's stock would last, at each month's end: median line, "
    "p5–p95 band over replications. Shading: share of the month the firm was stopped, "
    "averaged over replications (darker is more). Dashed lines: the scenario's policy events.",
    "exports": "Licensed exports shipped per month by destination (mean, p5–p95 band); smuggled "
    "material that arrived and material seized, by month of arrival.",
    "pipeline": "Applications of the modelled firms filed and decided per month (means) and "
    "applications pending with the authority at each month's end (all applicants). Right: "
    "each firm's mean wait from first filing to approval in each replication, against the "
    "45-working-day statutory review period (about 63 calendar days).",
    "lost": "Production lost per firm: bar and black interval are the mean and its 95% "
    "confidence interval; the grey line spans the 5th–95th percentiles of the replications.",
    "forest": "Difference of each KPI against the baseline (first result) with its 95% "
    "interval: paired replication by replication when the results share seed and replications "
    "(common random numbers), otherwise Welch's interval.",
    "compare": "The same chart for each result, overlaid.",
    "sweep": "Each point is one design point: KPI mean with its 95% interval, against one factor "
    "(the other factors vary between points).",
    "heatmap": "KPI mean over two factors, averaged over the other factors (sampled designs "
    "binned).",
    "sobol": "First-order (S1) and total (ST) Sobol indices with confidence intervals: the share "
    "of the KPI's variance due to each factor alone, and with its interactions.",
}


# --- tables ------------------------------------------------------------------------------------


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], num_from: int = 99) -> str:
    """A table from already-escaped cells; columns from `num_from` on are right-aligned."""
    th = "".join(
        f'<th class="num">{h}</th>' if i >= num_from else f"<th>{h}</th>"
        for i, h in enumerate(head)
    )
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{c}</td>' if i >= num_from else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


KEY_MEASURES = (
    ("stockout_probability", "P(stockout)"),
    ("production_lost_pct", "production lost, %"),
    ("stockout_days", "days stopped"),
    ("first_stockout_day", "first stop, day"),
    ("licence_wait_days", "licence wait, d"),
)


def key_results_html(result: RunResult) -> str:
    """One row per firm with the KPIs people ask first (mean ± 95% CI)."""
    firms = list(
        dict.fromkeys(k.group for k in result.kpis.values() if k.group.startswith("firms."))
    )
    if not firms:
        return '<p class="muted">No firm KPIs.</p>'
    measures = [(m, h) for m, h in KEY_MEASURES if f"{firms[0]}.{m}" in result.kpis]
    rows = []
    for group in firms:
        fid = group.split(".", 1)[1]
        cells = [f"<code>{_esc(fid)}</code>", _esc(plots.firm_title(result, fid).split(" — ")[0])]
        for m, _ in measures:
            k = result.kpis.get(f"{group}.{m}")
            cells.append(_esc(mean_ci(k)) if k is not None else "–")
        rows.append(cells)
    return _table(["firm", "name"] + [_esc(h) for _, h in measures], rows, num_from=2)


def kpi_table_html(result: RunResult) -> str:
    """Every KPI with mean ± 95% CI and percentiles, grouped by firm, material and authority."""
    head = ["KPI", "unit", "mean, 95% CI", "p5", "p50", "p95", "n"]
    th = "".join(f'<th class="{"num" if i >= 2 else ""}">{h}</th>' for i, h in enumerate(head))
    rows, group = [], None
    for k in result.kpis.values():
        if k.group != group:
            group = k.group
            rows.append(f'<tr class="group"><td colspan="7">{_esc(group)}</td></tr>')
        s = k.summary
        cells = [f'<td class="num">{_esc(mean_ci(k))}</td>']
        for q, value in (("p5", s.p5), ("p50", s.p50), ("p95", s.p95)):
            lo, hi = s.percentile_ci.get(q, (math.nan, math.nan))
            ci = "" if s.n == 0 else f'<br><span class="ci">{_esc(interval(lo, hi))}</span>'
            cells.append(f'<td class="num">{_esc(fmt(value))}{ci}</td>')
        cells.append(f'<td class="num">{s.n}</td>')
        rows.append(
            f'<tr><td class="kpi">{_esc(k.measure)}</td><td class="unit">{_esc(k.unit)}</td>'
            + "".join(cells)
            + "</tr>"
        )
    note = (
        '<p class="note">Means: 95% Wilson intervals for 0/1 KPIs (probabilities), Student-t '
        "inside each KPI's possible range otherwise (from the bound when no replication left "
        "it). Percentiles: distribution-free 95% intervals from order statistics below each "
        "value (– where too few replications allow one, or the KPI's bound).</p>"
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}"


def interval(lo: float, hi: float) -> str:
    if math.isnan(lo) and math.isnan(hi):
        return "–"
    a, b = ("–" if math.isnan(v) else fmt(v) for v in (lo, hi))
    return f"[{a}; {b}]" if "," in a + b else f"[{a}, {b}]"


def _short(value: Any, limit: int = 90) -> str:
    """A parameter value on one line: mappings as ``k: v``, lists comma-separated."""
    if isinstance(value, dict):
        text = ", ".join(f"{k}: {_short(v, limit)}" for k, v in value.items())
        text = "{" + text + "}"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        text = "[" + ", ".join(_short(v, limit) for v in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field(mapping: object, key: str) -> object:
    """`mapping[key]` if `mapping` is a mapping that has it, else "" (a result read from a file
    may hold anything in its inputs)."""
    return mapping.get(key, "") if isinstance(mapping, dict) else ""


def scenario_html(result: RunResult) -> str:
    """What was simulated: period, materials, authority, firms, timeline, overrides."""
    inputs, p = result.inputs, result.provenance
    facts = [
        ("scenario", f"<strong>{_esc(p.scenario_name)}</strong>"),
        ("period", _esc(f"{plots.start_date(result)} to {plots.end_date(result)} (exclusive)")),
    ]
    if inputs.get("calendar"):
        facts.append(("calendar", _esc(inputs["calendar"])))
    if isinstance(inputs.get("materials"), dict | list) and inputs["materials"]:
        facts.append(("materials", _esc(", ".join(map(str, inputs["materials"])))))
    authority = inputs.get("authority") or {}
    if isinstance(authority, dict):
        for key in ("controls", "review", "outcomes"):
            if key in authority:
                facts.append((f"authority {key}", f"<code>{_esc(_short(authority[key]))}</code>"))
    if p.overrides:
        facts.append(
            ("--set", "<br>".join(f"<code>{_esc(o)}</code>" for o in p.overrides)),
        )
    parts = [_table(["", ""], facts)]
    firms = inputs.get("firms") or {}
    if isinstance(firms, dict) and firms:
        rows = []
        for fid, f in firms.items():
            f = f if isinstance(f, dict) else {}
            rows.append(
                [
                    f"<code>{_esc(fid)}</code>",
                    _esc(f.get("name", "")),
                    _esc(f.get("country", "")),
                    _esc(_short(f.get("production", ""), 40)),
                    _esc(_short(f.get("stockpile", ""), 50)),
                    _esc(_short(_field(f.get("ordering"), "policy"), 30)),
                ]
            )
        parts.append("<h3>Firms</h3>")
        parts.append(_table(["id", "name", "country", "production", "stockpile", "ordering"], rows))
    parts.append("<h3>Timeline</h3>")
    parts.append(timeline_html(result))
    if inputs:
        parts.append(
            "<details><summary>All inputs (resolved, after --set)</summary>"
            f"<pre>{_esc(json.dumps(inputs, indent=2, ensure_ascii=False))}</pre></details>"
        )
    return "\n".join(parts)


def timeline_html(result: RunResult) -> str:
    if not result.timeline:
        return '<p class="muted">No policy events.</p>'
    rows = [
        [_esc(e.date), f"{e.day:g}", _esc(e.name), f'<span class="muted">{_esc(e.source)}</span>']
        for e in result.timeline
    ]
    return _table(["date", "day", "event", "source"], rows).replace(
        "<tr><td>", '<tr><td class="date">'
    )


def provenance_html(result: RunResult) -> str:
    p = result.provenance
    events = result.events_per_replication
    reps = p.replications
    rep_text = f"{len(reps)}" + (
        f" (indices {reps[0]}–{reps[-1]})"
        if len(reps) > 1
        else f" (index {reps[0]})"
        if reps
        else ""
    )
    rows = [
        ("scenario file", f"<code>{_esc(p.scenario_path)}</code>"),
        ("scenario sha256", f"<code>{_esc(p.scenario_sha256)}</code>"),
        ("overrides", _esc(" ".join(p.overrides) or "none")),
        ("root seed", _esc(p.root_seed)),
        ("replications", _esc(rep_text)),
        ("reesim version", _esc(p.reesim_version)),
        ("run at", _esc(p.created_utc)),
        ("wall time", _esc(f"{p.wall_time_s:.2f} s")),
        (
            "events per replication",
            _esc(f"{sum(events) / len(events):,.0f}" if events else "–"),
        ),
    ]
    return _table(["", ""], rows)


# --- reports -----------------------------------------------------------------------------------


def result_report(result: RunResult) -> str:
    """The report of one result."""
    p = result.provenance
    charts = plots.result_charts(result)
    sections = [
        Section("scenario", "Scenario", scenario_html(result)),
        Section("key-results", "Key results", key_results_html(result)),
        Section("charts", "Charts", figures_html(charts, CAPTIONS)),
        Section("kpis", "All KPIs", kpi_table_html(result)),
        Section("provenance", "Provenance", provenance_html(result)),
    ]
    description = str(result.inputs.get("description") or "")
    lead = (
        f"{description} {counted(len(p.replications), 'replication')}, root seed {p.root_seed}, "
        f"reesim {p.reesim_version}."
    ).strip()
    return page(f"reesim: {p.scenario_name}", lead, sections)


def labels(results: Sequence[RunResult], names: Sequence[str] = ()) -> list[str]:
    """A distinct label per result: the scenario name, with the file name when names repeat."""
    base = [r.provenance.scenario_name for r in results]
    out = []
    for i, label in enumerate(base):
        if base.count(label) > 1:
            label = f"{label} ({Path(names[i]).stem})" if i < len(names) else f"{label} #{i + 1}"
        out.append(label)
    return [lab if out.count(lab) == 1 else f"{lab} #{i + 1}" for i, lab in enumerate(out)]


def comparison_table_html(runs: plots.Labelled) -> str:
    """Each KPI's mean ± 95% CI per result, and Δ against the first with its interval (red when
    the interval excludes zero), from `reesim.results.compare`."""
    (base_label, base), *others = runs
    comparisons = plots.deltas(runs)
    head = ["KPI", "unit", _esc(base_label)]
    for label, _ in others:
        head += [_esc(label), f"Δ ({comparisons[label].pairing.value}) [95% CI]"]
    th = "".join(f'<th class="{"num" if i >= 2 else ""}">{h}</th>' for i, h in enumerate(head))
    rows, group = [], None
    for k in base.kpis.values():
        if k.group != group:
            group = k.group
            rows.append(f'<tr class="group"><td colspan="{len(head)}">{_esc(group)}</td></tr>')
        cells = [f'<td class="kpi">{_esc(k.measure)}</td>', f'<td class="unit">{_esc(k.unit)}</td>']
        cells.append(f'<td class="num">{_esc(mean_ci(k))}</td>')
        for label, r in others:
            other: Kpi | None = r.kpis.get(k.name)
            row = comparisons[label].kpis.get(k.name)
            d = row.diff if row is not None else None
            if other is None or d is None:
                cells += ['<td class="num">–</td>', '<td class="num">–</td>']
                continue
            text = (
                "–"
                if math.isnan(d.delta)
                else f"{_signed(d.delta)} [{fmt(d.ci_low)}, {fmt(d.ci_high)}]"
            )
            cls = "num sig" if d.excludes_zero else "num"
            cells += [
                f'<td class="num">{_esc(mean_ci(other))}</td>',
                f'<td class="{cls}">{_esc(text)}</td>',
            ]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    notes = "".join(
        f"<li>{_esc(c.candidate)}: {_esc(c.pairing.value)}, {_esc(c.reason)}</li>"
        for c in comparisons.values()
    )
    return (
        f'<ul class="muted">{notes}</ul>'
        f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _signed(x: float) -> str:
    return ("+" if x > 0 else "") + fmt(x)


def comparison_report(runs: plots.Labelled, patterns: Sequence[str] = plots.DEFAULT_FOREST) -> str:
    """Several results side by side; the first is the baseline of every Δ."""
    n = len(runs)
    columns = "".join(f"<div><h3>{_esc(label)}</h3>{scenario_html(r)}</div>" for label, r in runs)
    provenance = "".join(
        f"<div><h3>{_esc(label)}</h3>{provenance_html(r)}</div>" for label, r in runs
    )
    charts = plots.comparison_charts(runs, patterns)
    sections = [
        Section("scenarios", "Scenarios", f'<div class="cols" style="--n: {n}">{columns}</div>'),
        Section("kpis", "KPIs", comparison_table_html(runs)),
        Section("charts", "Charts", figures_html(charts, CAPTIONS)),
        Section(
            "provenance", "Provenance", f'<div class="cols" style="--n: {n}">{provenance}</div>'
        ),
    ]
    names = ", ".join(label for label, _ in runs)
    lead = f"{n} results compared against the first ({runs[0][0]}): {names}."
    return page("reesim: comparison", lead, sections)


def sweep_report(sweep: SweepSummary, patterns: Sequence[str] = ()) -> str:
    """A sweep directory: its base scenario with the overrides every point shares, the design,
    the design points at both ends of the first chosen KPI with every chosen KPI beside them,
    the Sobol indices, and the sweep charts."""
    kpis = plots.sweep_kpis(sweep, patterns)
    sections = [Section("sweep", "Sweep", _sweep_html(sweep))]
    if kpis:
        sections.append(
            Section("points", f"Points by {kpis[0]}", _points_html(sweep, kpis[0], kpis))
        )
    if sweep.sensitivity:
        rows = [
            [
                f"<code>{_esc(s.kpi)}</code>",
                f"<code>{_esc(s.factor)}</code>",
                _esc(f"{fmt(s.s1)} ± {fmt(s.s1_conf)}"),
                _esc(f"{fmt(s.st)} ± {fmt(s.st_conf)}"),
            ]
            for s in sorted(
                sweep.sensitivity,
                key=lambda s: (s.kpi, -s.st if not math.isnan(s.st) else math.inf),
            )
        ]
        sections.append(
            Section(
                "sensitivity",
                "Sensitivity (Sobol indices)",
                _table(["KPI", "factor", "first order S1", "total ST"], rows, num_from=2),
            )
        )
    charts = plots.sweep_charts(sweep, patterns)
    sections.append(Section("charts", "Charts", figures_html(charts, CAPTIONS)))
    name = sweep.name or Path(sweep.path).name
    return page(f"reesim sweep: {name}", f"Sweep directory {sweep.path}.", sections)


def _sweep_html(sweep: SweepSummary) -> str:
    """The base scenario (path, name, SHA-256), its `set:` overrides, the command or file that
    made the sweep, and the design: what every point shares, then what varies."""
    m = sweep.manifest
    scenario = _mapping(m.get("scenario"))
    made = _mapping(m.get("sweep"))
    spec = _mapping(made.get("spec"))
    overrides = spec.get("set") or []
    if isinstance(overrides, dict):
        overrides = [f"{k}={v}" for k, v in overrides.items()]
    rows: list[tuple[str, str]] = [
        ("base scenario", f"<code>{_esc(scenario.get('path', ''))}</code>"),
        ("scenario name", _esc(scenario.get("name", ""))),
        ("scenario sha256", f"<code>{_esc(scenario.get('sha256', ''))}</code>"),
        (
            "overrides of every point (set)",
            "<br>".join(f"<code>{_esc(o)}</code>" for o in overrides) or "none",
        ),
        ("made by", f"<code>{_esc(made.get('text', ''))}</code>"),
        ("design", _esc(spec.get("design", ""))),
        ("factors", "<br>".join(f"<code>{_esc(f)}</code>" for f in sweep.factors)),
        ("points", _esc(len(sweep.points))),
    ]
    rows += [
        (_esc(k), _esc(_short(v)))
        for k, v in m.items()
        if isinstance(v, str | int | float | bool) and k not in ("fingerprint",)
    ]
    return _table(["", ""], rows)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _points_html(
    sweep: SweepSummary, kpi: str, kpis: Sequence[str] = (), each_end: int = 10
) -> str:
    """Points ordered by `kpi`'s mean (both ends when there are many), with the mean and 95%
    interval of every KPI in `kpis` (units in the headers)."""
    shown_kpis = list(dict.fromkeys([kpi, *kpis]))
    mean = sweep.values(kpi)
    order = sorted(range(len(mean)), key=lambda i: (math.isnan(mean[i]), mean[i]))
    shown = order if len(order) <= 2 * each_end else order[:each_end] + order[-each_end:]
    rows = []
    for i in shown:
        p = sweep.points[i]
        cells = [_esc(p.factors[f]) for f in sweep.factors]
        for k in shown_kpis:
            st = p.stats.get(k, {})
            lo, hi = st.get("ci_low", math.nan), st.get("ci_high", math.nan)
            cells.append(_esc(f"{fmt(st.get('mean', math.nan))} [{fmt(lo)}, {fmt(hi)}]"))
        rows.append(cells)
    head = [f"<code>{_esc(f)}</code>" for f in sweep.factors] + [
        f"<code>{_esc(k)}</code> ({_esc(kpi_unit(k))}) mean [95% CI]" for k in shown_kpis
    ]
    note = (
        f'<p class="muted">The {each_end} lowest and {each_end} highest of {len(order)} points.</p>'
        if len(shown) < len(order)
        else ""
    )
    return note + _table(head, rows, num_from=len(sweep.factors))


def write_report(html: str, path: str | Path) -> None:
    """Write the report atomically, with an ordinary file's permissions."""
    atomic_write_text(path, html)
