"""A hand-written daily-tick SimPy model of scenarios/controls-2025.yaml: the yardstick for
reesim's speed on the default scenario (`make bench`), checked to agree with reesim in
tests/test_bench_references.py.

Written as an analyst would write this one world in plain SimPy, with no reesim code, reading
the scenario's numbers from its YAML (bench/reference_inputs.py) and implementing the same
mechanisms (docs/model.md):

- each firm is one SimPy process that ticks once a day, at 00:00, firms in the order the
  scenario lists them; it loops over its importers, each with its share of the firm's needs,
  stock, orders and licences (bench/daily_tick_importer.py);
- an importer's day: receive what arrives that day, decide which product lines run (a line runs
  while every material it uses is above its reserve, (priority - 1) x reserve_step days of the
  firm's use; a stopped line restarts `restart_lag` after its material is back), order up to
  its level (plus any restocking raise) on its weekly review day (review days staggered over
  the week; the day after a licence is granted between reviews it calls off what the licence
  covers), file for a licence `apply_ahead` ahead, and
  use the day's material (if a material runs out during the day, the lines that use it run
  for the part of the day it lasts);
- suppliers in order of preference: licensed exports (uncontrolled material ships in full;
  controlled material ships against valid licences, soonest to lapse first, and the rest goes
  into applications for at least `apply_for`, one per supply contract with none pending, each
  for its share), producers outside China (capacity
  accruing into a 30-day bucket shared by all buyers, from their `available_from` date) and the
  gray channel (controlled material only; capacity divided by enforcement; each shipment seized
  with probability 1 - (1 - interdiction)^enforcement);
- a warm start: the orders of the past weeks are in transit on day 0;
- precautionary restocking: after a line stops, or an application is denied or returned, the
  importer's level rises by `restock.raise`, falling back linearly over `restock.decay`;
- the licence queue as SimPy processes (bench/daily_tick_authority.py): one process per application, reviewers as a
  `simpy.Container` of tokens (so the fast track can add reviewers), review times in working
  days on China's calendar, the statutory limit with escalation, outcome shares by destination
  and end use read at decision time, returns resubmitted after a drawn delay, a Poisson stream
  of background applications;
- the dated timeline: a process that applies each event's `set:` paths on its day.

Times inside the queue are continuous; firms act only at their daily tick, so a licence
granted at 14:00 is called off the next morning and shipping times are rounded to whole days
(tests/test_bench_references.py says what that changes). It uses one `random.Random` per
replication; it does not try to reproduce reesim's random numbers.
`replicate(seed)` runs one replication and returns its KPIs under reesim's names.
"""

from __future__ import annotations

import copy
import math
import random
import sys
from pathlib import Path
from typing import Any

import simpy
import yaml

from bench.daily_tick_authority import Authority, Pool, Rules
from bench.daily_tick_importer import Importer
from bench.reference_inputs import (
    Dist,
    Unsupported,
    days,
    kg,
    kg_per_day,
    set_path,
    stock_kg,
)
from bench.working_days import WorkingDays

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "controls-2025.yaml"


