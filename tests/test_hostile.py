"""Hostile input end to end: every command, given files of every type, mutated saved results
and hostile values in the shipped scenarios, ends with a documented exit code (0, 1, 2 or 3) and
a message, never a traceback, an internal error (4) or a hang. Generated cases, small budgets."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reesim.cli.main import main
from tests.conftest import MINIMAL
from tests.watchdog import watchdog

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenarios").rglob("*.yaml"))
QUICK = MINIMAL.split("timeline:")[0].replace("horizon: 90d", "horizon: 30d")


def ends_cleanly(capsys: pytest.CaptureFixture[str], *argv: str, seconds: int = 60) -> int:
    with watchdog(seconds):
        code = main(list(argv))
    _, err = capsys.readouterr()
    assert code in (0, 1, 2, 3), f"exit {code} for {argv}: {err}"
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 2:
        assert err.strip(), "an error must say what is wrong"
    return code


@pytest.fixture
def hostile_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    os.mkfifo("fifo.yaml")
    Path("dir.yaml").mkdir()
    Path("binary.yaml").write_bytes(bytes(range(256)) * 8)
    Path("big.yaml").write_text("a: 1\n" * 300_000)
    os.symlink("loop.yaml", "loop.yaml")
    Path("bomb.yaml").write_text(
        "a0: &a0 {x: 1}\n"
        + "".join(f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}]}}\n" for i in range(1, 25))
    )
    Path("empty.yaml").write_text("")
    Path("list.json").write_text("[1, 2]")
    Path("truncated.json").write_text('{"schema_version": 1, "kpis": {')
    return [
        "fifo.yaml",
        "dir.yaml",
        "binary.yaml",
        "big.yaml",
        "loop.yaml",
        "bomb.yaml",
        "empty.yaml",
        "list.json",
        "truncated.json",
        "/dev/zero",
        "/dev/null",
        "missing.yaml",
    ]


def test_every_command_refuses_every_kind_of_file(
    hostile_files: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    for path in hostile_files:
        # Each of these would have blocked (FIFO), filled memory (/dev/zero) or expanded
        # without end (bomb) if read as it was before.
        assert ends_cleanly(capsys, "validate", path) == 2
        assert ends_cleanly(capsys, "run", path, "-n", "1", "-q") == 2
        assert ends_cleanly(capsys, "compare", path, path, "-n", "1", "-q") == 2
        assert ends_cleanly(capsys, "report", path, "-o", "r.html", "-q") == 2
        assert ends_cleanly(capsys, "plot", path, "-o", "charts", "-q") == 2
        assert ends_cleanly(capsys, "sweep", path, "-o", "out", "-j", "1", "-q") == 2


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    where = tmp_path_factory.mktemp("saved")
    (where / "s.yaml").write_text(QUICK)
    out = where / "r.json"
    assert main(["run", str(where / "s.yaml"), "-n", "3", "-q", "-o", str(out)]) == 0
    return dict(json.loads(out.read_text()))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:3]):
            found += _paths(v, (*prefix, i))
    return found


JUNK = st.sampled_from(
    [None, "x", -1, 1e308, [], {}, True, "2025-13-01", "nan", [1, "a"], {"a": 1}, 10**30]
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_mutated_saved_results_are_refused_or_read(
    data: st.DataObject,
    saved: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    where = tmp_path_factory.mktemp("mutated")
    result = copy.deepcopy(saved)
    path = data.draw(st.sampled_from(_paths(result)[1:]))
    parent = result
    for step in path[:-1]:
        parent = parent[step]
    if data.draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(JUNK)
    (where / "good.json").write_text(json.dumps(saved))
    (where / "bad.json").write_text(json.dumps(result))
    good, bad = str(where / "good.json"), str(where / "bad.json")
    command = data.draw(st.sampled_from(["compare", "report", "plot"]))
    if command == "compare":
        ends_cleanly(capsys, "compare", good, bad, "-q")
    else:
        ends_cleanly(capsys, command, bad, "-o", str(where / "out.html"), "-q")


@pytest.mark.parametrize(
    ("where", "junk"),
    [(("scenario", "name"), None), (("scenario", "overrides"), [1]), (("kpis", 0, "n"), -1)],
)
def test_saved_results_with_junk_found_once_are_refused(
    where: tuple[Any, ...],
    junk: Any,
    saved: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Mutations the search above once found to crash `reesim compare` (exit 4)."""
    result = copy.deepcopy(saved)
    parent = result
    for step in where[:-1]:
        parent = parent[step] if step != 0 else parent[next(iter(parent))]
    parent[where[-1]] = junk
    (tmp_path / "good.json").write_text(json.dumps(saved))
    (tmp_path / "bad.json").write_text(json.dumps(result))
    code = ends_cleanly(capsys, "compare", str(tmp_path / "good.json"), str(tmp_path / "bad.json"))
    assert code == 2


