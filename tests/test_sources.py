"""docs/sources.md is where the repository's sourced facts live, and citations of it are sound.

Scenario files and docs once cited a research file kept outside the repository, which users never
see. These tests keep the repository standing alone: nothing cites that file any more (except the
files listed in LEFTOVER_LINES, none today), every
`sources §N` names a section of docs/sources.md, and every fact line there carries a source and a
confidence mark.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "docs" / "sources.md"
THIS_FILE = "tests/test_sources.py"

# A citation of the old research file, in any of the forms the repository used.
OLD_CITATION = re.compile(r"shared/domain|facts\.md|facts file|\bfacts[\s#]*§")
# "sources §5", also when a YAML comment wraps between the word and the section ("sources\n# §5").
CITATION = re.compile(r"\bsources[\s#]*§\s*(\d+)")
LINK = re.compile(r"\bsources\.md#([\w-]+)")

SECTION_TITLES = [
    "Controls and timeline",
    "Licence process",
    "Smuggling and enforcement",
    "Buyers' inventories and intensity of use",
    "Market size and shares",
    "Prices",
    "Supply outside China",
]
MARKS = {"H", "M", "L", "H/M", "L–M", "derived"}
FACT_LINE = re.compile(r"^- (?P<fact>.+?) Source: (?P<source>[^*]+?)\. \*\*(?P<mark>[^*]+)\*\*$")

# Files allowed to keep old citations, with the number of lines holding them: none any more.
# (A count that no longer matches fails, so an entry can never go stale.)
LEFTOVER_LINES: dict[str, int] = {}
YAML_SOURCE_VALUE = re.compile(r"^\s*(- )?source: [^#]*$")


def tracked_text_files() -> dict[str, str]:
    """Every file git tracks (except this one), as text; binary files decode to noise harmlessly."""
    names = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
    ).stdout.split("\0")
    return {
        name: (ROOT / name).read_text(encoding="utf-8", errors="ignore")
        for name in names
        if name and name != THIS_FILE and (ROOT / name).is_file()
    }


def line_of(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return text[start : end if end >= 0 else len(text)]


def sections() -> dict[int, list[str]]:
    """docs/sources.md's numbered sections: number -> body lines (anchor and heading checked)."""
    lines = SOURCES.read_text(encoding="utf-8").splitlines()
    found: dict[int, list[str]] = {}
    current: list[str] | None = None
    for i, line in enumerate(lines):
        heading = re.match(r"^## §(\d+) (.+)$", line)
        if heading:
            number = int(heading.group(1))
            assert lines[i - 1] == f'<a id="s{number}"></a>', f"§{number} lacks its anchor line"
            assert heading.group(2) == SECTION_TITLES[number - 1], line
            current = found.setdefault(number, [])
        elif line.startswith(("#", "<a id=")):
            current = None
        elif current is not None:
            current.append(line)
    return found


def test_nothing_cites_the_research_file_outside_the_repository() -> None:
    offending: set[str] = set()
    leftovers: dict[str, set[int]] = {}
    for name, text in tracked_text_files().items():
        for match in OLD_CITATION.finditer(text):
            line = line_of(text, match.start())
            number = text.count("\n", 0, match.start()) + 1
            leftover = name in LEFTOVER_LINES and (
                not name.endswith(".yaml") or YAML_SOURCE_VALUE.match(line) is not None
            )
            if leftover:
                leftovers.setdefault(name, set()).add(number)
            else:
                offending.add(f"{name}:{number}: {line.strip()}")
    assert sorted(offending) == [], "cite docs/sources.md instead"
    assert {name: len(numbers) for name, numbers in leftovers.items()} == LEFTOVER_LINES


def test_every_citation_names_a_section_of_sources_md() -> None:
    numbers = set(sections())
    anchors = {f"s{n}" for n in numbers}
    cited: set[str] = set()
    dangling: list[str] = []
    for name, text in tracked_text_files().items():
        for match in CITATION.finditer(text):
            cited.add(name)
            if int(match.group(1)) not in numbers:
                dangling.append(f"{name}: {match.group(0)!r}")
        for match in LINK.finditer(text):
            if match.group(1) not in anchors:
                dangling.append(f"{name}: link to #{match.group(1)}")
    assert dangling == []
    # The citations are really there (a regex that matched nothing would pass the check above).
    assert {"scenarios/controls-2025.yaml", "scenarios/replay-2025.yaml", "docs/model.md"} <= cited


def test_sources_md_has_the_seven_sections_and_a_source_and_mark_on_every_fact() -> None:
    found = sections()
    assert sorted(found) == list(range(1, len(SECTION_TITLES) + 1))
    problems: list[str] = []
    for number, body in found.items():
        facts = [line for line in body if line.startswith("- ")]
        if not facts:
            problems.append(f"§{number} has no facts")
        for line in body:
            if not line or line.startswith("Not published: "):
                continue
            match = FACT_LINE.match(line)
            if match is None:
                problems.append(f"§{number}: not a fact line ending 'Source: ... **mark**': {line}")
            elif match.group("mark") not in MARKS:
                problems.append(f"§{number}: unknown mark {match.group('mark')!r}: {line}")
    assert problems == [], "\n".join(problems)


def test_the_header_explains_every_mark_and_derived() -> None:
    header = SOURCES.read_text(encoding="utf-8").split('<a id="s1">')[0]
    for mark in MARKS:
        assert f"**{mark}**" in header, mark
    assert "arithmetic on sourced figures" in header