class Firm:
    """A buyer: the daily process over its importers, and its books."""

    def __init__(self, model: Model, firm_id: str, spec: dict[str, Any]):
        for key in ("exporters",):
            if spec.get(key):
                raise Unsupported(f"firms.{firm_id}.{key}")
        self.model = model
        self.id = firm_id
        self.country = spec["country"]
        self.end_use = spec.get("end_use", "civil")
        production = spec["production"]
        self.units = max(0.0, Dist(production["units_per_day"], durations=False).draw(model.rng))
        self.materials = list(spec["needs"])
        self.rate = [
            kg(need["per_unit"]) * self.units if "per_unit" in need else kg_per_day(need["rate"])
            for need in spec["needs"].values()
        ]
        self.lines = self._lines(production)
        self.restart_lag = days(production.get("restart_lag", 0))
        o = spec.get("ordering", {})
        if o.get("policy", "order_up_to") != "order_up_to" or o.get("prestock"):
            raise Unsupported(f"firms.{firm_id}.ordering: only order_up_to, without prestock")
        if o.get("review_phase", "staggered") != "staggered":
            raise Unsupported(f"firms.{firm_id}.ordering.review_phase")
        self.review_days = days(o.get("review_period", "1w"))
        self.level_kg = [stock_kg(o.get("level", "60d"), r) for r in self.rate]
        apply_for = o.get("apply_for")
        self.apply_for_kg = [stock_kg(apply_for, r) if apply_for else 0.0 for r in self.rate]
        ahead = o.get("apply_ahead")
        self.apply_ahead_days = days(ahead) if ahead is not None else None
        restock = o.get("restock")
        self.restock = None
        if restock:
            self.restock = {
                "raise_kg": [stock_kg(restock["raise"], r) for r in self.rate],
                "decay": days(restock.get("decay", "26w")),
                "on_shortage": restock.get("on_shortage", True),
                "on_refusal": restock.get("on_refusal", True),
                "on_events": set(restock.get("on_events", ())),
            }
        self.transit = Dist(spec.get("transit", "4w"))
        self.suppliers = list(spec.get("suppliers", ["exports"]))
        stockpile = spec.get("stockpile", {})
        self.stockpile_kg = [
            stock_kg(stockpile[m], r) if m in stockpile else 0.0
            for m, r in zip(self.materials, self.rate, strict=True)
        ]
        count = spec.get("applicants", 1)
        self.contracts = 1  # applications an importer may have pending per material
        if isinstance(count, dict):
            if count.get("size_cv", 0):
                raise Unsupported(f"firms.{firm_id}.applicants.size_cv")
            self.contracts = count.get("contracts", 1)
            count = count.get("count", 1)
        self.importers = [
            Importer(self, k, 1.0 / count, math.ceil(k * self.review_days / count - 1e-9))
            for k in range(count)
        ]
        self.ever_short = [False] * count
        if o.get("warm_start"):
            self._pipeline()
        # books
        self.reduced_days = self.stopped_days = self.lost_share_days = 0.0
        self.first_reduced: float | None = None
        self.min_output = 1.0
        self.gray_kg = self.alternative_kg = 0.0
        self.waits: list[float] = []
        self.outcomes = {"approve": 0, "deny": 0, "return": 0}
        self.filed = 0

    def _lines(self, production: dict[str, Any]) -> list[tuple[float, list, float]]:
        """(output share, [(material, share of its need)], reserve in days of full use)."""
        lines = production.get("lines")
        if not lines:
            return [(1.0, [(i, 1.0) for i in range(len(self.materials))], 0.0)]
        step = days(production.get("reserve_step", "2w"))
        out = []
        for line in sorted(lines.values(), key=lambda line: line.get("priority", 1)):
            needs = line.get("needs", {})
            uses = [(i, needs.get(m, line["share"])) for i, m in enumerate(self.materials)]
            reserve = line.get("reserve")
            reserve_days = (
                days(reserve) if reserve is not None else (line.get("priority", 1) - 1) * step
            )
            out.append((line["share"], [(i, s) for i, s in uses if s > 0], reserve_days))
        return out

    def _pipeline(self) -> None:
        """Warm start: one order per past review period still in transit on day 0."""
        longest = self.transit.upper()
        rng = self.model.rng
        for imp in self.importers:
            for i, rate in enumerate(self.rate):
                size = rate * imp.scale * self.review_days
                j = 1
                while (ordered := imp.next_review - j * self.review_days) + longest > 0:
                    arrival = ordered + self.transit.draw(rng)
                    if arrival > 0:
                        imp.arrivals.setdefault(max(0, round(arrival)), []).append((i, size, False))
                        imp.on_order[i] += size
                    j += 1

    def run(self):
        """The firm's daily process: at 00:00 of each day, every importer's day, then the
        firm's books. (Firms run in the order the scenario lists them; see `Pool`.)"""
        env = self.model.env
        while True:
            self.tick(int(env.now))
            yield env.timeout(1)

    def tick(self, d: int) -> None:
        """Day d for every importer, and the firm's books for the day."""
        made = down_any = 0.0
        down_all = 1.0
        for imp in self.importers:
            share, some, every = imp.tick(d)
            made += imp.scale * share
            down_any = max(down_any, some)
            down_all = min(down_all, every)
        self.reduced_days += down_any
        self.stopped_days += down_all
        self.lost_share_days += 1.0 - made
        self.min_output = min(self.min_output, made)
        if down_any > 0 and self.first_reduced is None:
            self.first_reduced = d + 1.0 - down_any

    def restock_event(self, now: float) -> None:
        for imp in self.importers:
            imp.boost_from = now
            imp.review_now = True


