"""Tables never cut a number: at 60, 100 and 200 columns (COLUMNS) every value shown is whole,
no line is wider than asked, lower-priority columns are left out (and named) before anything
is cut, and piped output without COLUMNS is as wide as it needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from reesim.cli.main import main
from reesim.report.compare_tables import delta_text, interval
from reesim.report.tables import fmt, mean_ci
from reesim.results.compare import compare_results
from reesim.results.io import read_result

ROOT = Path(__file__).resolve().parent.parent
QUEUE = ROOT / "scenarios/examples/licence-queue.yaml"
CONTROLS = ROOT / "scenarios/controls-2025.yaml"
BASELINE = ROOT / "scenarios/baseline.yaml"
WIDTHS = (60, 100, 200)


def printed(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def check_lines(out: str, width: int | None) -> None:
    assert "…" not in out and "..." not in out.replace(" .. ", "")
    if width is not None:
        too_wide = [line for line in out.splitlines() if len(line.rstrip()) > width]
        assert not too_wide, f"lines wider than {width}: {too_wide[:3]}"


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("widths")
    for name, path in (("controls", CONTROLS), ("baseline", BASELINE)):
        assert (
            main(
                ["run", str(path), "-n", "4", "--seed", "3", "-q", "-o", str(out / f"{name}.json")]
            )
            == 0
        )
    return out


@pytest.mark.parametrize("width", WIDTHS)
def test_run_shows_every_mean_whole(
    width: int, saved: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    out = printed(capsys, "run", str(CONTROLS), "-n", "4", "--seed", "3")
    check_lines(out, width)
    result = read_result(saved / "controls.json")
    for kpi in result.kpis.values():
        assert mean_ci(kpi) in out, f"{kpi.name}: {mean_ci(kpi)!r} not shown whole at {width}"
    if width >= 100:
        for kpi in result.kpis.values():
            assert fmt(kpi.summary.p95) in out
    left_out = "left out to fit" in out
    assert left_out == (width < 100)


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_shows_every_difference_whole(
    width: int, saved: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    base, ctl = saved / "baseline.json", saved / "controls.json"
    out = printed(capsys, "compare", str(base), str(ctl), "--kpi", "firms.ford.*")
    check_lines(out, width)
    comparison = compare_results(read_result(base), read_result(ctl))
    for name, row in comparison.kpis.items():
        if not name.startswith("firms.ford."):
            continue
        assert delta_text(comparison, row) in out
        if row.diff is not None:
            assert interval(row.diff.ci_low, row.diff.ci_high) in out
    if width == 200:
        assert "left out" not in out


@pytest.mark.parametrize("width", WIDTHS)
def test_sweep_table_and_series_fit(
    width: int, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    out = printed(
        capsys, "sweep", str(QUEUE), "--vary", "authority.review.capacity=2,3",
        "--vary", "authority.review.time.mean=10wd,15wd", "-n", "2", "-o", str(tmp_path / "s"),
        "--sort-by", "authority.queue_wait_days",
    )  # fmt: skip
    check_lines(out, width)
    assert "highest authority.queue_wait_days (d)" in out and "mean (d)" in out
    out = printed(capsys, "run", str(QUEUE), "-n", "3", "--series", "firms.*")
    check_lines(out, width)
    assert "firms.importer.cover_days (d)" in out


def test_piped_output_without_columns_is_full_width(
    saved: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    base, ctl = saved / "baseline.json", saved / "controls.json"
    out = printed(capsys, "compare", str(base), str(ctl))
    check_lines(out, None)
    assert "left out" not in out
    header = next(line for line in out.splitlines() if line.startswith("KPI"))
    assert header.split()[-2:] == ["rel", "sig"]
    # The title is one line however long: nothing is wrapped for a pipe.
    assert any(
        line.startswith("controls vs baseline") and "mean, 95% CI" in line
        for line in out.splitlines()
    )
    lines = printed(capsys, "validate", str(CONTROLS), str(QUEUE)).splitlines()
    assert len(lines) == 2 and all(line.startswith("ok ") for line in lines)  # not wrapped
    assert all(len(line.split("sha256 ")[1].rstrip(")")) == 12 for line in lines)
