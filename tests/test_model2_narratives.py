"""Narratives for the Model 2 mechanisms, each worked out by hand in the comment above it:
rationing to priority lines, restart lags, precautionary restocking, prestocking between an
announcement and its date, staggered importer populations, warm starts, emergency supply,
exporters' general licences, background applications with destinations, and approval curves.

As in test_engine_narratives.py: times are sim days from the start, the calendar has no weekends
or holidays, and nothing happens at the horizon itself.
"""

from __future__ import annotations

import numpy as np
import pytest

from reesim.engine.recorder import FULL, REDUCED, STOPPED, RunRecords
from reesim.engine.run import simulate
from reesim.errors import ScenarioError
from reesim.results.metrics import measure
from tests.narrative import build, run

FREE = """
authority:
  controls: {m: false}
  review: {time: 10d}
  outcomes: [{approve: 1, deny: 0, return: 0}]
"""

LINES = """
    production:
      units_per_day: 10
      lines:
        cars: {share: 0.5, priority: 1}
        vans: {share: 0.5, priority: 2, reserve: 10d}
"""


# --- rationing -----------------------------------------------------------------------------------
def test_rationing_stops_the_low_priority_line_first_and_output_falls_in_steps() -> None:
    # 30 t at 1 t/day, two lines of half the output each; vans keep 10 days (10 t) in reserve for
    # cars. Day 20: stock 10 t, vans stop, use halves to 0.5 t/day; day 40: stock 0, cars stop.
    # Output 100% -> 50% -> 0%. Lost: 20 days x 5 units + 20 days x 10 units = 300 of 600.
    resolved = build(
        FREE,
        """
        firms:
          f:
            country: us
        """
        + LINES.replace("\n    ", "\n            ")
        + """
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 30 t}
            suppliers: []
        """,
        horizon="60d",
    )
    records, kpis = run(resolved)
    trace = records.firms[0]
    assert trace.output_times.tolist() == [0.0, 20.0, 40.0]
    assert trace.output_share.tolist() == [1.0, 0.5, 0.0]
    assert trace.output_state.tolist() == [FULL, REDUCED, STOPPED]
    assert trace.times.tolist() == [0.0, 20.0, 40.0, 60.0]
    assert trace.stocks_kg[:, 0].tolist() == [30_000.0, 10_000.0, 0.0, 0.0]
    assert trace.reductions == ((20.0, 60.0),)
    assert trace.halts == ((40.0, 60.0),)
    assert kpis["firms.f.stockout_days"] == 40.0
    assert kpis["firms.f.stopped_days"] == 20.0
    assert kpis["firms.f.production_lost_units"] == 300.0
    assert kpis["firms.f.production_lost_pct"] == 50.0
    assert kpis["firms.f.first_stockout_day"] == 20.0
    assert kpis["firms.f.first_stop_day"] == 40.0
    assert kpis["firms.f.min_output_pct"] == 0.0
    assert kpis["firms.f.stop_probability"] == 1.0


def test_a_line_restarts_after_the_restart_lag() -> None:
    # As above until day 30, when the 30-day review orders 30 - 5 = 25 t; it arrives at once
    # (transit 0d): 30 t on hand, above the vans' 10 t reserve, so vans restart after the 3-day
    # lag, on day 33. Until then use stays at 0.5 t/day: 28.5 t on day 33, 21.5 t on day 40.
    # Output was halved from day 20 to 33: 13 days x 5 units = 65 units lost, never stopped.
    resolved = build(
        FREE,
        """
        firms:
          f:
            country: us
            production:
              units_per_day: 10
              restart_lag: 3d
              lines:
                cars: {share: 0.5, priority: 1}
                vans: {share: 0.5, priority: 2, reserve: 10d}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 30 t}
            ordering: {level: 30 t, review_period: 30d}
            transit: 0d
        """,
        horizon="40d",
    )
    records, kpis = run(resolved)
    trace = records.firms[0]
    assert [(s.shipped_day, s.kg) for s in records.shipments] == [(30.0, 25_000.0)]
    assert trace.output_times.tolist() == [0.0, 20.0, 33.0]
    assert trace.output_share.tolist() == [1.0, 0.5, 1.0]
    assert np.interp(33.0, trace.times, trace.stocks_kg[:, 0]) == 28_500.0
    assert trace.final_kg[0] == 21_500.0
    assert kpis["firms.f.production_lost_units"] == 65.0
    assert kpis["firms.f.stockout_days"] == 13.0
    assert kpis["firms.f.stopped_days"] == 0.0
    assert np.isnan(kpis["firms.f.first_stop_day"])


