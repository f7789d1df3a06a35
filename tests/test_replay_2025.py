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
MAGNETS = ("ndfeb_magnet", "ndfeb_plain")  # Dy/Tb-bearing (licensed) and Dy/Tb-free
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
    "timely approval for civil use": "2025-12-04",
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
    """Planned NdFeB magnet use of the firms (both kinds), t/yr, from needs x mean units/day."""
    total_kg_per_day = 0.0
    for firm_id in firm_ids:
        firm = r.scenario.firms[firm_id]
        for material in MAGNETS:
            if material in firm.needs:
                units = firm.production.units_per_day.mean()
                total_kg_per_day += firm.needs[material].kg_per_day(units)
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
    assert {*MAGNETS, "dysprosium", "terbium"} <= set(r.scenario.materials)
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


def test_magnet_exports_fall_after_april_and_recover_in_the_second_half() -> None:
    """The shape the scenario explains: before April all buyers are supplied at their 2024 rates;
    from 4 April licensed (Dy/Tb-bearing) magnets fall sharply and all magnets are held at
    customs, so exports fall; licences bring them back in the second half."""
    series = result().series
    total = sum(np.array(series[f"exports.total.{m}"].mean) for m in MAGNETS)
    licensed = np.array(series["exports.total.ndfeb_magnet"].mean)
    jan_feb, apr_jun, jul_dec = total[0:2].mean(), total[3:6].mean(), total[6:12].mean()
    assert jan_feb == pytest.approx(EXPORTS_2024_T / 12, rel=0.1)
    assert apr_jun < 0.75 * jan_feb
    assert licensed[3:6].mean() < 0.5 * licensed[0:2].mean()
    assert apr_jun < jul_dec < 1.1 * jan_feb


def test_no_day_stops_every_aggregate() -> None:
    """The issue's symptom: with one applicant per destination, all eight aggregates stopped on
    the same day (2 July) in most replications. Importers now stop and restart one by one, so
    no aggregate stops altogether, and their first reductions are spread out."""
    for rep in range(3):
        traces = {t.firm: t for t in records(rep).firms}
        for firm in AGGREGATES:
            assert traces[firm].halts == (), firm
            assert float(traces[firm].output_share.min()) > 0.3, firm


def test_approval_curve_of_eu_applications_matches_the_published_tallies() -> None:
    """About a quarter of applications approved by 4 June (CLEPA, H); just over half of ~2,000
    EU applications by 5 November (EU trade commissioner, H). The model is calibrated to the
    first and lands above the second (see docs/replay-2025.md)."""
    series = result().series
    may = series["applications.germany.approved_share"].mean[4]
    october = series["applications.germany.approved_share"].mean[9]
    assert 0.15 < may < 0.35
    assert 0.45 < october < 0.7


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


def test_exporters_general_licences_thin_december_applications() -> None:
    """From 2 December JL Mag's general licence covers ~90% of its customers' magnets: they file
    far fewer new magnet applications in December than without it (its share set to 0)."""
    dec2 = (date(2025, 12, 2) - START).days
    without = load_scenario(
        PATH, ['timeline[10].set["authority.general_licences"][0].customer_share=0']
    )

    def december_jl_mag_filings(recs: RunRecords) -> int:
        return sum(
            f.submission == 0
            and f.day >= dec2
            and f.exporter == "jl_mag"
            and f.material == "ndfeb_magnet"
            for f in recs.filings
        )

    # ~90% of JL Mag's customers are covered: with the licence expect about a tenth of the
    # filings (a few a replication without it, so six replications keep the count above noise).
    with_licence = sum(december_jl_mag_filings(simulate(resolved(), 1, rep)) for rep in range(6))
    without_licence = sum(december_jl_mag_filings(simulate(without, 1, rep)) for rep in range(6))
    assert without_licence >= 10, without_licence
    assert with_licence <= 0.4 * without_licence, (with_licence, without_licence)


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
