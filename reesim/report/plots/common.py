"""Shared by every chart: constants and colours, `Chart`, the time axis (months of a result as
dates) and drawing helpers (figures, axes styling, bands, events, legends)."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from reesim.results.months import month_start, next_month
from reesim.results.result import RunResult, Series, TimelineEntry

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CALENDAR_DAYS_PER_WORKING_DAY = 7.0 / 5.0
"""For marking a working-day limit on a calendar-day axis: 45 working days is about 63 calendar
days (9 weeks of 5 working days), before holidays."""

BAND_ALPHA = 0.22
EVENT_COLOR = "0.35"
STOP_COLOR = "#d62728"
COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
)
MORE_COLORS = (
    "#393b79",
    "#98df8a",
    "#ffbb78",
    "#aec7e8",
    "#c5b0d5",
    "#637939",
    "#c49c94",
    "#f7b6d2",
    "#9edae5",
    "#8c6d31",
    "#7b4173",
    "#dbdb8d",
)
"""After `COLORS`, for charts with more series: distinct from them and from `STOP_COLOR`."""


def palette(n: int) -> list[str]:
    """`n` colours, all distinct while `n` is at most 21 (then they repeat)."""
    colors = COLORS + MORE_COLORS
    return [colors[i % len(colors)] for i in range(n)]


DEFAULT_FOREST = (
    "firms.*.production_lost_pct",
    "firms.*.stockout_days",
    "firms.*.licence_wait_days",
)
"""KPIs of the forest plot when none are chosen: one panel per measure, one row per firm."""


@dataclass(frozen=True)
class Chart:
    """A named figure: `slug` makes its file name, `title` its caption."""

    slug: str
    title: str
    figure: Figure


Labelled = Sequence[tuple[str, RunResult]]
"""Results with the label each is shown under (the first is the baseline)."""


# --- time axis ---------------------------------------------------------------------------------


def _input_date(result: RunResult, key: str) -> date | None:
    """A date from the result's inputs, None when absent or not a date (a result read from a
    file may hold anything there)."""
    try:
        return date.fromisoformat(str(result.inputs[key])) if result.inputs.get(key) else None
    except ValueError:
        return None


def start_date(result: RunResult) -> date:
    start = _input_date(result, "start")
    if start:
        return start
    if result.timeline:
        e = result.timeline[0]
        return date.fromisoformat(e.date) - timedelta(days=e.day)
    return month_start(result.months[0])


def end_date(result: RunResult) -> date:
    """The day after the last simulated day."""
    start = start_date(result)
    end, horizon = _input_date(result, "end"), result.inputs.get("horizon")
    if end:
        return end + timedelta(days=1)
    if horizon is not None:
        from reesim.scenario.units import parse_duration

        try:
            return start + timedelta(days=math.ceil(parse_duration(horizon).calendar_days()))
        except (ValueError, OverflowError):
            pass
    return next_month(month_start(result.months[-1]))


def month_bounds(result: RunResult) -> list[tuple[date, date]]:
    """[start, end) of each month of the result, clipped to the simulated period."""
    start, end = start_date(result), end_date(result)
    out = []
    for label in result.months:
        first = month_start(label)
        out.append((max(start, first), min(end, next_month(first))))
    return out


def month_ends(result: RunResult) -> np.ndarray:
    """Where end-of-month levels (stock cover, pending applications) were sampled."""
    return _x([hi for _, hi in month_bounds(result)])


def day_ends(result: RunResult, days: int) -> np.ndarray:
    """The ends of the first `days` simulated days (where daily levels were sampled), as dates."""
    first = start_date(result)
    return _x([first + timedelta(days=i + 1) for i in range(days)])


def month_mids(result: RunResult) -> np.ndarray:
    """Where monthly flows are drawn."""
    return _x([lo + (hi - lo) / 2 for lo, hi in month_bounds(result)])


def _x(dates: Sequence[date]) -> np.ndarray:
    """Dates as x coordinates of series."""
    return np.array(dates, dtype="datetime64[D]")


def _xd(day: date) -> float:
    """A date as the x coordinate of a single artist (a line, a span, a label)."""
    import matplotlib.dates as mdates

    return float(mdates.date2num(day))


# --- drawing helpers ---------------------------------------------------------------------------


def _figure(
    width: float, height: float, nrows: int = 1, ncols: int = 1, **kw: Any
) -> tuple[Figure, Any]:
    """A constrained-layout figure and its (nrows x ncols) array of axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def _date_axis(ax: Axes) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=4, maxticks=14)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _style(ax: Axes) -> None:
    ax.grid(True, axis="y", color="0.88", lw=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _spread(values: Any) -> np.ndarray:
    """Error-bar lengths: non-negative and finite whatever the summaries say (a result read from
    a file may hold an interval that does not contain its mean)."""
    a = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)
    lengths: np.ndarray = np.clip(a, 0.0, None)
    return lengths