def test_priority_reserves_default_to_steps_of_reserve_step() -> None:
    # Lines of half, a quarter and a quarter of output (and need), priorities 1, 2, 3;
    # reserve_step 3d gives reserves of 0, 3 and 6 days of the full 4 t/day: 0, 12 and 24 t.
    # 48 t: line 3 stops on day 6 (24 t left, use 4 -> 3 t/day), line 2 on day 10 (12 t left,
    # use 3 -> 2 t/day), line 1 on day 16 (empty).
    resolved = build(
        FREE,
        """
        firms:
          f:
            country: us
            production:
              units_per_day: 40
              reserve_step: 3d
              lines:
                a: {share: 0.5, priority: 1}
                b: {share: 0.25, priority: 2}
                c: {share: 0.25, priority: 3}
            needs: {m: {rate: 4 t/d}}
            stockpile: {m: 48 t}
            suppliers: []
        """,
        horizon="20d",
    )
    records, kpis = run(resolved)
    trace = records.firms[0]
    assert trace.output_times.tolist() == [0.0, 6.0, 10.0, 16.0]
    assert trace.output_share.tolist() == [1.0, 0.75, 0.5, 0.0]
    # lost: 4 days x 10 units + 6 days x 20 units + 4 days x 40 units = 320
    assert kpis["firms.f.production_lost_units"] == 320.0


def test_line_shares_must_sum_to_one_and_need_shares_per_material_too() -> None:
    with pytest.raises(ScenarioError, match="expected line shares summing to 1, got 0.9"):
        build(
            FREE,
            """
            firms:
              f:
                country: us
                production:
                  units_per_day: 10
                  lines: {a: {share: 0.5}, b: {share: 0.4}}
                needs: {m: {rate: 1 t/d}}
            """,
        )
    with pytest.raises(ScenarioError, match="shares of the m need to sum to 1, got 0.8"):
        build(
            FREE,
            """
            firms:
              f:
                country: us
                production:
                  units_per_day: 10
                  lines: {a: {share: 0.5, needs: {m: 0.3}}, b: {share: 0.5}}
                needs: {m: {rate: 1 t/d}}
            """,
        )


# --- restocking and prestocking ------------------------------------------------------------------
STEADY = """
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 20 t}
            ordering: {level: 20 t, review_period: 7d%s}
            transit: 0d
"""


def test_restocking_raises_the_level_after_an_event_and_decays_back() -> None:
    # Weekly order-up-to 20 t, transit 0. Day 7: 7 t. On day 10 the 'scare' raises the target by
    # 14 t, falling back over 14 days, and the firm orders at once: 20 + 14 - 17 = 17 t.
    # Day 14: target 20 + 14 x 10/14 = 30 t, position 30 t: nothing. Day 21: 20 + 14 x 3/14 =
    # 23 t, position 23 t: nothing. Day 28: the raise is gone, position 16 t: 4 t. Day 35: 7 t.
    resolved = build(
        FREE,
        STEADY % ", restock: {raise: 14 t, decay: 14d, on_events: [scare]}",
        """
        timeline:
          - {date: 2025-01-11, name: scare, set: {authority.background.rate_per_day: 0}}
        """,
        horizon="36d",
    )
    records, _ = run(resolved)
    shipped = [(s.shipped_day, round(s.kg, 6)) for s in records.shipments]
    assert shipped == [(7.0, 7_000.0), (10.0, 17_000.0), (28.0, 4_000.0), (35.0, 7_000.0)]


