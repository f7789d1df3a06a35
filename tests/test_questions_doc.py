"""docs/questions.md is executed: each `$ reesim …` line runs in order and exits 0, and where the
page shows output it is exactly what the command prints."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from reesim.cli.main import main
from tests.docpages import paste

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs" / "questions.md").read_text()
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def test_page_is_linked_from_the_readme() -> None:
    assert "docs/questions.md" in (ROOT / "README.md").read_text()


def test_every_example_runs_and_prints_what_the_page_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("scenarios", "examples"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    blocks = [body.splitlines() for body in BLOCK.findall(PAGE)]
    assert len(blocks) >= 5
    for lines in blocks:
        assert lines[0].startswith("$ reesim "), lines[0]
        assert main(shlex.split(lines[0][len("$ reesim ") :])) == 0, lines[0]
        out = capsys.readouterr().out
        if len(lines) > 1:
            printed = [line.rstrip() for line in out.rstrip().splitlines()]
            if printed != lines[1:]:
                paste(ROOT / "docs" / "questions.md", lines[0], lines[1:], printed)
            assert printed == lines[1:], f"{lines[0]} (REESIM_UPDATE_DOCS=1 pastes the new output)"
    assert (tmp_path / "out" / "calibrated.yaml").is_file()
    assert (
        "firms.importer.stockpile.ndfeb_magnet" in (tmp_path / "out" / "discovery.html").read_text()
    )
