"""Writing charts out: `save` to a PNG or SVG file, `to_svg` as text for inline HTML."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reesim.report.plots.common import Chart, _slug

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def save(chart: Chart, directory: str | Path, fmt: str = "png") -> Path:
    """Write a chart as ``<slug>.<fmt>`` into `directory`; returns the path."""
    out = Path(directory) / f"{_slug(chart.slug)}.{fmt}"
    out.parent.mkdir(parents=True, exist_ok=True)
    chart.figure.savefig(out, format=fmt, dpi=110 if fmt == "png" else 72)
    return out


def to_svg(figure: Figure) -> str:
    """The figure as SVG text: real text (searchable, small), fixed ids, no metadata."""
    import io

    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "reesim"}):
        figure.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def save_file(figure: Figure, path: str | Path) -> Path:
    """Write a figure to `path` atomically, as PNG or SVG by its suffix."""
    import io

    from reesim.results.io import atomic_write_bytes

    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise ValueError(f"expected a chart file ending in .png or .svg, got {str(path)!r}")
    if fmt == "svg":
        data = to_svg(figure).encode("utf-8")
    else:
        buf = io.BytesIO()
        figure.savefig(buf, format="png", dpi=110)
        data = buf.getvalue()
    atomic_write_bytes(target, data)
    return target