def test_restocking_after_a_refusal() -> None:
    # Controlled from the start. Day 0: position 20 t = level, nothing to order. Day 7: 7 t
    # short; the firm files (review 10d) and the producer covers the 7 t meanwhile; day 14 the
    # same. The application is denied on day 17, which raises the target by 10 t, decaying over
    # 100 days. Day 21: the week's 7 t plus the raise at age 4 days, 10 x 0.96 = 9.6 t: 16.6 t.
    resolved = build(
        """
        authority:
          controls: {m: true}
          review: {time: 10d}
          outcomes: [{approve: 0, deny: 1, return: 0}]
        producers:
          p: {capacity: {m: 100 t/d}, lead_time: 0d}
        """,
        """
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 20 t}
            ordering: {level: 20 t, review_period: 7d, restock: {raise: 10 t, decay: 100d}}
            transit: 0d
            suppliers: [exports, p]
        """,
        horizon="22d",
    )
    records, _ = run(resolved)
    assert [(d.decision_day, d.outcome) for d in records.decisions] == [(17.0, "deny")]
    shipped = [(s.shipped_day, round(s.kg, 6), s.supplier) for s in records.shipments]
    # Day 7 and 14: the producer covers the week's 7 t; day 21: 7 t plus the raise at age 4.
    assert shipped == [(7.0, 7_000.0, "p"), (14.0, 7_000.0, "p"), (21.0, 16_600.0, "p")]


def test_prestocking_between_announcement_and_effective_date() -> None:
    # Announced on day 5, controls from day 15 (review 100d: no licence in time). With prestock
    # (raise 10 t): day 5 the firm orders up to 30 t at once (15 t), day 7 2 t, day 14 7 t; from
    # day 15 the raise is over and material is controlled: 29 t on hand on day 15 last to day 44,
    # beyond the 40-day horizon. Day 28 the position 16 t < 20 t: it files.
    # Without prestock: 7 t on days 7 and 14, 20 t on day 15 -> out on day 34: stopped 34-40.
    timeline = """
        timeline:
          - {date: 2025-01-16, announced: 2025-01-06, name: controls,
             set: {authority.controls.m: true}}
        """
    auth = FREE.replace("time: 10d", "time: 100d")
    with_prestock = build(auth, STEADY % ", prestock: {raise: 10 t}", timeline, horizon="40d")
    records, kpis = run(with_prestock)
    shipped = [(s.shipped_day, round(s.kg, 6)) for s in records.shipments]
    assert shipped == [(5.0, 15_000.0), (7.0, 2_000.0), (14.0, 7_000.0)]
    assert [f.day for f in records.filings] == [28.0]
    assert records.firms[0].halts == ()

    unaware = build(
        auth, STEADY % ", prestock: {raise: 10 t, aware_share: 0}", timeline, horizon="40d"
    )
    records, kpis = run(unaware)
    assert [(s.shipped_day, s.kg) for s in records.shipments] == [(7.0, 7_000.0), (14.0, 7_000.0)]
    assert records.firms[0].halts == ((34.0, 40.0),)


def test_an_announcement_must_come_before_its_date() -> None:
    with pytest.raises(ScenarioError, match="expected an announcement on or before the date"):
        build(
            FREE,
            STEADY % "",
            """
            timeline:
              - {date: 2025-01-16, announced: 2025-01-20, name: x, set: {authority.controls.m: true}}
            """,
        )