class Model:
    """One replication of the scenario."""

    def __init__(self, doc: dict[str, Any], seed: int):
        for key in ("exporters",):
            if doc.get(key):
                raise Unsupported(key)
        self.rng = random.Random(seed)
        self.env = simpy.Environment()
        self.start = doc["start"]
        if "end" in doc:
            self.horizon = (doc["end"] - doc["start"]).days + 1  # the end date is included
        else:
            self.horizon = math.ceil(days(doc["horizon"]))
        self.calendar = WorkingDays(self.start, self.horizon)
        events = sorted(doc.get("timeline", ()), key=lambda e: e["date"])
        edited = {path.split(".")[0] for event in events for path in event["set"]}
        # The timeline edits these sections: this replication's own copy of them.
        self.doc = {k: copy.deepcopy(v) if k in edited else v for k, v in doc.items()}
        for event in events:
            if any(path.startswith("firms.") for path in event["set"]):
                raise Unsupported(f"timeline {event['name']}: changes to firms")
            if event.get("announced"):
                raise Unsupported(f"timeline {event['name']}: announced")
        self.future = [e for e in events if (e["date"] - self.start).days > 0]
        for event in events[: len(events) - len(self.future)]:
            self._apply(event)
        self.rules = Rules(self.doc, self)
        self.pools = {name: Pool(self, name, gray=False) for name in doc.get("producers", {})}
        for name in doc.get("smuggling", {}).get("channels", {}):
            self.pools[name] = Pool(self, name, gray=True)
        materials = list(doc["materials"])
        self.exports_kg = dict.fromkeys(materials, 0.0)
        self.smuggled_kg = dict.fromkeys(materials, 0.0)
        self.seized_kg = dict.fromkeys(materials, 0.0)
        self.authority = Authority(self)
        self.firms = [Firm(self, fid, spec) for fid, spec in doc["firms"].items()]

    def _apply(self, event: dict[str, Any]) -> None:
        for path, value in event["set"].items():
            set_path(self.doc, path, value)

    def span(self, at: float, value: float, unit: str) -> float:
        """Calendar days that `value` (in `unit`, 'd' or 'wd') lasts from `at`."""
        if unit == "wd":
            return self.calendar.add(at, value) - at if value > 0 else 0.0
        return value

    def timeline(self):
        for event in self.future:
            yield self.env.timeout((event["date"] - self.start).days - self.env.now)
            self._apply(event)
            self.rules = Rules(self.doc, self)
            self.authority.follow_rules()
            for firm in self.firms:
                if firm.restock is not None and event["name"] in firm.restock["on_events"]:
                    firm.restock_event(self.env.now)

    def run(self) -> dict[str, float]:
        env = self.env
        env.process(self.timeline())
        env.process(self.authority.background())
        for firm in self.firms:
            env.process(firm.run())
        env.run(until=self.horizon)
        return self.kpis()

    def kpis(self) -> dict[str, float]:
        out: dict[str, float] = {}
        h = self.horizon
        for f in self.firms:
            p = f"firms.{f.id}"
            out[f"{p}.stockout_days"] = f.reduced_days
            out[f"{p}.stopped_days"] = f.stopped_days
            out[f"{p}.production_lost_pct"] = 100.0 * f.lost_share_days / h
            out[f"{p}.stockout_probability"] = float(f.reduced_days > 0)
            out[f"{p}.stop_probability"] = float(f.stopped_days > 0)
            out[f"{p}.first_stockout_day"] = (
                f.first_reduced if f.first_reduced is not None else math.nan
            )
            out[f"{p}.min_output_pct"] = 100.0 * f.min_output
            if len(f.importers) > 1:
                out[f"{p}.applicants_short_share"] = sum(f.ever_short) / len(f.importers)
            out[f"{p}.applications"] = float(f.filed)
            for outcome, name in (
                ("approve", "approved"),
                ("deny", "denied"),
                ("return", "returned"),
            ):
                out[f"{p}.{name}"] = float(f.outcomes[outcome])
            out[f"{p}.licence_wait_days"] = sum(f.waits) / len(f.waits) if f.waits else math.nan
            out[f"{p}.gray_market_kg"] = f.gray_kg
            out[f"{p}.alternative_kg"] = f.alternative_kg
        for m in self.exports_kg:
            out[f"materials.{m}.exports_kg"] = self.exports_kg[m]
            out[f"materials.{m}.smuggled_kg"] = self.smuggled_kg[m]
            out[f"materials.{m}.seized_kg"] = self.seized_kg[m]
        out.update(self.authority.kpis())
        return out


def load(path: Path = SCENARIO) -> dict[str, Any]:
    """The scenario document (plain YAML data)."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def replicate(seed: int, doc: dict[str, Any] | None = None) -> dict[str, float]:
    """One replication; KPIs named as reesim names them."""
    return Model(doc if doc is not None else load(), seed).run()


def main(argv: list[str]) -> None:
    """``python -m bench.reference_daily_tick [REPLICATIONS]``: mean of each KPI."""
    n = int(argv[0]) if argv else 20
    doc = load()
    runs = [replicate(seed, doc) for seed in range(n)]
    for name in runs[0]:
        values = [r[name] for r in runs if not math.isnan(r[name])]
        mean = sum(values) / len(values) if values else math.nan
        print(f"{name:45s} {mean:14.4g}")


if __name__ == "__main__":
    main(sys.argv[1:])