def _leaves(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [leaf for k, v in node.items() for leaf in _leaves(v, (*prefix, k))]
    if isinstance(node, list):
        return [leaf for i, v in enumerate(node) for leaf in _leaves(v, (*prefix, i))]
    return [prefix]


def _dotted(key: tuple[Any, ...]) -> str:
    out = ""
    for step in key:
        if isinstance(step, int):
            out += f"[{step}]"
        elif any(c in str(step) for c in '.[]"'):
            out += f'["{step}"]'
        else:
            out += ("." if out else "") + str(step)
    return out


LEAVES = [(p, key) for p in SHIPPED for key in _leaves(yaml.safe_load(p.read_text()))]
HOSTILE = st.sampled_from(
    [".nan", ".inf", "-.inf", "1e308", "-1e308", "1e-320", "0", "-1", "true", "null", "''",
     "'1e308 wd'", "'1e40 kg'", "'1e-320d'", "9999-12-31", "10000000000000000000000000000",
     "'1e999'", "[]", "{}", "'\u200b'", "':x:'", "'[/x]'", "{dist: exponential, mean: 1e-300}",
     "{dist: lognormal, mean: 1e9, cv: 10}", "'1000y'", "'1e308 t/d'", "'5000wd'", "2.5"]
)  # fmt: skip


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(leaf=st.sampled_from(LEAVES), value=HOSTILE)
def test_hostile_values_in_shipped_scenarios_are_refused_or_run(
    leaf: tuple[Path, tuple[Any, ...]], value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path, key = leaf
    assignment = f"{_dotted(key)}={value}"
    if ends_cleanly(capsys, "validate", str(path), "--set", assignment) == 0:
        ends_cleanly(capsys, "run", str(path), "-n", "1", "-q", "--set", assignment, seconds=300)


def test_a_sweep_directory_that_cannot_be_made_is_an_output_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # /proc refuses new directories even to root, which passes every permission check.
    scenario = tmp_path / "s.yaml"
    scenario.write_text(QUICK)
    out = "/proc/reesim-hostile/sweep"
    argv = ("sweep", str(scenario), "-o", out, "--vary", "authority.review.capacity=1,2", "-n", "2")
    assert ends_cleanly(capsys, *argv) == 2
    assert not Path(out).exists()


SOLVE = ("--param", "firms.acme.stockpile.magnet", "--range", "1d:60d")
TARGET = ("--target", "firms.acme.stockout_probability <= 5%")
COST = ("--holding-cost", "1", "--loss-cost", "1")
CALIBRATION = (
    str(ROOT / "scenarios/examples/calibration.yaml"),
    "--data",
    str(ROOT / "examples/calibration/imports.csv"),
)
CALIBRATE = ("--population", "4", "--generations", "1", "-n", "1", "--draws", "2")


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [
        # every seed, worker count and replication count follows the limits of run and sweep
        ("solve", "--seed", str(2**63)),
        ("solve", "-j", "1025"),
        ("solve", "-n", str(10**12)),
        ("solve", "--max-replications", str(10**12)),
        ("calibrate", "--seed", str(2**64)),
        ("calibrate", "-j", "100000"),
        ("calibrate", "--dask-local", "100000"),
        ("calibrate", "-n", str(10**12)),
        # work that would take days or memory no machine has is refused, not started
        ("calibrate", "--population", str(10**8)),
        ("calibrate", "--generations", str(10**8)),
        ("calibrate", "--draws", str(10**9)),
        ("cost", "--points", str(10**8)),
        # a number that would make every cost infinite
        ("cost", "--holding-cost", "inf"),
        ("cost", "--loss-cost", "1e308"),
        ("solve", "--tolerance", "inf"),
    ],
)
def test_question_options_have_the_limits_of_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, option: str, value: str
) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(QUICK)
    given = {
        "solve": ("solve", str(scenario), *SOLVE, *TARGET),
        "cost": ("solve", str(scenario), *SOLVE, *COST),
        "calibrate": ("calibrate", *CALIBRATION, *CALIBRATE),
    }[command]
    assert ends_cleanly(capsys, *given, option, value, seconds=30) == 2


def test_calibration_work_is_bounded_as_a_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("calibrate", *CALIBRATION)
    big = ("--population", "100000", "--generations", "1000", "-n", "1000")
    with watchdog(30):
        assert main([*argv, *big]) == 2
    assert "expected at most 100,000,000 replications in all" in capsys.readouterr().err