# --- populations ---------------------------------------------------------------------------------
def test_a_population_orders_on_staggered_days() -> None:
    # Four importers of 1 t/day each (4 t/day in all), 10 t each on hand, level 10 t each,
    # reviews every 8 days staggered over the period: importer k first reviews on day 2k. Each
    # first order makes up what it used since day 0; then 8 t every 8 days.
    resolved = build(
        FREE,
        """
        firms:
          f:
            country: us
            applicants: 4
            production: {units_per_day: 40}
            needs: {m: {rate: 4 t/d}}
            stockpile: {m: 40 t}
            ordering: {level: 40 t, review_period: 8d}
            transit: 0d
        """,
        horizon="20d",
    )
    records, kpis = run(resolved)
    assert [(s.shipped_day, s.kg, s.applicant) for s in records.shipments] == [
        (2.0, 2_000.0, 1),
        (4.0, 4_000.0, 2),
        (6.0, 6_000.0, 3),
        (8.0, 8_000.0, 0),
        (10.0, 8_000.0, 1),
        (12.0, 8_000.0, 2),
        (14.0, 8_000.0, 3),
        (16.0, 8_000.0, 0),
        (18.0, 8_000.0, 1),
    ]
    trace = records.firms[0]
    # The buyer's stock is the sum of its importers': 40 - 36 + 20 received by day 9.
    assert np.interp(9.0, trace.times, trace.stocks_kg[:, 0]) == pytest.approx(24_000.0)
    assert trace.applicants == 4 and kpis["firms.f.applicants_short_share"] == 0.0


def test_each_importer_applies_for_itself() -> None:
    # Two importers of 1 t/day, 10 t each on hand, level 10 t each, controlled from the start,
    # review 10d. Importer 0 reviews on days 0, 7, 14; importer 1 on days 3.5, 10.5. Importer 1
    # files first, on day 3.5 for its 3.5 t shortfall; importer 0 on day 7 for 7 t. Importer 1's
    # licence comes on day 13.5: it calls off the 3.5 t at once (it ran out on day 10; it will
    # file for the rest at its next review, day 17.5, after the end). Importer 0's decision
    # (day 17) is after the end too.
    resolved = build(
        FREE.replace("m: false", "m: true"),
        """
        firms:
          f:
            country: us
            applicants: 2
            production: {units_per_day: 20}
            needs: {m: {rate: 2 t/d}}
            stockpile: {m: 20 t}
            ordering: {level: 20 t}
            transit: 0d
        """,
        horizon="15d",
    )
    records, _ = run(resolved)
    assert [(f.day, f.application_id) for f in records.filings] == [(3.5, 1), (7.0, 2)]
    assert [(d.applicant, d.decision_day, d.requested_kg) for d in records.decisions] == [
        (1, 13.5, 3_500.0)
    ]
    assert [(s.applicant, s.shipped_day, s.kg) for s in records.shipments] == [(1, 13.5, 3_500.0)]
    # Importer 1 stood still from day 10, importer 0 from day 10 too: the buyer stops on day 10
    # and is back to half output when importer 1's 3.5 t arrive on day 13.5.
    assert records.firms[0].output_times.tolist() == [0.0, 10.0, 13.5]
    assert records.firms[0].output_share.tolist() == [1.0, 0.0, 0.5]


def test_idle_importers_cost_no_events() -> None:
    # 200 importers, controlled from the start, a 1000-day review: each files at its first review
    # (staggered over the week) and can then only wait. They skip their reviews while waiting,
    # so the run costs about one event per first review and one per stockout, not one per
    # importer per week (200 x 26 = 5,200).
    resolved = build(
        FREE.replace("m: false", "m: true").replace("time: 10d", "time: 1000d"),
        """
        firms:
          f:
            country: us
            applicants: 200
            production: {units_per_day: 200}
            needs: {m: {rate: 200 t/d}}
            stockpile: {m: 7d}
            ordering: {level: 14d}
        """,
        horizon="180d",
    )
    records, kpis = run(resolved)
    assert len(records.filings) == 200
    assert records.events_processed <= 2 * 200 + 2
    assert kpis["firms.f.applicants_short_share"] == 1.0
    assert records.firms[0].halts[0][0] == pytest.approx(7.0)


