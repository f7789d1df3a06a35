"""Engine narratives: tiny deterministic scenarios whose every record is worked out by hand.

Each test builds a scenario of one or two firms with fixed distributions, runs one replication
and compares the records (halts, shipments, filings, decisions, policy events, KPIs) with the
answer derived in the comment above it. Times are sim days from the start date. Unless a test
says otherwise the calendar has no weekends and no holidays, so working days are calendar days,
and a firm reviews its orders every 7 days (days 0, 7, 14, ...).

SimPy's ``run(until=h)`` stops before processing events scheduled at exactly ``h``, so nothing
happens at the horizon itself.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from reesim.engine.recorder import Decision
from reesim.engine.run import simulate
from reesim.errors import ScenarioError, SimulationError
from reesim.results.metrics import measure
from reesim.scenario.load import PolicyChange, ResolvedScenario
from reesim.scenario.schema import Scenario
from tests.narrative import build, run, ships

AUTH_APPROVE = """\
authority:
  controls: {{m: {controlled}}}
  review: {{time: {review}}}
  outcomes: [{{approve: 1, deny: 0, return: 0}}]
"""


# --- 1. drawdown --------------------------------------------------------------------------------
def test_drawdown_without_resupply_runs_out_on_day_stock_over_rate() -> None:
    # 30 t at 1 t/day with no supplier: empty at exactly 30 / 1 = day 30.0, then halted for the
    # rest of the 100-day horizon: 70 stockout days, 10 units/day x 70 = 700 units lost.
    resolved = build(
        AUTH_APPROVE.format(controlled="false", review="10d"),
        """
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 30 t}
            suppliers: []
        """,
    )
    records, kpis = run(resolved)
    trace = records.firms[0]
    assert trace.halts == ((30.0, 100.0),)
    assert kpis["firms.f.first_stockout_day"] == 30.0
    assert kpis["firms.f.stockout_days"] == 70.0
    assert kpis["firms.f.production_lost_units"] == 700.0
    assert kpis["firms.f.production_lost_pct"] == 70.0
    assert kpis["firms.f.stockout_probability"] == 1.0
    assert kpis["firms.f.min_cover_days"] == 0.0
    # The stock path is exactly linear: 30 t at day 0, 23 t at the day-7 review, 0 from day 30.
    stock = trace.stocks_kg[:, 0]
    assert np.interp(7.0, trace.times, stock) == 23_000.0
    assert np.interp(30.0, trace.times, stock) == 0.0
    assert np.all(stock[trace.times >= 30.0] == 0.0)
    assert trace.consumed_kg[0] == 30_000.0 and trace.final_kg[0] == 0.0
    assert records.shipments == () and records.filings == ()


def test_stockpile_given_as_days_of_cover() -> None:
    # 45d of cover at 2 kg/unit x 100 units/day = 200 kg/day: 9 t, out at day 45.
    resolved = build(
        AUTH_APPROVE.format(controlled="false", review="10d"),
        """
        firms:
          f:
            country: us
            production: {units_per_day: 100}
            needs: {m: {per_unit: 2 kg}}
            stockpile: {m: 45d}
            suppliers: []
        """,
        horizon="60d",
    )
    records, kpis = run(resolved)
    assert records.firms[0].initial_kg[0] == 9_000.0
    assert records.firms[0].halts == ((45.0, 60.0),)
    assert kpis["firms.f.production_lost_units"] == 1_500.0


# --- 2. order-up-to with uncontrolled exports ---------------------------------------------------
def test_order_up_to_uncontrolled_exports_fixed_transit() -> None:
    # Stock 30 t, use 1 t/day, order up to 20 t of position every 7 days, transit 5 days.
    #   day 0: position 30 > 20, day 7: 23 > 20: no order.
    #   day 14: stock 16 -> order 4 t, arrives day 19.
    #   day 21: stock 30 - 21 + 4 = 13 -> order 7 t (arrives 26); from then on every review
    #   finds 13 t (7 days of use since the last order, which has arrived) and orders 7 t:
    #   days 28, 35, 42, 49. Lowest stock: just before each arrival, e.g. day 26: 30-26+4 = 8 t,
    #   so cover never drops below 8 days; the 20-day level covers transit + review (12 days).
    resolved = build(
        AUTH_APPROVE.format(controlled="false", review="10d"),
        """
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 30 t}
            ordering: {policy: order_up_to, review_period: 7d, level: 20 t}
            transit: 5d
        """,
        horizon="50d",
    )
    records, kpis = run(resolved)
    expected = [(14.0, 19.0, 4_000.0)] + [
        (d, d + 5.0, 7_000.0) for d in (21.0, 28.0, 35.0, 42.0, 49.0)
    ]
    assert ships(records) == [(s, a, kg, "exports", "exports", False) for s, a, kg in expected]
    assert all(s.destination == "us" and s.firm == "f" for s in records.shipments)
    trace = records.firms[0]
    assert trace.halts == ()
    assert kpis["firms.f.stockout_days"] == 0.0
    assert math.isnan(kpis["firms.f.first_stockout_day"])
    assert kpis["firms.f.min_cover_days"] == 8.0
    # Arrived by day 50: 4 t + 7 t at 26, 33, 40, 47; used 50 t; left 30 + 32 - 50 = 12 t.
    assert trace.received_kg[0] == 32_000.0
    assert trace.final_kg[0] == 12_000.0
    assert kpis["materials.m.exports_kg"] == 39_000.0
    assert records.filings == ()


# --- 3. controlled material, one licence --------------------------------------------------------
def test_controlled_material_waits_for_licence_then_ships() -> None:
    # Controlled, unlimited reviewers, review 10d, always approved. Stock 30 t at 1 t/day, level
    # 60 t, apply for 1000 t so one licence serves every order, transit 5 days.
    #   day 0: shortfall 30 t, no licence -> file application 1 (1000 t); nothing ships.
    #   day 7: shortfall 37 t but an application is pending: no second filing.
    #   day 10: approved for 1000 t; the firm reviews at once: stock 20 t -> ship 40 t (arr 15).
    #   day 14: position 16 + 40 -> ship 4 t (arr 19). days 21, 28: position 53 -> ship 7 t.
    resolved = build(
        AUTH_APPROVE.format(controlled="true", review="10d"),
        """
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 30 t}
            ordering: {level: 60 t, apply_for: 1000 t}
            transit: 5d
        """,
        horizon="30d",
    )
    records, kpis = run(resolved)
    assert [(f.day, f.application_id, f.firm, f.material) for f in records.filings] == [
        (0.0, 1, "f", "m")
    ]
    assert records.decisions == (
        Decision(
            application_id=1,
            firm="f",
            material="m",
            requested_kg=1_000_000.0,
            granted_kg=1_000_000.0,
            first_filed_day=0.0,
            filed_day=0.0,
            review_start_day=0.0,
            released_day=10.0,
            decision_day=10.0,
            outcome="approve",
            escalated=False,
            forced=False,
            destination="us",
            end_use="civil",
            exporter="",
            applicant=0,
            sequence=0,
            submission=0,
            review_work=10.0,
        ),
    )
    assert ships(records) == [
        (10.0, 15.0, 40_000.0, "exports", "exports", False),
        (14.0, 19.0, 4_000.0, "exports", "exports", False),
        (21.0, 26.0, 7_000.0, "exports", "exports", False),
        (28.0, 33.0, 7_000.0, "exports", "exports", False),
    ]
    assert kpis["firms.f.licence_wait_days"] == 10.0
    assert kpis["firms.f.applications"] == 1.0
    assert kpis["firms.f.approved"] == 1.0
    assert kpis["authority.queue_wait_days"] == 0.0
    assert records.firms[0].halts == ()


# --- 4. working days ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "calendar", "decision_day"),
    [
        # Fri 2025-03-07, no holiday near: Mon 10 (1), Tue (2), Wed (3), Thu (4), Fri 14 (5) -> day 7.
        ("2025-03-07", "china", 7.0),
        # Fri 2025-04-25, China: Sat 26 off, Sun 27 is a make-up working day (1), Mon 28 (2),
        # Tue 29 (3), Wed 30 (4), Labour Day holidays May 1-5, Tue May 6 (5) -> day 11.
        ("2025-04-25", "china", 11.0),
        # Same Friday with weekends only: Mon 28, Tue 29, Wed 30, Thu May 1, Fri May 2 -> day 7.
        ("2025-04-25", "{base: none}", 7.0),
        # Fri 2025-04-04 is itself a holiday (Qingming, Apr 4-6): the clock starts at 00:00 of
        # Mon Apr 7; five working days after it: Tue 8, Wed 9, Thu 10, Fri 11, Mon 14 -> day 10.
        ("2025-04-04", "china", 10.0),
    ],
)
def test_review_in_working_days(start: str, calendar: str, decision_day: float) -> None:
    resolved = build(
        AUTH_APPROVE.format(controlled="true", review="5wd"),
        """
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 30 t}
            ordering: {level: 60 t, apply_for: 1000 t}
            transit: 5d
        """,
        start=start,
        calendar=calendar,
        horizon="30d",
    )
    records, kpis = run(resolved)
    assert [d.decision_day for d in records.decisions] == [decision_day]
    assert records.decisions[0].filed_day == 0.0
    assert records.shipments[0].shipped_day == decision_day
    assert kpis["firms.f.licence_wait_days"] == decision_day


# --- 5. statutory limit -------------------------------------------------------------------------
LIMIT_FIRM = """
    firms:
      f:
        country: us
        production: {units_per_day: 10}
        needs: {m: {rate: 1 t/d}}
        stockpile: {m: 300 t}
        ordering: {level: 400 t, apply_for: 1000 t}
        transit: 5d
    """


def test_statutory_limit_decide_cuts_review_at_limit() -> None:
    # Review 100d, limit 30d from filing, decide at the limit: filed 0, decided 30, forced.
    resolved = build(
        """
        authority:
          controls: {m: true}
          review: {time: 100d, statutory_limit: 30d, on_limit: decide}
          outcomes: [{approve: 1, deny: 0, return: 0}]
        """,
        LIMIT_FIRM,
        horizon="120d",
    )
    records, _ = run(resolved)
    (d,) = records.decisions
    assert (d.filed_day, d.review_start_day, d.released_day, d.decision_day) == (
        0.0,
        0.0,
        30.0,
        30.0,
    )
    assert d.forced and not d.escalated
    assert records.shipments[0].shipped_day == 30.0


def test_statutory_limit_escalate_adds_escalation_delay() -> None:
    # Escalate instead: the 100-day review runs its course (reviewer free at 100), then the
    # decision waits the 7-day escalation delay: decided day 107, escalated, not forced.
    resolved = build(
        """
        authority:
          controls: {m: true}
          review: {time: 100d, statutory_limit: 30d, on_limit: escalate, escalation_delay: 7d}
          outcomes: [{approve: 1, deny: 0, return: 0}]
        """,
        LIMIT_FIRM,
        horizon="120d",
    )
    records, _ = run(resolved)
    (d,) = records.decisions
    assert (d.filed_day, d.review_start_day, d.released_day, d.decision_day) == (
        0.0,
        0.0,
        100.0,
        107.0,
    )
    assert d.escalated and not d.forced
    assert records.shipments[0].shipped_day == 107.0


def test_statutory_limit_counts_from_filing_not_review_start() -> None:
    # One reviewer, 20-day reviews, limit 30d. f and g both file on day 0. f: reviewed 0-20,
    # decided 20 within the limit. g waits for the reviewer until 20; its review would end at 40,
    # past its deadline 0 + 30, so it is decided at 30 (forced) and the reviewer freed then.
    resolved = build(
        """
        authority:
          controls: {m: true}
          review: {time: 20d, capacity: 1, statutory_limit: 30d}
          outcomes: [{approve: 1, deny: 0, return: 0}]
        firms:
          f: &firm
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 300 t}
            ordering: {level: 400 t, apply_for: 1000 t}
          g: *firm
        """,
        horizon="60d",
    )
    records, kpis = run(resolved)
    got = [
        (d.firm, d.filed_day, d.review_start_day, d.released_day, d.decision_day, d.forced)
        for d in records.decisions
    ]
    assert got == [("f", 0.0, 0.0, 20.0, 20.0, False), ("g", 0.0, 20.0, 30.0, 30.0, True)]
    assert kpis["authority.queue_wait_days"] == 10.0  # (0 + 20) / 2
    # Reviewer busy 0-30 out of 60 reviewer-days.
    assert records.reviewer_busy_days == 30.0
    assert kpis["authority.utilization"] == 0.5


# --- 6. returned for documents ------------------------------------------------------------------
def test_returned_application_is_resubmitted_until_approved() -> None:
    # Every decision returns the application until the timeline switches the outcomes to
    # approve on day 32 (2025-02-02). Review 10d, resubmission 5d after a return:
    #   filed 0 -> returned 10 -> refiled 15 -> returned 25 -> refiled 30 -> approved 40.
    # One application (id 1), three submissions; the licence wait counts from the first filing.
    resolved = build(
        """
        authority:
          controls: {m: true}
          review: {time: 10d}
          outcomes: [{approve: 0, deny: 0, return: 1}]
          resubmit_delay: 5d
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 300 t}
            ordering: {level: 400 t, apply_for: 1000 t}
            transit: 5d
        timeline:
          - date: 2025-02-02
            name: documents accepted
            set: {authority.outcomes: [{approve: 1, deny: 0, return: 0}]}
        """,
        horizon="60d",
    )
    records, kpis = run(resolved)
    assert [(f.day, f.application_id) for f in records.filings] == [(0.0, 1), (15.0, 1), (30.0, 1)]
    assert [
        (d.filed_day, d.decision_day, d.outcome, d.first_filed_day, d.application_id)
        for d in records.decisions
    ] == [
        (0.0, 10.0, "return", 0.0, 1),
        (15.0, 25.0, "return", 0.0, 1),
        (30.0, 40.0, "approve", 0.0, 1),
    ]
    assert kpis["firms.f.applications"] == 3.0
    assert kpis["firms.f.returned"] == 2.0
    assert kpis["firms.f.approved"] == 1.0
    assert kpis["firms.f.denied"] == 0.0
    assert kpis["firms.f.licence_wait_days"] == 40.0
    assert records.shipments[0].shipped_day == 40.0
    assert [(p.day, p.name) for p in records.policy] == [(32.0, "documents accepted")]


def test_denied_application_lets_the_firm_file_again() -> None:
    # Always denied, review 10d, reviews every 7 days: filed 0, denied 10. The denial frees the
    # firm to file again, but (unlike an approval) does not trigger an immediate review: the next
    # filing waits for the next periodic review, day 14, denied 24, refiled 28, denied 38, 42.
    resolved = build(
        """
        authority:
          controls: {m: true}
          review: {time: 10d}
          outcomes: [{approve: 0, deny: 1, return: 0}]
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 300 t}
            ordering: {level: 400 t, review_period: 7d}
        """,
        horizon="45d",
    )
    records, kpis = run(resolved)
    assert [f.day for f in records.filings] == [0.0, 14.0, 28.0, 42.0]
    assert [d.decision_day for d in records.decisions] == [10.0, 24.0, 38.0]
    assert kpis["firms.f.denied"] == 3.0 and kpis["firms.f.approved"] == 0.0
    assert math.isnan(kpis["firms.f.licence_wait_days"])
    assert records.shipments == ()


# --- 7. partial approval ------------------------------------------------------------------------
def test_partial_approval_grants_partial_share() -> None:
    # Every approval is partial at 25 %. Stock 30 t at 1 t/day, level 60 t, apply for the
    # shortfall, review 10d, transit 5d, weekly reviews.
    #   day 0: shortfall 30 t -> application 1 for 30 t.
    #   day 10: granted 7.5 t: the firm calls it off at once (ships 7.5 t) and files nothing more
    #   until its next review.
    #   day 14: stock 16 t + 7.5 t on order, shortfall 36.5 t, no licence left: application 2.
    #   day 24: granted 9.125 t, called off.
    resolved = build(
        """
        authority:
          controls: {m: true}
          review: {time: 10d}
          outcomes: [{approve: 1, deny: 0, return: 0, partial_probability: 1, partial_share: 0.25}]
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 30 t}
            ordering: {level: 60 t}
            transit: 5d
        """,
        horizon="25d",
    )
    records, _ = run(resolved)
    assert [(d.requested_kg, d.granted_kg, d.decision_day) for d in records.decisions] == [
        (30_000.0, 7_500.0, 10.0),
        (36_500.0, 9_125.0, 24.0),
    ]
    assert [(f.day, f.application_id) for f in records.filings] == [(0.0, 1), (14.0, 2)]
    assert [(s.shipped_day, s.kg) for s in records.shipments] == [(10.0, 7_500.0), (24.0, 9_125.0)]


def test_a_fast_authority_sets_off_no_cascade_of_sliver_applications() -> None:
    # Found by the property tests: reviews of 0.001 days approving everything. Each licence is
    # called off at once; if the call-off also filed for the sliver used since the last order,
    # the next licence 0.001 days later would do the same, forever. The firm files at its weekly
    # reviews only: one application a week.
    resolved = build(
        """
        authority:
          controls: {m: true}
          review: {time: 0.001d}
          outcomes: [{approve: 1, deny: 0, return: 0}]
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 30 t}
            ordering: {level: 40 t}
            transit: 2d
        """,
        horizon="30d",
    )
    records, _ = run(resolved)
    assert [f.day for f in records.filings] == [0.0, 7.0, 14.0, 21.0, 28.0]
    assert records.events_processed < 50


# --- 8. general licence -------------------------------------------------------------------------
@pytest.mark.parametrize("grantee", ["firms: [f]", "destinations: [us]"])
def test_general_licence_ships_controlled_material_without_application(grantee: str) -> None:
    # Controlled material, general licence from the start date for 20 days. Stock 30 t at
    # 1 t/day, level 40 t, transit 5d: ship 10 t on day 0, 7 t on days 7 and 14, all without
    # filing. On day 21 the licence has lapsed (0 + 20 <= 21): the firm files for 7 t.
    resolved = build(
        f"""
        authority:
          controls: {{m: true}}
          review: {{time: 100d}}
          outcomes: [{{approve: 1, deny: 0, return: 0}}]
          general_licences: [{{{grantee}, start: 2025-01-01, validity: 20d}}]
        firms:
          f:
            country: us
            production: {{units_per_day: 10}}
            needs: {{m: {{rate: 1 t/d}}}}
            stockpile: {{m: 30 t}}
            ordering: {{level: 40 t}}
            transit: 5d
        """,
        horizon="30d",
    )
    records, _ = run(resolved)
    assert [(s.shipped_day, s.kg, s.route) for s in records.shipments] == [
        (0.0, 10_000.0, "exports"),
        (7.0, 7_000.0, "exports"),
        (14.0, 7_000.0, "exports"),
    ]
    assert [(f.day, f.application_id) for f in records.filings] == [(21.0, 1)]


def test_general_licence_for_another_destination_does_not_apply() -> None:
    resolved = build(
        """
        authority:
          controls: {m: true}
          review: {time: 100d}
          outcomes: [{approve: 1, deny: 0, return: 0}]
          general_licences: [{destinations: [jp], start: 2025-01-01, validity: 20d}]
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 30 t}
            ordering: {level: 40 t}
        """,
        horizon="30d",
    )
    records, _ = run(resolved)
    assert records.shipments == ()
    assert [f.day for f in records.filings] == [0.0]


# --- 9. producers and gray channels -------------------------------------------------------------
@pytest.mark.parametrize(
    ("review", "expected"),
    [
        # Producer: 100 kg/day from day 10 (2025-01-11), lead time 5d. Reviewing every 20 days:
        # day 0 nothing yet; day 20: 10 days of output = 1 t; then 20 days' output = 2 t each time.
        (
            "20d",
            [(20.0, 1_000.0), (40.0, 2_000.0), (60.0, 2_000.0), (80.0, 2_000.0), (100.0, 2_000.0)],
        ),
        # Every 50 days: day 50 finds 40 days' output but the bucket holds 30 days: 3 t; day 100
        # finds 50 days' worth, again capped at 3 t.
        ("50d", [(50.0, 3_000.0), (100.0, 3_000.0)]),
    ],
)
def test_producer_available_from_and_capacity_bucket(
    review: str, expected: list[tuple[float, float]]
) -> None:
    resolved = build(
        AUTH_APPROVE.format(controlled="false", review="10d"),
        f"""
        firms:
          f:
            country: us
            production: {{units_per_day: 10}}
            needs: {{m: {{rate: 1 t/d}}}}
            stockpile: {{m: 500 t}}
            ordering: {{level: 1000 t, review_period: {review}}}
            suppliers: [p]
        producers:
          p: {{capacity: {{m: 100 kg/d}}, lead_time: 5d, available_from: 2025-01-11}}
        """,
        horizon="120d",
    )
    records, kpis = run(resolved)
    assert ships(records) == [(d, d + 5.0, kg, "producer", "p", False) for d, kg in expected]
    total = sum(kg for _, kg in expected)
    assert kpis["firms.f.alternative_kg"] == total
    assert records.firms[0].received_kg[0] == total
    assert kpis["materials.m.exports_kg"] == 0.0


def test_producer_capacity_is_shared_by_its_buyers() -> None:
    # Two firms draw from one 100 kg/day producer, both reviewing every 20 days. On each review
    # day the first firm to act takes the 2 t accrued since the last draw and the other finds
    # nothing: one 2 t shipment per review day, not two. (Which firm acts first on a day depends
    # on when their wake-ups were scheduled; that order is not the point here.)
    resolved = build(
        AUTH_APPROVE.format(controlled="false", review="10d"),
        """
        firms:
          f: &firm
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 500 t}
            ordering: {level: 1000 t, review_period: 20d}
            suppliers: [p]
          g: *firm
        producers:
          p: {capacity: {m: 100 kg/d}, lead_time: 5d}
        """,
        horizon="70d",
    )
    records, _ = run(resolved)
    assert [(s.shipped_day, s.kg) for s in records.shipments] == [
        (20.0, 2_000.0),
        (40.0, 2_000.0),
        (60.0, 2_000.0),
    ]
    assert {s.firm for s in records.shipments} <= {"f", "g"}


GRAY = """
    authority:
      controls: {{m: true}}
      review: {{time: 10d}}
      outcomes: [{{approve: 1, deny: 0, return: 0}}]
    firms:
      f:
        country: us
        production: {{units_per_day: 10}}
        needs: {{m: {{rate: 1 t/d}}}}
        stockpile: {{m: 500 t}}
        ordering: {{level: 1000 t, review_period: 10d}}
        suppliers: [t]
    smuggling:
      enforcement: {enforcement}
      channels:
        t: {{capacity: {{m: 100 kg/d}}, delay: 5d, interdiction: 1.0}}
    """


@pytest.mark.parametrize(("enforcement", "seized"), [(1, True), (0, False)])
def test_gray_channel_interdiction(enforcement: int, seized: bool) -> None:
    # Channel of 100 kg/day, firm reviews every 10 days: 1 t on days 10, 20, 30, 40 (arriving 5
    # days later, all before the day-48 horizon). Interdiction 1 at enforcement 1 seizes with
    # probability 1 - 0^1 = 1: everything seized, nothing delivered. At enforcement 0 the chance
    # is 1 - 0^0 = 0: nothing seized.
    resolved = build(GRAY.format(enforcement=enforcement), horizon="48d")
    records, kpis = run(resolved)
    assert ships(records) == [
        (d, d + 5.0, 1_000.0, "gray", "t", seized) for d in (10.0, 20.0, 30.0, 40.0)
    ]
    delivered = 0.0 if seized else 4_000.0
    assert records.firms[0].received_kg[0] == delivered
    assert kpis["firms.f.gray_market_kg"] == delivered
    assert kpis["materials.m.smuggled_kg"] == delivered
    assert kpis["materials.m.seized_kg"] == 4_000.0 - delivered
    assert records.filings == ()  # exports is not among the suppliers


def test_gray_channel_is_not_used_for_uncontrolled_material() -> None:
    resolved = build(GRAY.format(enforcement=1).replace("{m: true}", "{m: false}"), horizon="48d")
    records, _ = run(resolved)
    assert records.shipments == ()


# --- 10. the timeline ---------------------------------------------------------------------------
def test_controls_lifted_mid_run_wake_the_firm_and_the_next_order_ships() -> None:
    # Reorder-point firm: position 30 t <= 40 t on day 0 -> orders 20 t; controlled, so it files
    # (a 1000-day review: never decided). On day 12 (2025-01-13) controls are lifted; the change
    # wakes the firm, whose position 18 t is below the reorder point: 20 t ship at once, day 12.
    resolved = build(
        """
        authority:
          controls: {m: true}
          review: {time: 1000d}
          outcomes: [{approve: 1, deny: 0, return: 0}]
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 30 t}
            ordering: {policy: reorder_point, reorder_point: 40 t, quantity: 20 t}
            transit: 5d
        timeline:
          - {date: 2025-01-13, name: lifted, source: gazette 1, set: {authority.controls.m: false}}
        """,
        horizon="20d",
    )
    records, _ = run(resolved)
    assert [(p.day, p.name, p.source) for p in records.policy] == [(12.0, "lifted", "gazette 1")]
    assert [f.day for f in records.filings] == [0.0]
    assert records.decisions == ()
    # Day 12: ship 20 t (position 38 t); day 17 the delivery wakes the firm: position
    # 18 - 5 + 20 = 33 t <= 40 t -> 20 t more.
    assert [(s.shipped_day, s.arrival_day, s.kg) for s in records.shipments] == [
        (12.0, 17.0, 20_000.0),
        (17.0, 22.0, 20_000.0),
    ]
    trace = records.firms[0]
    assert np.interp(12.0, trace.times, trace.stocks_kg[:, 0]) == 18_000.0


def test_capacity_change_takes_effect_on_its_date() -> None:
    # One reviewer, 20-day reviews; f and g file on day 0. On day 5 a second reviewer arrives:
    # g's review starts at once (day 5) and ends day 25, not 20 -> 40.
    body = """
        authority:
          controls: {m: true}
          review: {time: 20d, capacity: 1}
          outcomes: [{approve: 1, deny: 0, return: 0}]
        firms:
          f: &firm
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 300 t}
            ordering: {level: 400 t, apply_for: 1000 t}
          g: *firm
        """
    timeline = """
        timeline:
          - {date: 2025-01-06, name: fast track, set: {authority.review.capacity: 2}}
          - {date: 2025-01-31, name: faster reviews, set: {authority.review.time: 1d}}
        """
    records, kpis = run(build(body + timeline, horizon="60d"))
    assert [(p.day, p.name) for p in records.policy] == [
        (5.0, "fast track"),
        (30.0, "faster reviews"),
    ]
    assert [(d.firm, d.review_start_day, d.decision_day) for d in records.decisions] == [
        ("f", 0.0, 20.0),
        ("g", 5.0, 25.0),
    ]
    # Capacity 1 for 5 days then 2 for 55: 115 reviewer-days; busy 20 + 20 = 40.
    assert records.reviewer_capacity_days == 115.0
    assert kpis["authority.utilization"] == pytest.approx(40.0 / 115.0, rel=1e-12)

    records, _ = run(build(body, horizon="60d"))
    assert [(d.firm, d.review_start_day, d.decision_day) for d in records.decisions] == [
        ("f", 0.0, 20.0),
        ("g", 20.0, 40.0),
    ]


def test_event_on_the_start_date_is_in_force_from_the_start() -> None:
    resolved = build(
        """
        authority:
          controls: {m: true}
          review: {time: 20d, capacity: 1}
          outcomes: [{approve: 1, deny: 0, return: 0}]
        firms:
          f: &firm
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 300 t}
            ordering: {level: 400 t, apply_for: 1000 t}
          g: *firm
        timeline:
          - {date: 2025-01-01, name: day one, set: {authority.review.capacity: 2}}
        """,
        horizon="60d",
    )
    records, _ = run(resolved)
    assert [(p.day, p.name) for p in records.policy] == [(0.0, "day one")]
    assert [(d.firm, d.review_start_day, d.decision_day) for d in records.decisions] == [
        ("f", 0.0, 20.0),
        ("g", 0.0, 20.0),
    ]


# --- 11. two materials --------------------------------------------------------------------------
def test_production_halts_while_any_material_is_out() -> None:
    # a: 10 t, b: 50 t, both used at 1 t/day; order up to 30 t with a 100-day review period,
    # so the only order is day 0: 20 t of a, arriving after 20 days' transit.
    #   day 10: a runs out -> halt; b stays at 40 t (nothing is made, nothing used).
    #   day 20: a's 20 t arrive -> production resumes.
    #   day 40: a runs out again -> halt to the horizon (60). b: 40 - 20 = 20 t left.
    resolved = build(
        AUTH_APPROVE.format(controlled="false", review="10d").replace(
            "{m: false}", "{a: false, b: false}"
        ),
        """
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {a: {rate: 1 t/d}, b: {rate: 1 t/d}}
            stockpile: {a: 10 t, b: 50 t}
            ordering: {level: 30 t, review_period: 100d}
            transit: 20d
        """,
        horizon="60d",
        materials="{a: {}, b: {}}",
    )
    records, kpis = run(resolved)
    trace = records.firms[0]
    assert trace.materials == ("a", "b")
    assert [(s.material, s.shipped_day, s.arrival_day, s.kg) for s in records.shipments] == [
        ("a", 0.0, 20.0, 20_000.0)
    ]
    assert trace.halts == ((10.0, 20.0), (40.0, 60.0))
    assert kpis["firms.f.stockout_days"] == 30.0
    assert kpis["firms.f.production_lost_units"] == 300.0
    assert kpis["firms.f.first_stockout_day"] == 10.0
    assert list(trace.consumed_kg) == [30_000.0, 30_000.0]
    assert list(trace.final_kg) == [0.0, 20_000.0]
    b = trace.stocks_kg[:, 1]
    halted = (trace.times >= 10.0) & (trace.times <= 20.0)
    assert np.all(b[halted] == 40_000.0)


# --- engine bugs found by these narratives, now fixed ---------------------------------------------
def test_timeline_change_of_units_per_day_changes_consumption() -> None:
    # 100 kg per unit x 10 units/day = 1 t/day from 30 t. On day 10 (2025-01-11) the plant is
    # shut (0 units/day): it has used 10 t and uses nothing more, so 20 t are left at day 40 and
    # production never stands still for want of material.
    resolved = build(
        AUTH_APPROVE.format(controlled="false", review="10d"),
        """
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {per_unit: 100 kg}}
            stockpile: {m: 30 t}
            suppliers: []
        timeline:
          - {date: 2025-01-11, name: shutdown, set: {firms.f.production.units_per_day: 0}}
        """,
        horizon="40d",
    )
    records, _ = run(resolved)
    trace = records.firms[0]
    assert trace.consumed_kg[0] == 10_000.0
    assert trace.final_kg[0] == 20_000.0
    assert trace.halts == ()


def test_halt_ends_when_the_missing_material_is_no_longer_needed() -> None:
    # a: 10 t, b: 60 t, both at 1 t/day, no supplier, reviews every 7 days. a runs out on day 10:
    # halt. On day 15 (2025-01-16) the timeline sets a's use to 0 (a substitute): nothing is
    # missing any more, so production resumes at 15, not at the next review (day 21).
    # b: used 0-10 and 15-60: 55 t, 5 t left.
    resolved = build(
        AUTH_APPROVE.format(controlled="false", review="10d").replace(
            "{m: false}", "{a: false, b: false}"
        ),
        """
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {a: {rate: 1 t/d}, b: {rate: 1 t/d}}
            stockpile: {a: 10 t, b: 60 t}
            ordering: {level: 1 t, review_period: 7d}
            suppliers: []
        timeline:
          - {date: 2025-01-16, name: substitute, set: {firms.f.needs.a.rate: 0 t/d}}
        """,
        horizon="60d",
        materials="{a: {}, b: {}}",
    )
    records, _ = run(resolved)
    trace = records.firms[0]
    assert trace.halts == ((10.0, 15.0),)
    assert list(trace.consumed_kg) == [10_000.0, 55_000.0]


def test_shipment_arriving_at_the_horizon_is_not_counted_as_arrived() -> None:
    # As in test_gray_channel_interdiction at enforcement 0 but with a 45-day horizon: the day-40
    # shipment arrives at day 45 = the horizon, where SimPy stops before processing it. The firm
    # receives 3 t; the KPIs and the monthly series should say the same.
    resolved = build(GRAY.format(enforcement=0), horizon="45d")
    records, kpis = run(resolved)
    assert records.firms[0].received_kg[0] == 3_000.0  # the engine's account
    series = measure(records, resolved.scenario).series
    assert float(series["smuggled.m"].sum()) * 1000.0 == 3_000.0
    assert kpis["materials.m.smuggled_kg"] == 3_000.0
    assert kpis["firms.f.gray_market_kg"] == 3_000.0


def test_firm_using_nothing_has_undefined_cover() -> None:
    # A plant making 0 units/day uses no material: days of cover (stock / daily use) is
    # undefined, reported as NaN rather than an infinity that breaks percentiles and JSON.
    resolved = build(
        AUTH_APPROVE.format(controlled="false", review="10d"),
        """
        firms:
          f:
            country: us
            production: {units_per_day: 0}
            needs: {m: {per_unit: 1 kg}}
            suppliers: []
        """,
        horizon="40d",
    )
    records = simulate(resolved, 7, 0)
    metrics = measure(records, resolved.scenario)  # pytest turns the RuntimeWarning into an error
    assert np.all(np.isnan(metrics.series["firms.f.cover_days"]))
    assert math.isnan(metrics.kpis["firms.f.min_cover_days"])


def test_reorder_point_with_limited_capacity_does_not_split_orders_without_end() -> None:
    # Firm: 1 t/day from 5 t, reorder point 20 t, quantity 30 t; its only source is a producer of
    # 500 kg/day with a 1-day lead time, so the firm's position stays below the reorder point
    # throughout and the producer is the bottleneck: at most 500 kg/day can arrive.
    # Whatever the ordering details, a few dozen shipments should carry that in 22 days. Before
    # the fix the engine made 4112 (sizes 500 kg, 250, 125, ... 0.12 kg): from day 10 each day's
    # arrivals woke the firm twice (the delivery, then the stockout it only briefly relieved),
    # each wake drew the half-day's accrual, and the count doubled daily until shipments reached
    # the 1e-6 kg floor (about 2^29 a day): a 30-day horizon effectively never finished.
    resolved = build(
        """
        authority:
          review: {time: 10d}
          outcomes: [{approve: 1, deny: 0, return: 0}]
        firms:
          f:
            country: us
            production: {units_per_day: 1}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 5 t}
            ordering: {policy: reorder_point, reorder_point: 20 t, quantity: 30 t}
            suppliers: [p]
        producers:
          p: {capacity: {m: 500 kg/d}, lead_time: 1d}
        """,
        horizon="22d",
    )
    records, _ = run(resolved)
    assert sum(s.kg for s in records.shipments) <= 22 * 500.0 + 1e-6  # capacity holds (it does)
    assert len(records.shipments) <= 50
    assert records.events_processed <= 1_000


def test_zero_time_return_cycle_is_refused_at_load() -> None:
    # Filed at day 0, reviewed in no time, returned, resubmitted after no time, ... the clock
    # would never leave day 0: the loader refuses a resubmission delay with mean 0.
    text = """
        authority:
          controls: {m: true}
          review: {time: 0d}
          outcomes: [{approve: 0, deny: 0, return: 1}]
          resubmit_delay: 0d
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 30 t}
        """
    with pytest.raises(ScenarioError, match="resubmit_delay with a mean > 0"):
        build(text, horizon="10d")


def test_event_budget_ends_a_runaway_replication_with_its_cause() -> None:
    # A legal but absurd world: 100 background applications a day on a 10-day horizon is
    # ~1,000 arrivals. They are settled without events but count against the budget, so a
    # budget of 500 ends it with a message that names the budget and the day reached, as a
    # SimulationError (exit 3), not a hang.
    resolved = build(
        """
        authority:
          controls: {m: true}
          review: {time: 1d}
          outcomes: [{approve: 1, deny: 0, return: 0}]
          background: {rate_per_day: 100}
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 30 t}
        """,
        horizon="10d",
    )
    with pytest.raises(SimulationError, match=r"more than 500 events in one replication by day"):
        simulate(resolved, 7, 0, budget=500)
    records = simulate(resolved, 7, 0)  # the default budget lets it finish
    assert len(records.filings) > 500


def test_returned_application_is_withdrawn_when_no_longer_needed() -> None:
    # Filed day 0, reviewed 10d, returned; the resubmission is due on day 20 (resubmit 10d), but
    # controls are lifted on day 15 (2025-01-16), so the firm withdraws it: one filing, one
    # return, and the day-21 review ships without a licence.
    resolved = build(
        """
        authority:
          controls: {m: true}
          review: {time: 10d}
          outcomes: [{approve: 0, deny: 0, return: 1}]
          resubmit_delay: 10d
        firms:
          f:
            country: us
            production: {units_per_day: 10}
            needs: {m: {rate: 1 t/d}}
            stockpile: {m: 60 t}
            ordering: {level: 70 t, review_period: 7d}
            transit: 5d
        timeline:
          - {date: 2025-01-16, name: lifted, set: {authority.controls.m: false}}
        """,
        horizon="30d",
    )
    records, kpis = run(resolved)
    assert [f.day for f in records.filings] == [0.0]
    assert [(d.decision_day, d.outcome) for d in records.decisions] == [(10.0, "return")]
    assert [(s.shipped_day, s.kg) for s in records.shipments] == [(21.0, 31_000.0), (28.0, 7_000.0)]
    assert kpis["authority.applications"] == 1.0


APPLY_AHEAD = """
    authority:
      controls: {m: true}
      review: {time: 20d}
      outcomes: [{approve: 1, deny: 0, return: 0}]
    firms:
      f:
        country: us
        production: {units_per_day: 10}
        needs: {m: {rate: 1 t/d}}
        stockpile: {m: 100 t}
        ordering: {level: 30 t, review_period: 7d, apply_for: 60 t%s}
        transit: 5d
    """


def test_without_apply_ahead_the_first_filing_comes_too_late() -> None:
    # Reviews every 7 days. Position 100 - t first falls short of 30 t at the day-77 review
    # (23 t: 7 t short): the firm files then, approved at 97, shipped 97, arriving 102; stock
    # runs out at day 100: stopped 100-102.
    records, _ = run(build(APPLY_AHEAD % "", horizon="110d"))
    assert [f.day for f in records.filings] == [77.0]
    assert records.firms[0].halts == ((100.0, 102.0),)


def test_apply_ahead_files_before_an_order_falls_short() -> None:
    # apply_ahead 28d: at a review on day t the position 100 - t drawn down 28 more days is at or
    # below 30 t from t = 42, so the firm files for 60 t (apply_for) at the day-42 review;
    # approved at 62 (its licence covers 60 t), and from the day-77 review on every weekly
    # shortfall of 7 t ships against it at once: no stoppage. After the day-98 review the
    # position 30 - (t - 98) drawn down 28 days plus the 32 t still licensed falls to 30 t at
    # t = 102: the firm wakes at that computed instant and files again, ahead of need.
    records, _ = run(build(APPLY_AHEAD % ", apply_ahead: 28d", horizon="110d"))
    assert [f.day for f in records.filings] == [42.0, 102.0]
    assert [(d.decision_day, d.granted_kg) for d in records.decisions] == [(62.0, 60_000.0)]
    assert records.firms[0].halts == ()
    assert [(s.shipped_day, s.kg) for s in records.shipments] == [
        (day, 7_000.0) for day in (77.0, 84.0, 91.0, 98.0, 105.0)
    ]


def test_apply_ahead_wakes_a_reorder_point_firm_in_time() -> None:
    # Reorder point 30 t, quantity 40 t, apply_ahead 28d: the position 100 - t reaches 30 + 28 t
    # at day 42, when the firm wakes by itself and files (for 60 t); approved day 62; at day 70
    # the reorder point is reached and 40 t ship against the licence: no stoppage. The licence
    # has 20 t left; position 70 - (t - 70) - 28 + 20 <= 30 from day 102: it files again then.
    text = (APPLY_AHEAD % ", apply_ahead: 28d").replace(
        "{level: 30 t, review_period: 7d,",
        "{policy: reorder_point, reorder_point: 30 t, quantity: 40 t,",
    )
    records, _ = run(build(text, horizon="110d"))
    assert [f.day for f in records.filings] == [42.0, 102.0]
    assert [(s.shipped_day, s.kg) for s in records.shipments] == [(70.0, 40_000.0)]
    assert records.firms[0].halts == ()


# --- the engine's own guards (worlds the loader refuses, built directly) ------------------------
def _direct(data: dict, changes: tuple = ()) -> ResolvedScenario:
    """A resolved scenario straight from the schema, skipping the loader's range checks: the
    engine must stay finite on such worlds by itself (its backstop, should a check be missed)."""
    scenario = Scenario.model_validate(data)
    return ResolvedScenario("<direct>", scenario, changes, data, "direct")


def test_a_line_reserve_late_in_a_long_run_is_reached_despite_the_clock_resolution() -> None:
    # 100 years; production starts on day 36,000 at 10,000 t/day with 1,000,000 t on hand, in two
    # lines: the second keeps back 1e-5 days of full use (100 kg). It stops just before day
    # 36,100, the first runs on at half the use until day 36,100. Near day 36,100 the float clock
    # resolves ~7e-12 days, in which 10,000 t/day use 7e-5 kg, more than the rounding allowance
    # on a 100 kg reserve (~1e-6 kg): without a tolerance in time the importer was woken at the
    # same instant forever (the event budget of 1,000 ended the run).
    firm = {
        "country": "us",
        "production": {
            "units_per_day": 0,
            "lines": {
                "a": {"share": 0.5},
                "b": {"share": 0.5, "priority": 2, "reserve": "0.00001d"},
            },
        },
        "needs": {"m": {"per_unit": "10 t"}},
        "stockpile": {"m": "1000000 t"},
        "ordering": {"review_period": "5000w"},
        "suppliers": [],
    }
    base = {
        "name": "late",
        "start": "2025-01-01",
        "horizon": "100y",
        "calendar": {"base": "none", "weekends": []},
        "materials": {"m": {}},
        "authority": {
            "review": {"time": "10d"},
            "outcomes": [{"approve": 1, "deny": 0, "return": 0}],
        },
        "firms": {"f": firm},
    }
    on = {
        **base,
        "firms": {"f": {**firm, "production": {**firm["production"], "units_per_day": 1000}}},
    }
    change = PolicyChange(
        36_000.0, date(2123, 7, 26), "start", "test", (), Scenario.model_validate(on)
    )
    records = simulate(_direct(base, (change,)), 7, 0, budget=1_000)
    trace = records.firms[0]
    assert trace.output_times.tolist()[1:] == [
        pytest.approx(36_100.0 - 1e-5, abs=1e-9),
        pytest.approx(36_100.0 + 1e-5, abs=1e-9),
    ]


def test_a_working_day_span_far_past_the_run_does_not_stretch_the_calendar() -> None:
    # A draw deep in a distribution's tail (here 10 million working days, ~27,000 years) would
    # need a working-day table far beyond the calendar's limit. It ends after the run whatever
    # the calendar says, so the engine answers "after the run" without building the table.
    from reesim.engine.world import World

    world = World(
        build(
            AUTH_APPROVE.format(controlled="false", review="1d"),
            """
        firms:
          f: {country: us, production: {units_per_day: 1}, needs: {m: {rate: 1 t/d}}}
        """,
            horizon="30d",
            calendar="china",
        ).scenario,
        7,
        0,
    )
    assert world.span(1e7, "wd", 5.0) == 30.0 - 5.0 + 2.0
    assert world.span(3.0, "wd", 5.0) == world.calendar.add_working_days(5.0, 3.0) - 5.0
