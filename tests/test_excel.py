"""`--out x.xlsx`: a workbook with the summary, the replications, the series and the
provenance, numbers as numbers and units in the headers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from openpyxl import load_workbook

from reesim.cli.main import main
from reesim.results.io import read_result

ROOT = Path(__file__).resolve().parent.parent
QUEUE = ROOT / "scenarios/examples/licence-queue.yaml"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("xlsx")
    args = ["run", str(QUEUE), "-n", "4", "--seed", "5", "-q"]
    assert main([*args, "-o", str(out / "r.xlsx")]) == 0
    assert main([*args, "--keep-replications", "-o", str(out / "r.json")]) == 0
    return out


def test_sheets_and_no_temporary_files(written: Path) -> None:
    book = load_workbook(written / "r.xlsx", read_only=True)
    assert book.sheetnames == ["summary", "replications", "series", "provenance"]
    assert sorted(p.name for p in written.iterdir()) == ["r.json", "r.xlsx"]


def test_summary_rows_are_numbers_with_a_unit_column(written: Path) -> None:
    result = read_result(written / "r.json")
    rows = list(load_workbook(written / "r.xlsx")["summary"].values)
    assert rows[0] == ("kpi", "unit", "mean", "std", "ci_low", "ci_high", "p5", "p50", "p95", "n")
    by_kpi = {r[0]: r for r in rows[1:]}
    assert set(by_kpi) == set(result.kpis)
    wait = result.kpis["firms.importer.licence_wait_days"]
    row = by_kpi[wait.name]
    assert row[1] == "d" and row[2] == pytest.approx(wait.summary.mean) and row[9] == 4
    never = by_kpi["firms.importer.first_stop_day"]  # undefined: empty, not "nan"
    assert never[2] is None


def test_replications_have_units_in_headers(written: Path) -> None:
    result = read_result(written / "r.json")
    rows = list(load_workbook(written / "r.xlsx")["replications"].values)
    header = rows[0]
    assert header[0] == "replication"
    assert "firms.importer.licence_wait_days (d)" in header
    assert "authority.utilization (share)" in header
    column = header.index("firms.importer.licence_wait_days (d)")
    assert [r[0] for r in rows[1:]] == [0, 1, 2, 3]
    expected = result.kpis["firms.importer.licence_wait_days"].values
    assert [r[column] for r in rows[1:]] == pytest.approx(list(expected))


def test_series_by_month_and_provenance(written: Path) -> None:
    result = read_result(written / "r.json")
    book = load_workbook(written / "r.xlsx")
    rows = list(book["series"].values)
    assert [r[0] for r in rows[1:]] == list(result.months)
    column = rows[0].index("firms.importer.cover_days (d) p50")
    cover = result.series["firms.importer.cover_days"].p50
    assert [r[column] for r in rows[1:]] == pytest.approx(
        [None if math.isnan(v) else v for v in cover]
    )
    provenance = dict(list(book["provenance"].values)[1:])
    assert provenance["scenario_sha256"] == result.provenance.scenario_sha256
    assert provenance["root_seed"] == 5 and provenance["replications"] == 4


def test_a_bad_suffix_is_refused_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "r.xls")]) == 2
    assert "ending in .json, .csv or .xlsx, got" in capsys.readouterr().err


def test_without_kept_replications_the_sheet_says_so(written: Path, tmp_path: Path) -> None:
    # `reesim run --out x.xlsx` keeps them; a saved result without them says how to get them.
    from reesim.results.io import write_result

    args = ["run", str(QUEUE), "-n", "3", "-q", "-o", str(tmp_path / "flat.json")]
    assert main(args) == 0
    flat = read_result(tmp_path / "flat.json")
    assert not flat.kept_replications
    write_result(flat, tmp_path / "flat.xlsx")
    rows = list(load_workbook(tmp_path / "flat.xlsx")["replications"].values)
    assert rows == [
        ("note",),
        ("per-replication values were not kept: reesim run --keep-replications",),
    ]