def test_importer_sizes_spread_but_sum_to_the_buyer() -> None:
    resolved = build(
        FREE,
        """
        firms:
          f:
            country: us
            applicants: {count: 50, size_cv: 1.0}
            production: {units_per_day: 10}
            needs: {m: {rate: 5 t/d}}
            stockpile: {m: 10d}
            suppliers: []
        """,
        horizon="30d",
    )
    records, kpis = run(resolved)
    trace = records.firms[0]
    assert trace.initial_kg[0] == pytest.approx(50_000.0)
    # Every importer holds 10 days of its own use: all run out on day 10, together.
    ((start, end),) = trace.halts
    assert (start, end) == (pytest.approx(10.0), 30.0)


# --- warm start ----------------------------------------------------------------------------------
WARM = """
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 7 t}
            ordering: {level: 21 t, review_period: 7d%s}
            transit: 14d
"""


def test_warm_start_puts_the_pipeline_in_transit() -> None:
    # Level 21 t = 7 t on hand + 14 days in transit. Cold: nothing in transit, the day-0 order
    # (14 t) arrives on day 14, stock is out on day 7: stopped 7-14. Warm: the order of day -7
    # (7 t) is still in transit and arrives on day 7 (day -14's arrived at 0 and is on hand):
    # the day-0 order is 7 t and the plant never stops.
    cold, _ = run(build(FREE, WARM % "", horizon="28d"))
    assert cold.firms[0].halts == ((7.0, 14.0),)
    assert [(s.shipped_day, s.kg) for s in cold.shipments][:1] == [(0.0, 14_000.0)]

    warm, kpis = run(build(FREE, WARM % ", warm_start: true", horizon="28d"))
    trace = warm.firms[0]
    assert trace.halts == ()
    assert [(s.shipped_day, s.arrival_day, s.kg, s.route) for s in warm.shipments][:2] == [
        (-7.0, 7.0, 7_000.0, "pipeline"),
        (0.0, 14.0, 7_000.0, "exports"),
    ]
    assert trace.pipeline_kg[0] == 7_000.0
    # conservation with the pipeline: on hand + received (pipeline included) = used + left
    assert trace.initial_kg[0] + trace.received_kg[0] == trace.consumed_kg[0] + trace.final_kg[0]
    assert kpis["materials.m.exports_kg"] == 7_000.0 * 4  # pipeline is not an export of the run


# --- emergency supply ----------------------------------------------------------------------------
def test_emergency_supply_is_used_only_when_cover_is_short() -> None:
    # Controlled, no licence in time. The spot supplier is used only below 5 days of cover.
    # Day 7 and 14 reviews: cover 13 and 6 days: skipped. Out on day 20. Day 21: cover 0, the
    # shortfall of 20 t comes from spot (lead 1d): back on day 22. Day 28: cover 14 days: skipped.
    resolved = build(
        FREE.replace("m: false", "m: true").replace("time: 10d", "time: 1000d"),
        """
        producers:
          spot: {capacity: {m: 10 t/d}, lead_time: 1d, premium: 0.5, emergency_below: 5d}
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 20 t}
            ordering: {level: 20 t}
            suppliers: [exports, spot]
        """,
        horizon="30d",
    )
    records, kpis = run(resolved)
    assert [(s.shipped_day, s.kg, s.route) for s in records.shipments] == [
        (21.0, 20_000.0, "emergency")
    ]
    assert records.firms[0].halts == ((20.0, 22.0),)
    assert kpis["firms.f.emergency_kg"] == 20_000.0
    assert kpis["firms.f.alternative_kg"] == 0.0


