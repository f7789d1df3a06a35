"""Charts of results, comparisons and sweeps: one function per chart, each returning a matplotlib
`Figure`.

matplotlib is imported inside the functions, so commands that draw nothing never pay for it, and
figures are made with `Figure()` directly rather than through pyplot: no global figure registry,
no interactive backend, nothing to close. Saving picks the renderer from the file type (Agg for
PNG, the SVG backend for SVG). Every artist a test or reader may look for carries a `gid`:
``event:<name>`` for a policy event's vertical line, ``event-label`` for its label, ``stopped``
and ``stopped-some`` for stockout shading, ``mark:<limit>`` (e.g. ``mark:45wd``) for the scenario's statutory-limit line, when it has one.

Flows (exports, filings, lost units) are summed per month; stock cover is drawn at every
day's end (`firms.<id>.cover_days_daily`), so a drawdown inside a month shows.

Comparisons take their differences from `reesim.results.compare`: paired replication by
replication when two results share root seed and replication indices (common random numbers),
Welch's interval otherwise.

Sweep charts take a `reesim.experiment.sweepsummary.SweepSummary`: the store reads a sweep
directory (`reesim.experiment.store.read_sweep`); nothing here reads files.
"""

from reesim.report.plots.common import (
    BAND_ALPHA,
    COLORS,
    DEFAULT_FOREST,
    EVENT_COLOR,
    STOP_COLOR,
    Chart,
    Labelled,
    end_date,
    firm_title,
    month_bounds,
    month_ends,
    month_mids,
    palette,
    start_date,
    statutory_limit_days,
)
from reesim.report.plots.compare import (
    compare_cover_chart,
    compare_exports_chart,
    compare_lost_production_chart,
    compare_pipeline_chart,
    comparison_charts,
    deltas,
    forest_chart,
)
from reesim.report.plots.output import file_names, save, save_all, to_svg
from reesim.report.plots.result import (
    PIPELINE,
    cover_chart,
    exports_chart,
    licence_waits,
    lost_production_chart,
    pipeline_chart,
    result_charts,
    stop_shares,
)
from reesim.report.plots.sweep import (
    factor_axis,
    sobol_chart,
    sweep_charts,
    sweep_factor_chart,
    sweep_heatmap,
    sweep_kpis,
)
from reesim.results.result import Series

__all__ = [
    "BAND_ALPHA",
    "COLORS",
    "DEFAULT_FOREST",
    "EVENT_COLOR",
    "PIPELINE",
    "STOP_COLOR",
    "Chart",
    "Labelled",
    "Series",
    "compare_cover_chart",
    "compare_exports_chart",
    "compare_lost_production_chart",
    "compare_pipeline_chart",
    "comparison_charts",
    "cover_chart",
    "deltas",
    "end_date",
    "exports_chart",
    "file_names",
    "factor_axis",
    "firm_title",
    "forest_chart",
    "licence_waits",
    "lost_production_chart",
    "month_bounds",
    "month_ends",
    "month_mids",
    "palette",
    "pipeline_chart",
    "result_charts",
    "save",
    "save_all",
    "sobol_chart",
    "start_date",
    "statutory_limit_days",
    "stop_shares",
    "sweep_charts",
    "sweep_factor_chart",
    "sweep_heatmap",
    "sweep_kpis",
    "to_svg",
]
