"""Writing fitted values into a copy of a scenario file, keeping everything else as written.

Each value is replaced where it stands in the text (found from the parsed document's positions),
and a comment line above it says what it was and where the new value comes from; the rest of
the file (its layout, its comments, its sources) is untouched. The result is loaded again before
it is written, so a calibrated file is always a valid scenario.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reesim.scenario.load import load_text
from reesim.scenario.paths import parse_dotted
from reesim.scenario.yamlsource import Document

_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"\\]|\\.)*\"")


@dataclass(frozen=True)
class Edit:
    path: str
    value: str
    """The new value as YAML flow text."""
    comment: str


def rewrite(text: str, doc: Document, edits: Sequence[Edit]) -> str:
    lines = text.splitlines(keepends=True)
    placed = []
    for e in edits:
        mark = doc.marks.get(parse_dotted(e.path))
        if mark is None:
            raise ValueError(f"expected {e.path} written in {doc.source}, got no value there")
        placed.append((mark.line, mark.col, e))
    # Right to left within a line, bottom to top: earlier positions stay valid.
    for line, col, e in sorted(placed, key=lambda t: (-t[0], -t[1])):
        row = lines[line - 1]
        start = col - 1
        end = _scalar_end(row, start)
        old = row[start:end]
        lines[line - 1] = row[:start] + e.value + row[end:]
        indent = re.match(r"\s*", row).group(0)  # type: ignore[union-attr]
        lines.insert(line - 1, f"{indent}# {e.comment}; was {old}\n")
    out = "".join(lines)
    load_text(out, doc.source)  # a ScenarioError here is a bug in the edit, not in the input
    return out


def _scalar_end(row: str, start: int) -> int:
    quoted = _QUOTED.match(row, start)
    if quoted:
        return quoted.end()
    end = len(row.rstrip("\r\n"))
    for stop in (",", "}", "]", " #"):
        at = row.find(stop, start)
        if at != -1:
            end = min(end, at)
    return len(row[:end].rstrip())
