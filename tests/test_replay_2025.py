"""The 2025 replay (scenarios/replay-2025.yaml, issue 5): it validates and runs, conserves material
for every buyer, reports the series the issue relies on, fires its policy events on their dates,
and its buyers consume China's 2024 magnet exports (58,152 t, Adamas, sources §5) between them.

Each check is also run against a deliberately broken variant (an override) where that is cheap, so
that the check is shown to be able to fail.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from reesim.engine.recorder import RunRecords
from reesim.engine.run import simulate
from reesim.experiment.runner import run_scenario
from reesim.results.result import RunResult
from reesim.scenario.load import ResolvedScenario, load_scenario

PATH = Path(__file__).resolve().parent.parent / "scenarios" / "replay-2025.yaml"
START = date(2025, 1, 1)
DAYS_PER_YEAR = 365.25  # the unit `y` of the scenario format (12 mo of 30.4375 d)

AGGREGATES = [
    "us",
    "germany",
    "rest_of_eu",
    "japan",
    "south_korea",
    "india",
    "vietnam",
    "rest_of_world",
]
NAMED = ["tesla", "tesla_optimus", "ford", "eu_supplier", "japan_automaker", "defense_prime"]
EXPORTS_2024_T = 58_152.0  # Adamas, H
US_2024_T = 7_400.0  # Adamas, H

# Every policy event of the scenario and the date it must fire on (sources §1).
EVENTS = {
    "stock-up ahead of controls": "2025-03-03",
    "April controls": "2025-04-04",
    "Shenzhen anti-smuggling campaign": "2025-05-09",
    "Geneva truce": "2025-05-12",
    "London framework and green channel": "2025-06-10",
    "Nanning zero-tolerance campaign": "2025-07-18",
    "EU-China summit fast track": "2025-07-24",
    "September tightening": "2025-09-01",
    "October expansion": "2025-10-09",
    "October measures suspended": "2025-11-07",
    "first general licences": "2025-12-02",
}


@cache
def resolved() -> ResolvedScenario:
    return load_scenario(PATH)


@cache
def records(replication: int) -> RunRecords:
    return simulate(resolved(), 1, replication)


@cache
def result() -> RunResult:
    return run_scenario(resolved(), range(3), 1)


def magnet_t_per_year(r: ResolvedScenario, firm_ids: list[str]) -> float:
    """Planned NdFeB magnet use of the firms, t/yr, from needs x mean units per day."""
    total_kg_per_day = 0.0
    for firm_id in firm_ids:
        firm = r.scenario.firms[firm_id]
        need = firm.needs["ndfeb_magnet"]
        total_kg_per_day += need.kg_per_day(firm.production.units_per_day.mean())
    return total_kg_per_day * DAYS_PER_YEAR / 1000.0


def destination_t_per_year(r: ResolvedScenario, destination: str) -> float:
    firms = [f for f, spec in r.scenario.firms.items() if spec.country == destination]
    return magnet_t_per_year(r, firms)


# --- it validates and runs ----------------------------------------------------------------------
def test_validates_with_every_buyer_and_uncertainty() -> None:
    r = resolved()
    assert r.scenario.start == START and r.scenario.end == date(2025, 12, 31)
    assert set(r.scenario.firms) == set(AGGREGATES) | set(NAMED)
    for firm_id in AGGREGATES:
        assert r.scenario.firms[firm_id].country == firm_id
    assert {"ndfeb_magnet", "dysprosium", "terbium"} <= set(r.scenario.materials)
    # The unknowns a sweep varies include the assumed market sizes and the calibrated shares,
    # timeline values among them.
    paths = {u.path for u in r.scenario.uncertainties.values()}
    for firm_id in ("germany", "japan", "south_korea", "india", "vietnam"):
        assert f"firms.{firm_id}.needs.ndfeb_magnet.rate" in paths
    assert 'timeline[4].set["authority.outcomes[4].approve"]' in paths
    assert 'timeline[1].set["authority.customs_delay.ndfeb_magnet"].mode' in paths


def test_runs_three_replications_and_reports_the_series() -> None:
    res = result()
    assert len(res.months) == 12
    expected = {"exports.total.ndfeb_magnet", "exports.total.dysprosium", "exports.total.terbium"}
    expected |= {f"exports.{d}.ndfeb_magnet" for d in AGGREGATES}
    expected |= {"exports.japan.dysprosium", "exports.japan.terbium"}
    expected |= {f"firms.{f}.cover_days" for f in AGGREGATES + NAMED}
    expected |= {f"firms.{f}.lost_units" for f in AGGREGATES + NAMED}
    expected |= {
        f"authority.{s}"
        for s in ("filed", "approved", "denied", "returned", "pending_applications")
    }
    missing = expected - set(res.series)
    assert not missing, sorted(missing)
    for name in expected:
        assert len(res.series[name].mean) == 12, name


def test_magnet_exports_fall_after_april_and_recover_partly() -> None:
    """The shape the scenario explains: before April all buyers are supplied at their 2024 rates;
    after 4 April exports fall; licences bring a partial recovery in the second half."""
    total = np.array(result().series["exports.total.ndfeb_magnet"].mean)
    jan_feb, apr_jun, jul_dec = total[0:2].mean(), total[3:6].mean(), total[6:12].mean()
    assert jan_feb == pytest.approx(EXPORTS_2024_T / 12, rel=0.1)
    assert apr_jun < 0.7 * jan_feb
    assert apr_jun < jul_dec < 1.1 * jan_feb


# --- material balance ---------------------------------------------------------------------------
@pytest.mark.parametrize("replication", range(3))
def test_material_balance_holds_for_every_buyer(replication: int) -> None:
    traces = records(replication).firms
    assert {t.firm for t in traces} == set(AGGREGATES) | set(NAMED)
    for t in traces:
        lhs = t.initial_kg + t.received_kg
        rhs = t.consumed_kg + t.final_kg
        np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-3, err_msg=t.firm)
        assert (t.stocks_kg >= -1e-6).all(), t.firm
        assert (t.consumed_kg > 0).all(), t.firm


# --- policy events ------------------------------------------------------------------------------
def fired_days(recs: RunRecords) -> dict[str, float]:
    return {p.name: p.day for p in recs.policy}


def test_policy_events_fire_on_their_dates() -> None:
    fired = fired_days(records(0))
    expected = {name: float((date.fromisoformat(d) - START).days) for name, d in EVENTS.items()}
    assert fired == expected


def test_a_moved_event_fires_on_its_new_date() -> None:
    """The check above reads the engine's records, not the file: moving an event moves them."""
    moved = load_scenario(PATH, ["timeline[10].date=2025-12-09"])
    fired = fired_days(simulate(moved, 1, 0))
    assert fired["first general licences"] == (date(2025, 12, 9) - START).days
    assert fired != fired_days(records(0))


