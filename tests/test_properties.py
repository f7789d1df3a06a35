"""Properties of the engine over randomly generated small scenarios (hypothesis).

A strategy builds a whole scenario as plain data: one or two materials, controls, a review queue
(capacity, review time in calendar or working days, statutory limit with decide or escalate),
outcome shares with partial approvals and returns, background applications, a general licence,
one or two firms with either ordering policy, stockpiles, transit and customs delays, a producer,
a gray channel with interdiction and enforcement, and a dated timeline event. The data is written
as JSON (which is YAML) and loaded like any scenario file, then simulated. The properties hold
for every scenario, whatever the parameters: physical conservation, accounting consistency of the
records, and reproducibility from (root seed, replication).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reesim.engine.recorder import RunRecords
from reesim.engine.run import simulate as engine_simulate
from reesim.experiment.executors import ProcessExecutor, SerialExecutor
from reesim.experiment.runner import run_scenario
from reesim.results.metrics import ReplicationMetrics, measure
from reesim.scenario.load import ResolvedScenario, load_text

START = date(2025, 1, 1)
SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- the scenario strategy ----------------------------------------------------------------------
def num(x: float) -> str:
    """A short decimal text for a value (scenario files take '12.5d', '300 kg/d', ...)."""
    return f"{x:.3f}".rstrip("0").rstrip(".")


@st.composite
def durations(draw: st.DrawFn, low: float, high: float, units: tuple[str, ...] = ("d",)) -> Any:
    """A duration distribution in scenario form: fixed, exponential or uniform."""
    unit = draw(st.sampled_from(units))
    kind = draw(st.sampled_from(["fixed", "exponential", "uniform"]))
    a = draw(st.floats(low, high))
    if kind == "fixed":
        return f"{num(a)}{unit}"
    if kind == "exponential":
        return {"dist": "exponential", "mean": f"{num(max(a, 0.1))}{unit}"}
    b = draw(st.floats(low, high))
    lo, hi = sorted((round(a, 3), round(b, 3)))
    if hi - lo < 0.01:
        hi = lo + 1.0
    return {"dist": "uniform", "low": f"{num(lo)}{unit}", "high": f"{num(hi)}{unit}"}


@st.composite
def scenarios(draw: st.DrawFn, random_required: bool = False) -> dict[str, Any]:
    horizon = draw(st.integers(20, 150))
    materials = ["m0", "m1"][: draw(st.integers(1, 2))]
    calendar = draw(
        st.sampled_from([{"base": "none", "weekends": []}, {"base": "china"}, {"base": "none"}])
    )

    # authority
    review: dict[str, Any] = {"time": draw(durations(0.0, 30.0, ("d", "wd")))}
    capacity = draw(st.one_of(st.none(), st.integers(1, 3)))
    if capacity is not None:
        review["capacity"] = capacity
    if draw(st.booleans()):
        review["statutory_limit"] = f"{draw(st.integers(1, 40))}d"
        review["on_limit"] = draw(st.sampled_from(["decide", "escalate"]))
        if review["on_limit"] == "escalate":
            review["escalation_delay"] = draw(durations(0.0, 20.0))
    approve = draw(st.integers(0, 1000))
    deny = draw(st.integers(0, 1000 - approve))
    outcome = {
        "approve": approve / 1000,
        "deny": deny / 1000,
        "return": "rest",
        "partial_probability": draw(st.sampled_from([0.0, 0.5, 1.0])),
        "partial_share": draw(st.sampled_from([0.1, 0.5, 0.9])),
    }
    background = draw(st.sampled_from([0.0, 0.05, 0.3]))
    authority: dict[str, Any] = {
        "controls": {m: draw(st.booleans()) for m in materials},
        "review": review,
        "outcomes": [outcome],
        # At least a day: zero would livelock (see narratives), and a returned background
        # application cycles every resubmit_delay, so tiny delays only make slow examples.
        "resubmit_delay": draw(durations(1.0, 20.0)),
        "licence_validity": f"{draw(st.integers(5, 200))}d",
        "background": {"rate_per_day": background},
    }
    if draw(st.booleans()):
        authority["customs_delay"] = {materials[0]: draw(durations(0.0, 10.0))}

    # firms
    firms: dict[str, Any] = {}
    firm_ids = ["f0", "f1"][: draw(st.integers(1, 2))]
    for fid in firm_ids:
        needs = {}
        for m in materials:
            # Zero use included: a firm may need nothing of a material at its plan.
            if draw(st.booleans()):
                rate = draw(st.one_of(st.just(0.0), st.floats(1.0, 1000.0)))
                needs[m] = {"rate": f"{num(rate)} kg/d"}
            else:
                per_unit = draw(st.one_of(st.just(0.0), st.floats(0.01, 10.0)))
                needs[m] = {"per_unit": f"{num(per_unit)} kg"}
        if random_required or draw(st.booleans()):
            low = draw(st.integers(1, 500))
            units: Any = {"dist": "uniform", "low": low, "high": low + draw(st.integers(1, 500))}
        else:
            units = draw(st.integers(0, 1000))
        if draw(st.booleans()):
            ordering: dict[str, Any] = {
                "policy": "order_up_to",
                "review_period": f"{draw(st.integers(1, 30))}d",
                "level": f"{draw(st.integers(0, 120))}d",
            }
        else:
            ordering = {
                "policy": "reorder_point",
                "reorder_point": f"{draw(st.integers(0, 60))}d",
                "quantity": f"{draw(st.integers(0, 90))}d",
            }
        if draw(st.booleans()):
            ordering["apply_for"] = f"{draw(st.integers(1, 180))}d"
        suppliers = draw(st.permutations(["exports", "p", "t"]))[: draw(st.integers(0, 3))]
        # Model 2: populations, product lines, restocking, prestocking, warm starts.
        ordering["review_phase"] = draw(st.sampled_from(["staggered", "random"]))
        ordering["warm_start"] = draw(st.booleans())
        if draw(st.booleans()):
            ordering["restock"] = {
                "raise": f"{draw(st.integers(1, 60))}d",
                "decay": f"{draw(st.integers(1, 120))}d",
                "on_shortage": draw(st.booleans()),
                "on_refusal": draw(st.booleans()),
            }
        if draw(st.booleans()):
            ordering["prestock"] = {
                "raise": f"{draw(st.integers(1, 60))}d",
                "aware_share": draw(st.sampled_from([0.0, 0.5, 1.0])),
            }
        production: dict[str, Any] = {"units_per_day": units}
        if draw(st.booleans()):
            production["lines"] = {
                "main": {"share": 0.6, "priority": 1},
                "side": {"share": 0.4, "priority": 2, "reserve": f"{draw(st.integers(0, 30))}d"},
            }
            production["restart_lag"] = f"{draw(st.integers(0, 5))}d"
        firms[fid] = {
            "country": draw(st.sampled_from(["us", "jp"])),
            "end_use": draw(st.sampled_from(["civil", "dual", "defense"])),
            "production": production,
            "needs": needs,
            "stockpile": {
                m: f"{draw(st.integers(0, 90))}d" for m in materials if draw(st.booleans())
            },
            "ordering": ordering,
            "transit": draw(durations(0.0, 40.0)),
            "suppliers": list(suppliers),
            "applicants": {
                "count": draw(st.integers(1, 4)),
                "size_cv": draw(st.sampled_from([0.0, 0.7])),
                "contracts": draw(st.integers(1, 3)),
            },
            "exporters": {"x": draw(st.sampled_from([0.0, 0.5, 1.0]))},
        }
    if draw(st.booleans()):
        holder = draw(
            st.sampled_from([{"firms": [firm_ids[0]]}, {"exporters": ["x"], "customer_share": 0.5}])
        )
        authority["general_licences"] = [
            {
                **holder,
                "start": str(START + timedelta(days=draw(st.integers(0, horizon - 1)))),
                "validity": f"{draw(st.integers(1, 100))}d",
            }
        ]
    if draw(st.booleans()):
        authority["background"]["destinations"] = {"us": 0.5}
        authority["background"]["materials"] = {materials[0]: 0.5}

    producer: dict[str, Any] = {
        "capacity": {
            m: f"{num(draw(st.floats(1.0, 2000.0)))} kg/d"
            for m in materials[: draw(st.integers(1, len(materials)))]
        },
        "lead_time": draw(durations(0.0, 60.0)),
    }
    if draw(st.booleans()):
        producer["emergency_below"] = f"{draw(st.integers(1, 30))}d"
    if draw(st.booleans()):
        producer["available_from"] = str(START + timedelta(days=draw(st.integers(-10, horizon))))
    channel = {
        "capacity": {m: f"{num(draw(st.floats(1.0, 2000.0)))} kg/d" for m in materials},
        "delay": draw(durations(0.0, 60.0)),
        "interdiction": draw(st.sampled_from([0.0, 0.3, 1.0])),
        "capacity_scales_with_enforcement": draw(st.booleans()),
    }

    scenario: dict[str, Any] = {
        "name": "random",
        "start": str(START),
        "horizon": f"{horizon}d",
        "calendar": calendar,
        "materials": {m: {} for m in materials},
        "authority": authority,
        "firms": firms,
        "producers": {"p": producer},
        "exporters": {"x": {}},
        "smuggling": {
            "enforcement": draw(st.sampled_from([0.0, 0.5, 1.0, 3.0])),
            "channels": {"t": channel},
        },
    }
    if random_required:  # no arrivals in two 20-day replications: probability e^-20
        authority["background"]["rate_per_day"] = 0.5

    if draw(st.booleans()):
        m = draw(st.sampled_from(materials))
        options = [
            (f"authority.controls.{m}", not authority["controls"][m]),
            ("authority.review.capacity", draw(st.integers(1, 3))),
            ("smuggling.enforcement", draw(st.sampled_from([0.0, 2.0]))),
            (f"producers.p.capacity.{m}", f"{num(draw(st.floats(0.0, 3000.0)))} kg/d"),
            (
                f"firms.{firm_ids[0]}.needs.{m}",
                {"rate": f"{num(draw(st.floats(0.0, 500.0)))} kg/d"},
            ),
        ]
        if not random_required:  # these could take the randomness away
            options += [
                ("authority.background.rate_per_day", draw(st.sampled_from([0.0, 0.2]))),
                (f"firms.{firm_ids[0]}.production.units_per_day", draw(st.integers(0, 1000))),
            ]
        path, value = draw(st.sampled_from(options))
        day = draw(st.integers(0, horizon - 1))
        event = {
            "date": str(START + timedelta(days=day)),
            "name": "event",
            "source": "hypothesis",
            "set": {path: value},
        }
        if draw(st.booleans()):
            event["announced"] = str(START + timedelta(days=draw(st.integers(-5, day))))
        scenario["timeline"] = [event]
        if draw(st.booleans()):
            for firm in firms.values():
                firm["ordering"]["restock"] = {"raise": "20d", "on_events": ["event"]}
    return scenario


def load(data: dict[str, Any]) -> ResolvedScenario:
    return load_text(json.dumps(data, indent=1), "<random>")


MAX_EVENTS = 100_000
"""Far more than any generated scenario needs (a few thousand); past it the run is a runaway."""


def simulate(resolved: ResolvedScenario, seed: int, replication: int) -> RunRecords:
    """The engine with a small event budget: a runaway (events multiplying without end) becomes
    an ordinary failure that hypothesis shrinks, instead of a hang."""
    return engine_simulate(resolved, seed, replication, budget=MAX_EVENTS)


def run(
    data: dict[str, Any], seed: int = 11, replication: int = 0
) -> tuple[ResolvedScenario, RunRecords]:
    resolved = load(data)
    return resolved, simulate(resolved, seed, replication)


# --- physical properties ------------------------------------------------------------------------
@SETTINGS
@given(scenarios())
def test_stock_is_never_negative(data: dict[str, Any]) -> None:
    _, records = run(data)
    for trace in records.firms:
        assert trace.stocks_kg.shape == (len(trace.times), len(trace.materials))
        assert float(np.min(trace.stocks_kg, initial=0.0)) >= 0.0
        assert np.all(trace.final_kg >= 0.0)
        assert np.all(np.diff(trace.times) >= 0.0)
        assert trace.times[0] == 0.0 and trace.times[-1] == records.horizon_days


@SETTINGS
@given(scenarios())
def test_material_is_conserved_per_firm_and_material(data: dict[str, Any]) -> None:
    # initial + received = consumed + final for every firm and material; and what was received
    # is exactly the unseized shipments to it that arrived before the horizon.
    resolved, records = run(data)
    horizon = records.horizon_days
    for trace in records.firms:
        lhs = trace.initial_kg + trace.received_kg
        rhs = trace.consumed_kg + trace.final_kg
        assert np.allclose(lhs, rhs, rtol=1e-6, atol=1e-6), (trace.firm, lhs, rhs)
        assert np.all(trace.consumed_kg >= 0.0) and np.all(trace.received_kg >= 0.0)
        assert np.array_equal(trace.final_kg, trace.stocks_kg[-1])
        for i, m in enumerate(trace.materials):
            arrived = sum(
                s.kg
                for s in records.shipments
                if s.firm == trace.firm
                and s.material == m
                and not s.seized
                and s.arrival_day < horizon
            )
            assert trace.received_kg[i] == pytest.approx(arrived, rel=1e-9, abs=1e-9)
        # While production stands still nothing is consumed: consumption is at most the
        # planned rate times the time spent producing (rates may change on the timeline, so
        # bound by the largest rate ever in force).
        stopped = sum(end - start for start, end in trace.halts)
        assert 0.0 <= stopped <= horizon + 1e-9
        states = [resolved.scenario] + [c.params for c in resolved.changes]
        units = max(u for _, u in trace.plan)  # the plan may change on the timeline too
        for i, m in enumerate(trace.materials):
            top = max(_rate(st_.firms[trace.firm].needs[m], units) for st_ in states)
            assert trace.consumed_kg[i] <= top * (horizon - stopped) * (1 + 1e-9) + 1e-6


def _rate(need: Any, units_per_day: float) -> float:
    return need.rate if need.rate is not None else need.per_unit * units_per_day


@SETTINGS
@given(scenarios())
def test_approvals_never_exceed_applications(data: dict[str, Any]) -> None:
    resolved, records = run(data)
    kpis = measure(records, resolved.scenario).kpis
    for fid in resolved.scenario.firms:
        filings = [f for f in records.filings if f.firm == fid]
        decisions = [d for d in records.decisions if d.firm == fid]
        approved = [d for d in decisions if d.outcome == "approve"]
        assert len(approved) <= len(decisions) <= len(filings)
        assert kpis[f"firms.{fid}.approved"] == len(approved)
        assert kpis[f"firms.{fid}.applications"] == len(filings)
        assert (
            kpis[f"firms.{fid}.approved"]
            + kpis[f"firms.{fid}.denied"]
            + kpis[f"firms.{fid}.returned"]
        ) <= kpis[f"firms.{fid}.applications"]
    # Every decision answers one earlier submission, and each submission is decided at most once
    # (with zero review and resubmission delays one application may be filed twice at an instant,
    # so compare multisets).
    submitted = Counter((f.application_id, f.day) for f in records.filings)
    answered = Counter((d.application_id, d.filed_day) for d in records.decisions)
    assert answered <= submitted


@SETTINGS
@given(scenarios())
def test_no_more_applications_pending_than_supply_contracts(data: dict[str, Any]) -> None:
    # An importer has at most `contracts` applications pending per material, so a buyer at most
    # count x contracts. An application is pending from its first filing to its last decision
    # (a returned one that is never refiled was withdrawn after that: counting it as ended at the
    # return can only undercount).
    resolved, records = run(data)
    first = {}
    for f in records.filings:
        first.setdefault(f.application_id, (f.day, f.firm, f.material))
    last = {d.application_id: d.decision_day for d in records.decisions}
    for fid, firm in resolved.scenario.firms.items():
        most = firm.applicants.count * firm.applicants.contracts
        for material in firm.needs:
            spans = [
                (day, last.get(app, math.inf))
                for app, (day, f, m) in first.items()
                if f == fid and m == material
            ]
            for day, _ in spans:
                # Open at `day`: filed by then and not yet decided (one decided at that very
                # instant has freed its slot).
                assert sum(1 for a, b in spans if a <= day < b) <= most


# --- accounting consistency of the records -----------------------------------------------------
@SETTINGS
@given(scenarios())
def test_records_are_consistent(data: dict[str, Any]) -> None:
    resolved, records = run(data)
    s = resolved.scenario
    horizon = records.horizon_days
    for d in records.decisions:
        assert d.first_filed_day <= d.filed_day <= d.review_start_day <= d.released_day
        assert d.released_day <= d.decision_day < horizon
        assert (d.granted_kg > 0.0) == (d.outcome == "approve" and d.requested_kg > 0.0)
        assert 0.0 <= d.granted_kg <= d.requested_kg
        assert not (d.forced and d.escalated)
        if d.forced:
            assert d.decision_day == d.released_day
    # With decide-at-the-limit in calendar days, no case outlives its limit unless its review
    # could only start after it (then it is decided as soon as it starts).
    review = s.authority.review
    if review.statutory_limit is not None and review.on_limit == "decide":
        limit = review.statutory_limit.calendar_days()
        for d in records.decisions:
            assert d.decision_day <= max(d.review_start_day, d.filed_day + limit) + 1e-9
    # Reviews running at once never exceed the largest capacity ever in force.
    capacities = [c.params.authority.review.capacity for c in resolved.changes] + [review.capacity]
    limits = [c for c in capacities if c is not None]
    if len(limits) == len(capacities):
        edges = sorted(
            [(d.review_start_day, 1) for d in records.decisions]
            + [(d.released_day, -1) for d in records.decisions]
        )
        running = np.cumsum([step for _, step in edges]) if edges else np.zeros(1)
        assert int(np.max(running, initial=0)) <= max(limits)
    # Shipments arrive after they leave, come from one of the firm's suppliers, and only gray
    # shipments are ever seized.
    for sh in records.shipments:
        assert sh.arrival_day >= sh.shipped_day
        assert sh.shipped_day >= 0.0 or (sh.route == "pipeline" and sh.arrival_day > 0.0)
        assert sh.shipped_day < horizon
        assert sh.kg > 0.0
        assert sh.supplier in s.firms[sh.firm].suppliers
        assert sh.seized is False or sh.route == "gray"
    # Halts are ordered, disjoint and within the horizon. (A halt may last zero time: with zero
    # transit a firm that runs out orders and is resupplied in the same instant.)
    for trace in records.firms:
        for a, b in trace.halts:
            assert 0.0 <= a <= b <= horizon
        for (_, end), (start, _) in zip(trace.halts, trace.halts[1:]):  # noqa: B905
            assert end <= start
    # The backlog step function integrates to the time every submission spent pending.
    # Each submission counts from its filing to the horizon, less the part after its decision.
    area = sum(horizon - f.day for f in records.filings) - sum(
        horizon - d.decision_day for d in records.decisions
    )
    times = np.append(records.backlog_times, horizon)
    assert float(np.sum(records.backlog_counts * np.diff(times))) == pytest.approx(
        area, rel=1e-9, abs=1e-9
    )
    assert records.backlog_counts[-1] == len(records.filings) - len(records.decisions)


# --- every number reported is a number ----------------------------------------------------------
@SETTINGS
@given(scenarios())
def test_kpis_and_series_are_finite_or_undefined(data: dict[str, Any]) -> None:
    """No KPI or series value is infinite: an infinity would break every mean, interval and
    JSON file it entered. What has no value (a wait with no approval, the cover of a firm
    that uses nothing) is NaN, reported as undefined."""
    resolved, records = run(data)
    metrics = measure(records, resolved.scenario)
    for name, value in metrics.kpis.items():
        assert not math.isinf(value), name
    for name, values in metrics.series.items():
        assert not np.any(np.isinf(values)), name


# --- reproducibility ----------------------------------------------------------------------------
def assert_same_metrics(a: ReplicationMetrics, b: ReplicationMetrics) -> None:
    assert a.replication == b.replication and a.events == b.events
    assert a.kpis.keys() == b.kpis.keys()
    for name in a.kpis:
        x, y = a.kpis[name], b.kpis[name]
        assert x == y or (math.isnan(x) and math.isnan(y)), name
    assert a.series.keys() == b.series.keys()
    for name in a.series:
        assert np.array_equal(a.series[name], b.series[name], equal_nan=True), name


@SETTINGS
@given(scenarios(), st.integers(0, 2**32 - 1), st.integers(0, 50))
def test_same_seed_gives_identical_results(data: dict[str, Any], seed: int, rep: int) -> None:
    resolved = load(data)
    first = simulate(resolved, seed, rep)
    simulate(resolved, seed + 1, rep + 1)  # something else in between: no shared state leaks
    second = simulate(load(data), seed, rep)
    assert_same_metrics(measure(first, resolved.scenario), measure(second, resolved.scenario))
    assert first.shipments == second.shipments
    assert first.decisions == second.decisions
    assert first.filings == second.filings
    assert first.policy == second.policy
    assert np.array_equal(first.backlog_times, second.backlog_times)
    for a, b in zip(first.firms, second.firms, strict=True):
        assert np.array_equal(a.times, b.times) and np.array_equal(a.stocks_kg, b.stocks_kg)
        assert a.halts == b.halts


@SETTINGS
@given(scenarios(random_required=True), st.integers(0, 2**32 - 1))
def test_different_replications_draw_different_numbers(data: dict[str, Any], seed: int) -> None:
    # The scenario has random output per day (uniform units_per_day, continuous: equal draws
    # have probability 0) and background applications at 0.5/day over >= 20 days (Poisson: no
    # arrival in both replications has probability e^-20; otherwise arrival times differ).
    resolved = load(data)
    r0, r1 = simulate(resolved, seed, 0), simulate(resolved, seed, 1)
    assert [t.units_per_day for t in r0.firms] != [t.units_per_day for t in r1.firms]
    assert [f.day for f in r0.filings] != [f.day for f in r1.filings]
    # The root seed matters too.
    r2 = simulate(resolved, seed + 1, 0)
    assert [t.units_per_day for t in r0.firms] != [t.units_per_day for t in r2.firms]


def test_process_executor_matches_serial() -> None:
    # One fixed, thoroughly random scenario; three replications serially and on two spawned
    # processes must give identical KPI values, replication by replication.
    data = {
        "name": "executors",
        "start": "2025-01-01",
        "horizon": "120d",
        "materials": {"m": {}},
        "authority": {
            "controls": {"m": True},
            "review": {
                "capacity": 2,
                "time": {"dist": "exponential", "mean": "10wd"},
                "statutory_limit": "20d",
            },
            "outcomes": [
                {"approve": 0.6, "deny": 0.2, "return": "rest", "partial_probability": 0.3}
            ],
            "resubmit_delay": {"dist": "uniform", "low": "2d", "high": "9d"},
            "background": {"rate_per_day": 0.2},
        },
        "firms": {
            "f": {
                "country": "us",
                "production": {"units_per_day": {"dist": "uniform", "low": 50, "high": 150}},
                "needs": {"m": {"per_unit": "2 kg"}},
                "stockpile": {"m": "30d"},
                "ordering": {"review_period": "7d", "level": "45d"},
                "transit": {"dist": "triangular", "low": "10d", "mode": "14d", "high": "30d"},
                "suppliers": ["exports", "t"],
            }
        },
        "smuggling": {
            "enforcement": 1,
            "channels": {
                "t": {
                    "capacity": {"m": "50 kg/d"},
                    "delay": {"dist": "exponential", "mean": "20d"},
                    "interdiction": 0.3,
                }
            },
        },
    }
    resolved = load(data)
    serial = run_scenario(resolved, [0, 1, 2], 99, executor=SerialExecutor())
    parallel = run_scenario(resolved, [0, 1, 2], 99, executor=ProcessExecutor(2), workers=2)
    assert serial.kpis.keys() == parallel.kpis.keys()
    for name, kpi in serial.kpis.items():
        other = parallel.kpis[name].values
        assert len(kpi.values) == 3
        assert all(
            x == y or (math.isnan(x) and math.isnan(y))
            for x, y in zip(kpi.values, other, strict=True)
        ), name
    assert serial.events_per_replication == parallel.events_per_replication
    assert parallel.provenance.replications == (0, 1, 2)
    # The replications differ from one another (otherwise equality above proves little).
    assert (
        len(
            set(serial.kpis["firms.f.stockout_days"].values)
            | set(serial.kpis["authority.applications"].values)
        )
        > 1
    )
