"""Writing charts out: `save` to a PNG or SVG file, `to_svg` as text for inline HTML."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reesim.files import atomic_write_bytes
from reesim.report.plots import fonts
from reesim.report.plots.common import Chart, _slug

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def file_names(charts: Sequence[Chart], fmt: str = "png") -> list[str]:
    """One file name per chart, ``<slug>.<fmt>``, never the same twice even on a file system
    that ignores case (``cover-Tesla`` and ``cover-tesla``): a later chart whose name is taken
    gets a number."""
    names: list[str] = []
    taken: set[str] = set()
    for chart in charts:
        stem = _slug(chart.slug)
        name, n = f"{stem}.{fmt}", 1
        while name.lower() in taken:
            n += 1
            name = f"{stem}-{n}.{fmt}"
        taken.add(name.lower())
        names.append(name)
    return names


def save(chart: Chart, directory: str | Path, fmt: str = "png", name: str = "") -> Path:
    """Write a chart atomically as `name` (default ``<slug>.<fmt>``) into `directory`; returns
    the path. FileProblem if it cannot be written."""
    out = Path(directory) / (name or f"{_slug(chart.slug)}.{fmt}")
    buf = io.BytesIO()
    fonts.prepare(chart.figure, glyphs=True)  # PNG and path-SVG draw glyphs from our fonts
    chart.figure.savefig(buf, format=fmt, dpi=110 if fmt == "png" else 72)
    atomic_write_bytes(out, buf.getvalue())
    return out


def save_all(charts: Sequence[Chart], directory: str | Path, fmt: str = "png") -> list[Path]:
    """Write every chart into `directory`, each under its own name (`file_names`)."""
    return [
        save(chart, directory, fmt, name)
        for chart, name in zip(charts, file_names(charts, fmt), strict=True)
    ]


def to_svg(figure: Figure) -> str:
    """The figure as SVG text: real text (searchable, small), fixed ids, no metadata."""
    import matplotlib

    buf = io.StringIO()
    fonts.prepare(figure, glyphs=False)
    with (
        matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "reesim"}),
        fonts.text_kept(),
    ):
        figure.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def save_file(figure: Figure, path: str | Path) -> Path:
    """Write a figure to `path` atomically, as PNG or SVG by its suffix."""
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise ValueError(f"expected a chart file ending in .png or .svg, got {str(path)!r}")
    if fmt == "svg":
        data = to_svg(figure).encode("utf-8")
    else:
        buf = io.BytesIO()
        fonts.prepare(figure, glyphs=True)
        figure.savefig(buf, format="png", dpi=110)
        data = buf.getvalue()
    atomic_write_bytes(target, data)
    return target