# --- exporters and general licences --------------------------------------------------------------
EXPORTERS = """
        exporters:
          jl: {name: JL Mag}
          other: {}
        firms:
          f:
            country: us
            applicants: 100
            exporters: {jl: 0.5, other: 0.5}
            production: {units_per_day: 100}
            needs: {m: {rate: 100 t/d}}
            stockpile: {m: 20d}
            ordering: {level: 20d}
"""


def _general_licence(share: float) -> str:
    return f"""
        authority:
          controls: {{m: true}}
          review: {{time: 1000d}}
          outcomes: [{{approve: 1, deny: 0, return: 0}}]
          general_licences:
            - {{exporters: [jl], customer_share: {share}, start: 2025-01-01}}
        """


def test_an_exporters_general_licence_covers_its_customers() -> None:
    # Importers 0-49 buy through jl (positions (k + 0.5)/100 below 0.5), 50-99 through other.
    # jl's general licence covers all its customers: they ship without applying; the others
    # each file one application at their first review.
    records, _ = run(build(_general_licence(1.0), EXPORTERS, horizon="10d"))
    applicants = {d.applicant for d in records.decisions} | {
        s.applicant for s in records.shipments if s.route == "exports"
    }
    filers = {f.application_id for f in records.filings}
    assert len(filers) == 50
    shipped = {s.applicant for s in records.shipments}
    assert shipped == set(range(50))
    assert applicants == set(range(50))


def test_a_general_licence_naming_part_of_the_customers() -> None:
    # customer_share 0.4: each of jl's 50 customers is named with probability 0.4, drawn once
    # from its own stream; nobody buying through `other` is covered.
    records, _ = run(build(_general_licence(0.4), EXPORTERS, horizon="10d"))
    covered = {s.applicant for s in records.shipments}
    assert covered <= set(range(50))
    assert 8 <= len(covered) <= 32  # Binomial(50, 0.4): mean 20, sd 3.5
    assert len(records.filings) == 100 - len(covered)


def test_outcome_rules_can_filter_on_the_exporter() -> None:
    resolved = build(
        """
        authority:
          controls: {m: true}
          review: {time: 5d}
          outcomes:
            - {exporters: [jl], approve: 1, deny: 0, return: 0}
            - {approve: 0, deny: 1, return: 0}
        """,
        EXPORTERS.replace("applicants: 100", "applicants: 4"),
        horizon="20d",
    )
    records, _ = run(resolved)
    outcome = {d.applicant: (d.exporter, d.outcome) for d in records.decisions}
    assert outcome == {
        0: ("jl", "approve"),
        1: ("jl", "approve"),
        2: ("other", "deny"),
        3: (
            "other",
            "deny",
        ),
    }


# --- background applications ---------------------------------------------------------------------
def test_background_applications_have_destinations_and_are_thinned_by_rules() -> None:
    # 20 background applications a day, half for the US, all for m, which is controlled for the
    # US only: only US applications are filed (~10 a day), and none after the general licence
    # for US destinations starts on day 50.
    resolved = build(
        """
        authority:
          controls: {m: [us]}
          review: {time: 1d}
          outcomes: [{approve: 1, deny: 0, return: 0}]
          background: {rate_per_day: 20, destinations: {us: 0.5}, materials: {m: 1.0}}
          general_licences:
            - {destinations: [us], start: 2025-02-20}
        firms:
          f:
            country: de
            production: {units_per_day: 1}
            needs: {m: {rate: 1 kg/d}}
        """,
        horizon="100d",
    )
    records, _ = run(resolved)
    filed = [f for f in records.filings if not f.firm]
    assert {f.destination for f in filed} == {"us"}
    assert max(f.day for f in filed) < 50.0
    assert 400 < len(filed) < 600  # Binomial(~1000 arrivals, 0.5)


