"""docs/python.md is a notebook that runs: each `python` block executes in turn in one
namespace, from a directory where the repository's paths resolve, and the `text` block marked
as its output must be exactly what it printed (REESIM_UPDATE_DOCS=1 pastes new output)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest

from tests.docpages import UPDATE

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs/python.md"
CELL = re.compile(
    r"<!-- python -->\n```python\n(.*?)```\n\n<!-- output -->\n```text\n(.*?)```", re.S
)


def cells() -> list[tuple[str, str]]:
    return CELL.findall(PAGE.read_text())


def test_every_python_block_is_a_cell_with_its_output() -> None:
    text = PAGE.read_text()
    assert len(re.findall(r"^```python$", text, re.M)) == len(cells()) >= 5


def test_the_page_runs_and_prints_what_it_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("scenarios", "sweeps"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    text = PAGE.read_text()
    changed = []
    for code, shown in cells():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(PAGE), "exec"), namespace)  # noqa: S102 - the page is ours
        printed = out.getvalue()
        if printed != shown:
            changed.append((code, shown, printed))
            block = f"```python\n{code}```\n\n<!-- output -->\n```text\n"
            text = text.replace(block + shown, block + printed)
    if changed and UPDATE:
        PAGE.write_text(text)
    assert not changed, (
        "docs/python.md no longer prints what it shows (REESIM_UPDATE_DOCS=1 pastes it):\n"
        + "\n".join(
            f"{code}--- shown\n{shown}--- printed\n{printed}" for code, shown, printed in changed
        )
    )


def test_the_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert blocks, "the README shows the Python API"
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    monkeypatch.chdir(tmp_path)
    for code in blocks:
        namespace: dict[str, Any] = {}
        exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README is ours
        assert namespace["result"].raw.provenance.overrides == ("authority.review.capacity=2",)
