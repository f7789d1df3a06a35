"""Text in charts comes from scenarios (firm names, event names, KPI names) and must draw as
written, in any script, without warnings or errors.

Two things stand in the way. matplotlib reads text between two ``$`` as mathematics, so a name
like ``US$ 5 and $6`` is typeset wrongly and a malformed one raises; `prepare` turns that off for
every text of a figure. And the default font (DejaVu Sans) has no Chinese or Japanese glyphs:
`prepare` gives every text a list of fonts to fall back on, the usual CJK fonts where one is
installed, and where no installed font has a character, a PNG (or an SVG with glyphs drawn as
paths) shows its code point, ``<U+7279>``, rather than an empty box with a warning. SVG embedded
in HTML keeps the characters as text, which the reader's browser draws with its own fonts.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BASE_FONT = "DejaVu Sans"
FALLBACK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Arial Unicode MS",
)
"""Fonts with Chinese (and most Japanese) glyphs, tried in this order where installed."""


@functools.cache
def families() -> tuple[str, ...]:
    """The base font and the installed fallback fonts."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return (BASE_FONT, *(name for name in FALLBACK_FONTS if name in installed))


@functools.cache
def covered() -> frozenset[int]:
    """Code points that one of `families` has a glyph for."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    found: set[int] = set()
    for family in families():
        props = font_manager.FontProperties(family=family)
        try:
            path = font_manager.findfont(props, fallback_to_default=False)
        except ValueError:
            continue
        found.update(FT2Font(path).get_charmap())
    return frozenset(found)


def drawable(text: str) -> str:
    """`text` with each character no installed font can draw written as ``<U+XXXX>``."""
    have = covered()
    return "".join(c if c.isspace() or ord(c) in have else f"<U+{ord(c):04X}>" for c in text)


def prepare(figure: Figure, *, glyphs: bool) -> None:
    """Make every text of `figure` plain (no mathtext) and give it the fallback fonts; with
    `glyphs` (raster or path output), replace characters no font can draw."""
    from matplotlib.text import Text

    if glyphs:
        for ax in figure.axes:
            for axis in (ax.xaxis, ax.yaxis):
                # Tick labels are made afresh at each draw (a categorical axis of firm names):
                # their formatter must give drawable text.
                inner = axis.get_major_formatter()
                if not getattr(inner, "drawable", False):
                    axis.set_major_formatter(_drawable_formatter()(inner))
    for text in figure.findobj(Text):
        text.set_parse_math(False)
        text.set_fontfamily(list(families()))
        if glyphs:
            shown = text.get_text()
            safe = drawable(shown)
            if safe != shown:
                text.set_text(safe)


@contextmanager
def text_kept() -> Iterator[None]:
    """While laying out SVG whose text the browser draws: matplotlib's own fonts may lack a
    glyph the browser has, so its warning about the missing glyph says nothing about the output."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"Glyph \d+ .*missing from font", category=UserWarning
        )
        yield


@functools.cache
def _drawable_formatter() -> Any:
    """The class of a formatter giving another formatter's labels, made `drawable` (defined on
    first use: matplotlib is imported only by commands that draw)."""
    from matplotlib.ticker import Formatter

    class DrawableFormatter(Formatter):
        drawable = True

        def __init__(self, inner: Formatter):
            self.inner = inner

        def set_axis(self, axis: Any) -> None:
            super().set_axis(axis)
            self.inner.set_axis(axis)

        def __call__(self, x: float, pos: int | None = None) -> str:
            return drawable(self.inner(x, pos))

        def format_ticks(self, values: list[float]) -> list[str]:
            return [drawable(str(v)) for v in self.inner.format_ticks(values)]

        def format_data_short(self, value: float) -> str:
            return drawable(self.inner.format_data_short(value))

        def get_offset(self) -> str:
            return drawable(self.inner.get_offset())

        def set_locs(self, locs: list[float]) -> None:
            self.inner.set_locs(locs)

    return DrawableFormatter