# --- approval curves -----------------------------------------------------------------------------
def test_approval_curves_per_destination() -> None:
    # Two firms file on day 0 (review 40d; they review their orders every 100 days, so they do
    # not file again): the US one is approved on day 40, the German one denied. January: 2 filed, none approved yet (share 0); February: US 1 of 1, DE 0 of 1, all
    # 1 of 2. Decisions by outcome per month count both.
    resolved = build(
        """
        authority:
          controls: {m: true}
          review: {time: 40d}
          outcomes:
            - {destinations: [us], approve: 1, deny: 0, return: 0}
            - {approve: 0, deny: 1, return: 0}
        firms:
          u: &firm
            country: us
            production: {units_per_day: 1}
            needs: {m: {rate: 1 t/d}}
            ordering: {review_period: 100d}
          d: {<<: *firm, country: de}
        """,
        horizon="59d",
    )
    records = simulate(resolved, 7, 0)
    series = measure(records, resolved.scenario).series
    assert series["applications.all.approved_share"].tolist() == [0.0, 0.5]
    assert series["applications.us.approved_share"].tolist() == [0.0, 1.0]
    assert series["applications.de.approved_share"].tolist() == [0.0, 0.0]
    assert series["applications.all.approved"].tolist() == [0.0, 1.0]
    assert series["applications.all.denied"].tolist() == [0.0, 1.0]


# --- the cast ------------------------------------------------------------------------------------
def test_the_timeline_may_not_change_a_population_or_its_lines() -> None:
    with pytest.raises(ScenarioError, match="firms.f.applicants: expected firms.f.applicants as"):
        build(
            FREE,
            STEADY % "",
            """
            timeline:
              - {date: 2025-01-16, name: x, set: {firms.f.applicants: 3}}
            """,
        )


# --- supply contracts ----------------------------------------------------------------------------
def _contracts_world(contracts: int) -> tuple[RunRecords, dict[str, float]]:
    """One importer of 1 t/day, 20 t on hand, level 20 t, reviews every 7 days, controlled from
    the start, reviews of 10 days, all approved, delivered at once."""
    resolved = build(
        FREE.replace("m: false", "m: true"),
        f"""
        firms:
          f:
            country: us
            applicants: {{count: 1, contracts: {contracts}}}
            production: {{units_per_day: 10}}
            needs: {{m: {{rate: 1 t/d}}}}
            stockpile: {{m: 20 t}}
            ordering: {{level: 20 t, review_period: 7d}}
            transit: 0d
        """,
        horizon="19d",
    )
    return run(resolved)


def test_supply_contracts_each_apply_for_a_share_of_one_stock() -> None:
    # Two contracts. Day 7: 13 t on hand, a 7 t shortfall: each contract files for half, 3.5 t.
    # Day 14: both still pending, nothing more is filed. Day 17: both licences come; each is
    # called off at once into the one stock (3 t left then): two shipments of 3.5 t.
    records, kpis = _contracts_world(2)
    assert [(f.day, f.application_id) for f in records.filings] == [(7.0, 1), (7.0, 2)]
    decisions = [(d.applicant, d.decision_day, d.requested_kg) for d in records.decisions]
    assert decisions == [(0, 17.0, 3_500.0), (0, 17.0, 3_500.0)]
    assert [(s.shipped_day, s.kg) for s in records.shipments] == [(17.0, 3_500.0), (17.0, 3_500.0)]
    # One stock: 20 t - 19 days of use + 2 x 3.5 t = 8 t at the end.
    trace = records.firms[0]
    assert trace.applicants == 1
    assert trace.stocks_kg[-1, 0] == pytest.approx(8_000.0)
    assert kpis["firms.f.applications"] == 2.0 and kpis["firms.f.stockout_days"] == 0.0


def test_one_contract_files_one_application_for_the_whole_shortfall() -> None:
    # The same world with a single contract (the default): one application for all 7 t.
    records, _ = _contracts_world(1)
    assert [(d.decision_day, d.requested_kg) for d in records.decisions] == [(17.0, 7_000.0)]
    assert [(s.shipped_day, s.kg) for s in records.shipments] == [(17.0, 7_000.0)]