def _arr(values: Sequence[float]) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return np.where(np.isfinite(a), a, np.nan)


def _events(
    axes: Iterable[Axes],
    timeline: Sequence[TimelineEntry],
    label_on: Axes | None,
    span_days: float,
) -> None:
    """Policy events as dashed vertical lines; names written along the lines on `label_on`.

    A label goes to the right of its line, or to the left when the next event is too close, so
    two events a few days apart stay readable."""
    from matplotlib.transforms import blended_transform_factory

    events = sorted(timeline, key=lambda e: e.day)
    xs = [date.fromisoformat(e.date) for e in events]
    for ax in axes:
        for e, x in zip(events, xs, strict=True):
            ax.axvline(
                _xd(x), color=EVENT_COLOR, lw=0.9, ls=(0, (4, 2)), zorder=1, gid=f"event:{e.name}"
            )
    if label_on is None:
        return
    gap = max(1.0, 0.03 * span_days)
    trans = blended_transform_factory(label_on.transData, label_on.transAxes)
    for i, (e, x) in enumerate(zip(events, xs, strict=True)):
        close_next = i + 1 < len(xs) and (xs[i + 1] - x).days < gap
        label_on.text(
            _xd(x),
            0.98,
            f" {e.name} " if not close_next else f"{e.name}  ",
            transform=trans,
            rotation=90,
            va="top",
            ha="right" if close_next else "left",
            fontsize=7,
            color="0.2",
            gid="event-label",
            zorder=1.5,
            bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.75},
        )


def _span_days(result: RunResult) -> float:
    return float((end_date(result) - start_date(result)).days)


def _firms(result: RunResult) -> list[str]:
    return [s.name.split(".")[1] for s in result.series.values() if s.name.endswith(".cover_days")]


def firm_title(result: RunResult, firm: str) -> str:
    firms = result.inputs.get("firms")
    info = (firms.get(firm) if isinstance(firms, dict) else None) or {}
    name = info.get("name") if isinstance(info, dict) else None
    return f"{name} — {firm}" if name else firm


def _materials(result: RunResult) -> list[str]:
    return [s.name.split(".", 2)[2] for s in result.series.values() if _is_total(s)]


def _is_total(s: Series) -> bool:
    return s.name.startswith("exports.total.")


def _destinations(result: RunResult, material: str) -> list[str]:
    return [
        s.name.split(".")[1]
        for s in result.series.values()
        if s.name.startswith("exports.")
        and s.name.endswith(f".{material}")
        and not _is_total(s)
        and s.name.count(".") == 2
    ]


def _band(ax: Axes, x: np.ndarray, s: Series, color: str, label: str, **kw: Any) -> None:
    ax.fill_between(x, _arr(s.p5), _arr(s.p95), color=color, alpha=BAND_ALPHA, lw=0)
    ax.plot(x, _arr(s.mean), color=color, label=label, marker="o", ms=3, **kw)


def _legend(ax: Axes, **kw: Any) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize=7.5, frameon=False, **kw)


