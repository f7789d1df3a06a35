"""Scenario discovery: PRIM finds a planted box, the tree an axis-aligned one, and the command
reads a real sweep directory."""

from __future__ import annotations

import json

import numpy as np
import pytest

from reesim.cli.main import main
from reesim.errors import ScenarioError
from reesim.questions.discover import evaluate_condition, inputs_from
from reesim.questions.prim import Inputs, covering, peel
from reesim.questions.tree import tree_boxes
from tests.test_solve import DRAWDOWN


def planted(seed: int = 1, n: int = 1500) -> tuple[Inputs, np.ndarray, np.ndarray]:
    """Four uniform inputs and a category; the condition holds with probability 0.9 inside the
    box x0 > 0.6, x2 < 0.3, category in {a, b}, and 0.03 outside."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, 4))
    cat = rng.choice(["a", "b", "c"], n)
    inside = (x[:, 0] > 0.6) & (x[:, 2] < 0.3) & (cat != "c")
    y = np.where(inside, rng.random(n) < 0.9, rng.random(n) < 0.03)
    columns = (*(x[:, i] for i in range(4)), cat.astype(object))
    return Inputs(("x0", "x1", "x2", "x3", "cat"), columns, (False,) * 4 + (True,)), y, inside


def test_prim_finds_the_planted_box() -> None:
    inputs, y, inside = planted()
    t = peel(inputs, y)
    box = t.boxes[t.chosen]
    limits = dict(zip(inputs.names, box.limits, strict=True))
    assert 0.55 <= limits["x0"][0] <= 0.7 and limits["x0"][1] == pytest.approx(1.0, abs=0.01)
    assert limits["x2"][0] == pytest.approx(0.0, abs=0.01) and 0.25 <= limits["x2"][1] <= 0.35
    assert limits["cat"] == frozenset({"a", "b"})
    # the real restrictions are significant, a spurious one (if any) is not
    qp = dict(zip((inputs.names[i] for i in box.restricted), box.qp_values, strict=True))
    assert all(qp[name] < 1e-3 for name in ("x0", "x2", "cat"))
    assert all(qp[name] > 0.01 for name in ("x1", "x3") if name in qp)
    assert box.density >= 0.8 and box.coverage >= 0.5
    # the trajectory starts at everything and trades coverage for density
    first = t.boxes[0]
    assert first.coverage == 1.0 and first.mass == 1.0 and first.restricted == ()
    assert first.density == pytest.approx(y.mean())
    assert all(b.density >= a.density for a, b in zip(t.boxes, t.boxes[1:], strict=False))


def test_covering_sets_the_first_box_aside() -> None:
    inputs, y, _ = planted()
    first, *rest = covering(inputs, y, boxes=3)
    box = first.boxes[first.chosen]
    for t in rest:
        later = t.boxes[t.chosen]
        assert later.points <= int((~inputs.inside(box.limits)).sum())
        assert later.density > t.base_density
        assert t.base_density < first.base_density  # the trouble the first box explains is gone


def test_tree_finds_an_axis_aligned_box() -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (800, 3))
    y = (x[:, 1] > 0.7) & (x[:, 2] < 0.5)
    inputs = Inputs(("a", "b", "c"), tuple(x[:, i] for i in range(3)), (False,) * 3)
    (leaf,) = tree_boxes(inputs, y)
    assert leaf.density == 1.0 and leaf.coverage == 1.0
    assert leaf.limits[1][0] == pytest.approx(0.7, abs=0.02)
    assert leaf.limits[2][1] == pytest.approx(0.5, abs=0.02)
    assert set(leaf.restricted) == {1, 2}


def test_conditions_on_point_statistics() -> None:
    columns = {
        "f": ["1wd", "2wd", "3wd"],
        "k.stockout_days.mean": [10.0, 40.0, None],
        "k.stockout_probability.mean": [0.1, 0.9, 0.5],
    }
    out = evaluate_condition(
        "k.stockout_days > 30 or k.stockout_probability >= 50%",
        ["k.stockout_days", "k.stockout_probability"],
        columns,
    )
    assert out.met.tolist() == [False, True, True]
    assert evaluate_condition(
        "k.stockout_days.mean > 5", ["k.stockout_days"], columns
    ).met.tolist() == [True, True, False]
    inputs = inputs_from([("f", "a.b")], columns)
    assert inputs.columns[0].tolist() == [1.0, 2.0, 3.0] and inputs.categorical == (False,)
    with pytest.raises(ScenarioError, match=r"condition:1:1: expected KPI statistics"):
        evaluate_condition("delta(k.stockout_days) > 1", ["k.stockout_days"], columns)
    with pytest.raises(ScenarioError, match="did you mean 'k.stockout_days'"):
        evaluate_condition("k.stockout_dayz > 1", ["k.stockout_days"], columns)


def test_discover_command_on_a_sweep(tmp_path, capsys) -> None:  # noqa: ANN001
    """Drawdown: the plant stands still 60 - S days with S days of stock, whatever its output;
    'more than 20 days stopped' is exactly S < 40, which the box must find."""
    scenario = tmp_path / "d.yaml"
    scenario.write_text(DRAWDOWN)
    sweep = tmp_path / "sweep"
    rc = main(
        [
            "sweep",
            str(scenario),
            "--vary",
            "firms.plant.stockpile.magnet=1d:60d",
            "--vary",
            "firms.plant.production.units_per_day=500:2000",
            "--design",
            "lhs",
            "--samples",
            "120",
            "-n",
            "1",
            "-j",
            "1",
            "-o",
            str(sweep),
            "-q",
        ]
    )
    assert rc == 0
    out, report = tmp_path / "d.json", tmp_path / "d.html"
    rc = main(
        [
            "discover",
            str(sweep),
            "-c",
            "firms.plant.stockout_days.mean > 20",
            "-o",
            str(out),
            "--report",
            str(report),
        ]
    )
    assert rc == 0
    printed = capsys.readouterr().out
    assert "firms.plant.stockout_days.mean > 20" in printed and "peeling trajectory" in printed
    data = json.loads(out.read_text())
    (box,) = data["boxes"]
    assert box["density"] >= 0.95 and box["coverage"] >= 0.9
    assert list(box["restricted"]) == ["firms.plant.stockpile.magnet"]
    high = float(box["restricted"]["firms.plant.stockpile.magnet"]["limits"].split(" .. ")[1])
    assert 36 <= high <= 42
    html = report.read_text()
    assert "peeling trajectory" in html and "firms.plant.stockpile.magnet" in html
    assert (
        main(
            [
                "discover",
                str(sweep),
                "-c",
                "firms.plant.stockout_days.mean > 20",
                "--method",
                "tree",
                "-q",
            ]
        )
        == 0
    )
    assert main(["discover", str(sweep), "-c", "firms.plant.stockout_days.mean > 999"]) == 2
    assert main(["discover", str(tmp_path), "-c", "x > 1"]) == 2