def test_general_licences_ship_without_applications_in_december() -> None:
    """After 2 December the general-licence holders file no new magnet applications.

    (An application returned for documents before then may still be resubmitted: the engine
    resubmits returned applications whatever licences the firm has gained meanwhile.)
    """
    dec2 = (date(2025, 12, 2) - START).days
    licensed = {"tesla", "ford", "eu_supplier", "japan_automaker"}
    for rep in range(3):
        first_filed: dict[int, float] = {}
        for f in records(rep).filings:
            if f.firm in licensed and f.material == "ndfeb_magnet":
                first_filed.setdefault(f.application_id, f.day)
        assert first_filed, "the licensed firms applied for magnets at some point"
        assert [day for day in first_filed.values() if day >= dec2] == []


# --- the market adds up -------------------------------------------------------------------------
def test_buyers_consume_the_2024_exports() -> None:
    r = resolved()
    everyone = AGGREGATES + NAMED
    assert magnet_t_per_year(r, everyone) == pytest.approx(EXPORTS_2024_T, abs=1.0)
    assert destination_t_per_year(r, "us") == pytest.approx(US_2024_T, abs=1.0)
    eu = destination_t_per_year(r, "germany") + destination_t_per_year(r, "rest_of_eu")
    assert eu == pytest.approx(EXPORTS_2024_T / 4, abs=1.0)
    # Germany is the largest destination (rest_of_world is not a country).
    countries = [d for d in AGGREGATES if d not in ("germany", "rest_of_world")]
    assert all(
        destination_t_per_year(r, "germany") > destination_t_per_year(r, d) for d in countries
    )


def test_the_market_check_fails_when_a_buyer_is_counted_twice() -> None:
    """Adding Tesla's ~1,370 t/yr to the US aggregate (no carve-out) breaks the 58,152 t total."""
    doubled = load_scenario(PATH, ["firms.us.needs.ndfeb_magnet.rate=6829.2 t/y"])
    everyone = AGGREGATES + NAMED
    assert magnet_t_per_year(doubled, everyone) != pytest.approx(EXPORTS_2024_T, abs=1.0)