def _figure_legend(fig: Figure, axes: Iterable[Axes]) -> None:
    """One legend below the plots, clear of data and event labels; entries with the same label
    in several panels appear once."""
    entries: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    if entries:
        fig.legend(
            list(entries.values()),
            list(entries),
            loc="outside lower center",
            ncols=min(len(entries), 5),
            fontsize=8,
            frameon=False,
        )


def _slug(text: str) -> str:
    """`text` as a portable file name: runs of characters other than ASCII letters, digits, '_',
    '.' and '-' become '-', and then a short hash of `text` is added, so that two ids that differ
    only in such characters (two firm names in Chinese) never share a file."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")
    if safe == text:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"{safe}-{digest}" if safe else digest


# --- words on charts ----------------------------------------------------------------------------


def wrapped(text: str, width_in: float, fontsize: float = 11) -> str:
    """`text` broken onto lines that fit `width_in` inches at `fontsize` points: titles wrap,
    never run off the figure."""
    import textwrap

    chars = max(20, int(width_in * 72 / (fontsize * 0.6)))
    return "\n".join(textwrap.wrap(text, chars, break_on_hyphens=False)) or text


def kpi_label(name: str, unit: str = "") -> str:
    """A KPI for people: ``firms.ford.stockout_days`` -> ``ford: stockout days (d)``."""
    head, _, rest = name.partition(".")
    if head in ("firms", "materials") and "." in rest:
        owner, _, measure = rest.partition(".")
    else:
        owner, measure = head, rest or head
    text = f"{owner}: {measure.replace('_', ' ')}"
    return f"{text} ({unit})" if unit and unit != "count" else text


def path_label(path: str, unit: str = "") -> str:
    """A dotted parameter path for people: ``firms.tesla.stockpile.ndfeb_magnet`` -> ``tesla:
    stockpile ndfeb_magnet (d)``; ``authority.review.capacity`` -> ``review capacity``. Ids keep
    their underscores: they are names a reader looks up in the scenario."""
    parts = path.split(".")
    if parts[0] == "firms" and len(parts) > 2:
        text = f"{parts[1]}: {' '.join(parts[2:])}"
    elif parts[0] in ("authority", "smuggling") and len(parts) > 1:
        text = " ".join(parts[1:])
    else:
        text = " ".join(parts)
    return f"{text} ({unit})" if unit else text


class Thousands:
    """A tick formatter with thousands separators and as many decimals as the tick spacing
    needs, so neighbouring ticks never read the same (no ``0 0 0 0``)."""

    def __new__(cls) -> Any:
        from matplotlib.ticker import Formatter

        class _Thousands(Formatter):
            step = 1.0

            def format_ticks(self, values: Any) -> list[str]:
                ticks = np.sort(np.asarray([v for v in values if math.isfinite(v)], dtype=float))
                gaps = np.diff(ticks)
                self.step = float(gaps[gaps > 0].min()) if np.any(gaps > 0) else 1.0
                return [self(v, i) for i, v in enumerate(values)]

            def __call__(self, x: float, pos: int | None = None) -> str:
                decimals = max(0, -math.floor(math.log10(self.step))) if self.step < 1 else 0
                return f"{x:,.{decimals}f}"

        return _Thousands()


def statutory_limit_days(result: RunResult) -> tuple[float, str] | None:
    """The scenario's statutory limit for a licence decision, as calendar days on a chart's
    axis and as written (``45wd``); None when the scenario sets none."""
    from reesim.scenario.units import parse_duration

    authority = result.inputs.get("authority")
    review = (authority.get("review") if isinstance(authority, dict) else None) or {}
    written = review.get("statutory_limit") if isinstance(review, dict) else None
    if written is None:
        return None
    try:
        limit = parse_duration(written)
    except ValueError:
        return None
    if limit.is_working_days:
        return limit.value * CALENDAR_DAYS_PER_WORKING_DAY, str(limit)
    return limit.calendar_days(), str(limit)
