"""The command line: exit codes, exact error lines for broken files, output formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reesim.cli.main import main
from reesim.results.io import PROVENANCE_FIELDS
from tests.conftest import MINIMAL


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("ok.yaml").write_text(MINIMAL)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


BROKEN = {
    "unknown key with a suggestion": (
        ("    capacity: 2\n", "    capacty: 2\n"),
        [
            "bad.yaml:9:5: authority.review.capacty: expected one of capacity, time, statutory_limit, "
            "on_limit, escalation_delay, got unknown key 'capacty' (did you mean 'capacity'?)"
        ],
    ),
    "wrong type": (
        ("{units_per_day: 100}", "{units_per_day: lots}"),
        [
            "bad.yaml:16:33: firms.acme.production.units_per_day: expected a number or a "
            "mapping with a 'dist' key, got 'lots'"
        ],
    ),
    "zero capacity": (
        ("    capacity: 2\n", "    capacity: 0\n"),
        ["bad.yaml:9:15: authority.review.capacity: expected a whole number >= 1, got 0"],
    ),
    "negative duration": (
        ("transit: 2w", "transit: -2w"),
        ["bad.yaml:20:14: firms.acme.transit: expected a non-negative duration, got '-2w'"],
    ),
    "shares not summing to one": (
        ("{approve: 1, deny: 0, return: 0}", "{approve: 0.5, deny: 0.2, return: 0.2}"),
        ["bad.yaml:12:7: authority.outcomes[0]: expected approve + deny + return = 1, got 0.9"],
    ),
    "probability above one": (
        ("{approve: 1, deny: 0, return: 0}", "{approve: 1.5, deny: 0, return: rest}"),
        ["bad.yaml:12:17: authority.outcomes[0].approve: expected a number of at most 1, got 1.5"],
    ),
    "unknown unit": (
        ("per_unit: 1 kg", "per_unit: 1 lb"),
        [
            "bad.yaml:17:32: firms.acme.needs.magnet.per_unit: expected a quantity unit g, kg or t, "
            "got 'lb'"
        ],
    ),
    "undefined material": (
        ("stockpile: {magnet: 30d}", "stockpile: {magnet: 30d, dysprosium: 5t}"),
        [
            "bad.yaml:18:42: firms.acme.stockpile.dysprosium: expected a material this firm needs "
            "(magnet), got 'dysprosium'"
        ],
    ),
    "timeline path that does not exist": (
        ("authority.controls.magnet: true", "authority.control.magnet: true"),
        [
            "bad.yaml:25:11: authority.control: expected one of name, controls, review, outcomes, "
            "resubmit_delay, licence_validity, general_licences, background, customs_delay, got "
            "unknown key 'control' (did you mean 'controls'?) (after timeline event 'controls on' on "
            "2025-02-03)"
        ],
    ),
    "timeline date outside the horizon": (
        ("date: 2025-02-03", "date: 2025-09-03"),
        [
            "bad.yaml:22:11: timeline[0].date: expected a date from 2025-01-06 to 2025-04-05, "
            "got 2025-09-03"
        ],
    ),
    "yaml syntax": (
        ("  magnet: {}\n", "  magnet: {\n"),
        [
            "bad.yaml:7:11: expected valid YAML, got ':' where ',' or '}' should be (while parsing a "
            "flow mapping)"
        ],
    ),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_broken_file_gives_exact_lines_and_exit_2(
    case: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (old, new), expected = BROKEN[case]
    assert old in MINIMAL
    Path("bad.yaml").write_text(MINIMAL.replace(old, new, 1))
    code, out, err = run(capsys, "validate", "bad.yaml")
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[-1] == f"{len(expected)} problem{'s' if len(expected) > 1 else ''} found"
    assert lines[:-1] == expected
    assert "Traceback" not in err


def test_every_problem_of_every_file_at_once(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("a.yaml").write_text(
        MINIMAL.replace("capacity: 2", "capacity: -1").replace(
            "transit: 2w", "transit: 2 fortnights"
        )
    )
    Path("b.yaml").write_text(MINIMAL.replace("country: us", "country: [us]"))
    code, out, err = run(capsys, "validate", "a.yaml", "ok.yaml", "b.yaml", "missing.yaml")
    assert code == 2
    assert "ok   ok.yaml" in out
    lines = err.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "a.yaml",
        "a.yaml",
        "b.yaml",
        "missing.yaml",
    ]
    assert lines[-1] == "4 problems found"


def test_directory_and_missing_file(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("adir").mkdir()
    code, _, err = run(capsys, "run", "adir")
    assert code == 2
    assert err.splitlines()[0] == "adir: expected a readable scenario file, got a directory"
    code, _, err = run(capsys, "run", "nope.yaml")
    assert (code, err.splitlines()[0]) == (
        2,
        "nope.yaml: expected a readable scenario file, got no such file",
    )


def test_bad_set_is_reported_like_a_file_problem(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys,
        "run",
        "ok.yaml",
        "-n",
        "2",
        "--set",
        "authority.review.time=ten",
        "--set",
        "firms.acme.stockpile.magnet=90d",
        "--set",
        "nonsense",
    )
    assert code == 2
    assert err.splitlines()[:2] == [
        "--set[1]:1:23: authority.review.time: expected a duration like '45wd', '6w', '3mo' or a "
        "number of days, got 'ten'",
        "--set[3]:1:1: expected PATH=VALUE such as authority.review.capacity=20, got 'nonsense'",
    ]


def test_set_changes_the_result(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, base, _ = run(capsys, "run", "ok.yaml", "-n", "3", "--format", "json")
    _, edited, _ = run(
        capsys,
        "run",
        "ok.yaml",
        "-n",
        "3",
        "--format",
        "json",
        "--set",
        "firms.acme.stockpile.magnet=5d",
    )
    a, b = json.loads(base), json.loads(edited)
    assert a["scenario"]["sha256"] != b["scenario"]["sha256"]
    assert b["scenario"]["overrides"] == ["firms.acme.stockpile.magnet=5d"]
    key = "firms.acme.first_stockout_day"
    assert b["kpis"][key]["mean"] < a["kpis"][key]["mean"]


def test_json_result_has_provenance_and_kpis(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "run",
        "ok.yaml",
        "-n",
        "4",
        "--seed",
        "7",
        "--format",
        "json",
        "--keep-replications",
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["schema_version"] == 2
    assert doc["root_seed"] == 7 and doc["replications"] == 4
    assert len(doc["scenario"]["sha256"]) == 64
    assert len(doc["events_per_replication"]) == 4 and min(doc["events_per_replication"]) > 0
    kpi = doc["kpis"]["firms.acme.stockout_days"]
    assert set(kpi) >= {
        "unit",
        "mean",
        "std",
        "ci_low",
        "ci_high",
        "p5",
        "p50",
        "p95",
        "n",
        "values",
    }
    assert len(kpi["values"]) == 4
    assert len(doc["series"]["exports.us.magnet"]["mean"]) == len(doc["months"]) == 4


def test_replay_reproduces_one_replication(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    MINIMAL_RANDOM = MINIMAL.replace("time: 10wd", "time: {dist: exponential, mean: 10wd}")
    Path("r.yaml").write_text(MINIMAL_RANDOM)
    keep = "--keep-replications"
    _, out, _ = run(capsys, "run", "r.yaml", "-n", "5", "--seed", "3", "-f", "json", keep)
    _, one, _ = run(capsys, "run", "r.yaml", "--seed", "3", "--replay", "2", "-f", "json", keep)
    full, single = json.loads(out), json.loads(one)
    assert single["replication_indices"] == [2]
    for name, kpi in single["kpis"].items():
        assert kpi["values"] == [full["kpis"][name]["values"][2]], name


def test_out_files_are_written(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "run", "ok.yaml", "-n", "2", "-q", "--out", "res/r.json")[0] == 0
    assert run(capsys, "run", "ok.yaml", "-n", "2", "-q", "--out", "res/r.csv")[0] == 0
    assert json.loads(Path("res/r.json").read_text())["replications"] == 2
    header = Path("res/r.csv").read_text().splitlines()[0]
    assert header == (
        "kpi,unit,mean,std,ci_low,ci_high,interval,p5,p5_low,p5_high,p50,p50_low,p50_high,"
        "p95,p95_low,p95_high,n,scenario,scenario_sha256,root_seed,replications,reesim_version"
    )
    first = Path("res/r.csv").read_text().splitlines()[1].split(",")
    provenance = json.loads(Path("res/r.json").read_text())
    assert first[-5:] == [
        provenance["scenario"]["name"],
        provenance["scenario"]["sha256"],
        str(provenance["root_seed"]),
        "2",
        provenance["reesim_version"],
    ]
    assert sorted(p.name for p in Path("res").iterdir()) == [
        "r.csv",
        "r.json",
    ]  # no temp files left
    code, _, err = run(capsys, "run", "ok.yaml", "-n", "2", "-q", "--out", "res/r.txt")
    assert code == 2 and "expected an output file ending in .json, .csv or .xlsx" in err


def test_quiet_prints_nothing(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "run", "ok.yaml", "-n", "2", "-q") == (0, "", "")


def test_table_fits_100_columns_and_groups_kpis(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "run", "ok.yaml", "-n", "5")
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100
    groups = [
        line.strip()
        for line in lines
        if line.strip() in ("firms.acme", "materials.magnet", "authority")
    ]
    assert groups == ["firms.acme", "materials.magnet", "authority"]
    row = next(line for line in lines if line.strip().startswith("stockout_days"))
    assert " d " in row and "±" in row


def test_markdown_and_csv_formats(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, md, _ = run(capsys, "run", "ok.yaml", "-n", "2", "--format", "markdown")
    assert "| `firms.acme.stockout_days` | d |" in md
    _, csv_text, _ = run(capsys, "run", "ok.yaml", "-n", "2", "--format", "csv")
    assert csv_text.splitlines()[0].startswith("kpi,unit,mean")
    assert any(line.startswith("firms.acme.stockout_days,d,") for line in csv_text.splitlines())


def test_series_table(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "run", "ok.yaml", "-n", "3", "--series", "exports.*")
    assert code == 0
    assert "exports.us.magnet" in out and "2025-03" in out
    code, out, _ = run(capsys, "run", "ok.yaml", "-n", "3", "--series", "exports.*", "-f", "csv")
    rows = out.splitlines()
    assert rows[0] == "series,unit,month,mean,p5,p50,p95," + ",".join(PROVENANCE_FIELDS)
    assert len(rows) == 1 + 2 * 4  # exports.total.magnet and exports.us.magnet, four months
    assert rows[1].startswith("exports.total.magnet,t,2025-01,")
    code, _, err = run(capsys, "run", "ok.yaml", "-n", "3", "--series", "nothing.*")
    assert code == 2 and "no series matches nothing.*" in err


def test_usage_errors_exit_2(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "run", "ok.yaml", "-n", "0")[0] == 2
    assert run(capsys, "run", "ok.yaml", "--format", "xml")[0] == 2
    assert run(capsys, "frobnicate")[0] == 2


def test_schema_is_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    doc = json.loads(out)
    assert code == 0 and doc["title"] == "reesim scenario"
    assert {"start", "authority", "firms", "timeline"} <= set(doc["properties"])


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from reesim import __version__

    assert run(capsys, "--version") == (0, f"reesim {__version__}\n", "")
