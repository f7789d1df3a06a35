"""`reesim init`: a scaffolded scenario validates, runs, and its ordering level covers the
demand over the lead time; `--from` copies a shipped scenario with its comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from reesim.cli.main import main
from reesim.questions.traps import order_level_warnings, transit_at_start_warnings
from reesim.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def init(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["init", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "answers",
    [
        [],
        ["--lead-time", "10w", "--review-time", "60wd", "--stock", "30d"],
        ["--no-controlled", "--lead-time", "2w", "--annual-use", "800 kg", "--stock", "2 t"],
        ["--material", "dysprosium", "--destination", "japan", "--end-use", "dual"],
    ],
)
def test_a_scaffold_validates_and_its_level_covers_the_lead_time(
    answers: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "wind-turbines.yaml"
    code, printed, _ = init(capsys, str(out), "--firm", "turbines", *answers)
    assert code == 0, printed
    assert f"wrote {out}" in printed
    resolved = load_scenario(out)
    scenario = resolved.scenario
    assert scenario.name == "wind-turbines"
    firm = scenario.firms["turbines"]
    assert firm.ordering.warm_start is True
    # The same check `reesim solve` warns with: no shortfall between deliveries by design.
    assert order_level_warnings(scenario, "turbines") == []
    assert transit_at_start_warnings(scenario, "turbines", firm) == []
    text = out.read_text()
    assert "# Covers the demand over the wait for a delivery" in text
    assert main(["run", str(out), "-n", "2", "-q"]) == 0


def test_without_controls_the_firm_never_runs_short(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "free.yaml"
    assert init(capsys, str(out), "--no-controlled", "--stock", "10d")[0] == 0
    json_out = tmp_path / "free.json"
    assert main(["run", str(out), "-n", "5", "-q", "-o", str(json_out)]) == 0
    import json

    kpis = json.loads(json_out.read_text())["kpis"]
    assert kpis["firms.my_firm.stockout_days"]["mean"] == 0


def test_answers_are_checked_all_at_once_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bad.yaml"
    code, _, err = init(
        capsys, str(out), "--firm", "Ford", "--stock", "9wd", "--lead-time", "3wd", "--approve", "2"
    )
    assert code == 2
    assert "--firm: expected an id" in err and "'Ford'" in err
    assert "--stock: expected stock cover in calendar units" in err
    assert "--lead-time: expected a shipping time in d, w or mo, got '3wd'" in err
    assert "--approve: expected a share from 0 to 1" in err
    assert not out.exists()


def test_an_existing_file_is_kept_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s.yaml"
    out.write_text("mine\n")
    code, _, err = init(capsys, str(out))
    assert code == 2 and "exists" in err and out.read_text() == "mine\n"
    assert init(capsys, str(out), "--force")[0] == 0
    assert out.read_text().startswith("# s: one firm")


def test_from_copies_a_shipped_scenario_with_its_comments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine.yaml"
    assert init(capsys, str(out), "--from", "controls-2025")[0] == 0
    original = (ROOT / "scenarios/controls-2025.yaml").read_text()
    copied = out.read_text()
    comments = [line for line in original.splitlines() if line.lstrip().startswith("#")]
    assert comments and all(line in copied.splitlines() for line in comments)
    resolved = load_scenario(out)
    assert resolved.name == "mine"  # renamed after the file, so sweeps and results say so
    shipped = load_scenario(ROOT / "scenarios/controls-2025.yaml")
    assert resolved.scenario.model_copy(update={"name": shipped.name}) == shipped.scenario


def test_from_an_unknown_name_lists_the_shipped_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = init(capsys, str(tmp_path / "x.yaml"), "--from", "controls-2052")
    assert code == 2 and "controls-2025" in err and "licence-queue" in err


def test_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = init(capsys, "-", "--name", "piped")
    assert code == 0 and "name: piped" in out


def test_the_documented_command_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re
    import shlex

    doc = (ROOT / "docs/scenario-format.md").read_text()
    match = re.search(r"```sh\n(reesim init .*?)```", doc, re.S)
    assert match is not None
    argv = shlex.split(match[1].replace("\\\n", " "))
    monkeypatch.chdir(tmp_path)
    assert main(argv[1:]) == 0
    assert load_scenario(tmp_path / "wind-turbines.yaml").scenario.firms["turbines"]


@pytest.mark.parametrize("name", ["x: y", "a'b\"c #d", "[x]", "yes", "- dash", "*star"])
def test_any_name_is_written_as_it_was_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    # the name went into the YAML unquoted: 'x: y' wrote an invalid file, '#d' was cut off
    out = tmp_path / "s.yaml"
    assert init(capsys, str(out), "--name", name)[0] == 0
    assert load_scenario(out).name == name
    copy = tmp_path / "c.yaml"
    assert init(capsys, str(copy), "--from", "licence-queue", "--name", name)[0] == 0
    assert load_scenario(copy).name == name


def test_a_name_that_is_no_name_is_an_answer_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s.yaml"
    code, _, err = init(capsys, str(out), "--name", "two\nlines")
    assert code == 2 and err.startswith("--name: expected a name on one line"), err
    assert not out.exists()


def test_from_a_file_that_is_not_a_scenario_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a file without a top-level name was an internal error (AssertionError)
    source = tmp_path / "result.json"
    source.write_text('{"kpis": {}}\n')
    out = tmp_path / "s.yaml"
    code, _, err = init(capsys, str(out), "--from", str(source))
    assert code == 2 and f"--from: expected a scenario with a top-level name, got {source}" in err
    assert not out.exists()
