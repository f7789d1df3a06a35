"""The README's examples are executed: every `$ reesim …` line runs and exits 0, the worked
example's output is exactly what the command prints, and the error example is real."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from reesim.cli.main import main
from tests.docpages import paste

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCK = re.compile(r"(?:<!-- (README-[A-Z]+)[^>]*-->\n)?```console\n(.*?)```", re.S)
VARIABLE = re.compile(r"events per replication; .* s; scenario sha256|run now in [0-9.]+ s")
"""Lines whose wall time varies from run to run: left out of the comparison."""


def blocks() -> list[tuple[str | None, list[str]]]:
    return [(tag, body.splitlines()) for tag, body in BLOCK.findall(README)]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def comparable(lines: list[str]) -> list[str]:
    return [line.rstrip() for line in lines if not VARIABLE.search(line)]


def test_readme_has_the_setup_commands() -> None:
    assert "make run" in README and "make test" in README


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory for all blocks, in README order, so later commands find earlier output;
    the README's relative paths resolve there without writing into the repository."""
    path = tmp_path_factory.mktemp("readme")
    for name in ("scenarios", "sweeps", "examples"):
        (path / name).symlink_to(ROOT / name)
    return path


@pytest.mark.parametrize("index", range(len(blocks())))
def test_console_blocks(
    index: int,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tag, lines = blocks()[index]
    command = lines[0]
    assert command.startswith("$ reesim "), command
    argv = shlex.split(command[len("$ reesim ") :])
    if tag == "README-ERRORS":
        source = (ROOT / "scenarios/examples/licence-queue.yaml").read_text()
        broken = source.replace("    capacity: 3\n", "    capacty: 3\n").replace(
            "transit: 1w", "transit: -1w"
        )
        (tmp_path / "broken.yaml").write_text(broken)
        monkeypatch.chdir(tmp_path)
        code, _, err = run(argv, capsys)
        assert code == 2
        assert err.splitlines() == lines[1:]
        return
    monkeypatch.chdir(workdir)
    code, out, _ = run(argv, capsys)
    assert code == 0
    if tag == "README-OUTPUT":
        if comparable(out.splitlines()) != comparable(lines[1:]):
            paste(ROOT / "README.md", command, lines[1:], out.splitlines())
        assert comparable(out.splitlines()) == comparable(lines[1:]), (
            "the README's worked example no longer matches: rerun with REESIM_UPDATE_DOCS=1 "
            "to paste the new output, and check the text around it still says what it shows"
        )


def test_the_scenario_table_counts_each_files_uncertainties() -> None:
    # The counts drift as scenarios gain declared uncertainties: read them from the files.
    from reesim.scenario.load import load_scenario

    rows = re.findall(r"^\| `(scenarios/[\w.-]+\.yaml)` \|.*?(\d+) declared uncertainties", README, re.M)
    assert rows, "the README's scenario table names no uncertainty counts"
    for path, count in rows:
        assert len(load_scenario(ROOT / path).scenario.uncertainties) == int(count), path
