"""A hand-written, event-driven SimPy model of scenarios/examples/licence-queue.yaml: the yardstick
for reesim's speed on a small world (`make bench`), checked to agree with reesim in
tests/test_bench_references.py.

Written as an analyst would write this one world in plain SimPy, with no reesim code: an M/G/3
review queue (a `simpy.Resource` of three reviewers, first come first served) fed by a Poisson
stream of other firms' applications (0.2 a day) and by one importer's own; reviews last a
lognormal number of working days (mean 15, cv 0.5) on China's 2025 calendar; a case still open
20 working days after filing is decided at once; every decision is an approval. The importer
uses 1 t a day from 90 days of stock, orders up to 60 days of cover every week through a
licence (it applies for three months of need when an order finds no licence), and its
material arrives a week after shipping. Stock is linear between events, so nothing ticks.

`replicate(seed)` runs one replication and returns its KPIs under reesim's names.
"""

from __future__ import annotations

import math
import random
import sys
from datetime import date

import simpy

from bench.working_days import WorkingDays

START = date(2025, 1, 6)
HORIZON_DAYS = 120.0
REVIEWERS = 3
REVIEW_MEAN_WD, REVIEW_CV = 15.0, 0.5
LIMIT_WD = 20.0
BACKGROUND_PER_DAY = 0.2
USE_KG_PER_DAY = 1000.0
STOCK_KG = 90 * USE_KG_PER_DAY
LEVEL_KG = 60 * USE_KG_PER_DAY
APPLY_FOR_KG = 3 * (365.25 / 12) * USE_KG_PER_DAY  # three months of need
LICENCE_VALIDITY_DAYS = 6 * 365.25 / 12
REVIEW_PERIOD_DAYS = 7.0
TRANSIT_DAYS = 7.0

_SIGMA = math.sqrt(math.log1p(REVIEW_CV**2))
_MU = math.log(REVIEW_MEAN_WD) - _SIGMA**2 / 2
CALENDAR = WorkingDays(START, int(HORIZON_DAYS))


class Authority:
    """Reviewers, the applications they decide, and the books kept on them."""

    def __init__(self, env: simpy.Environment, rng: random.Random):
        self.env = env
        self.rng = rng
        self.reviewers = simpy.Resource(env, REVIEWERS)
        self.filed = 0
        self.pending = 0
        self.backlog_max = 0
        self.waits: list[float] = []
        self.busy_days = 0.0

    def application(self, importer: Importer | None = None):
        """One application, from filing to its decision (a SimPy process)."""
        env = self.env
        filed = env.now
        deadline = CALENDAR.add(filed, LIMIT_WD)
        self.filed += 1
        self.pending += 1
        self.backlog_max = max(self.backlog_max, self.pending)
        with self.reviewers.request() as turn:
            yield turn
            start = env.now
            end = CALENDAR.add(start, self.rng.lognormvariate(_MU, _SIGMA))
            end = min(end, max(start, deadline))  # decided at the limit if still open
            self.busy_days += min(end, HORIZON_DAYS) - start
            yield env.timeout(end - start)
        self.pending -= 1
        self.waits.append(start - filed)
        if importer is not None:
            importer.approved(filed)

    def background(self):
        while True:
            yield self.env.timeout(self.rng.expovariate(BACKGROUND_PER_DAY))
            self.env.process(self.application())


class Importer:
    """The one importer: linear stock between events, weekly order-up-to, a licence at a time."""

    def __init__(self, env: simpy.Environment, authority: Authority):
        self.env = env
        self.authority = authority
        self.stock = STOCK_KG
        self.since = 0.0
        self.on_order = 0.0
        self.licence_kg = 0.0
        self.licence_expires = -1.0
        self.pending = False
        self.applications = 0
        self.approvals = 0
        self.licence_waits: list[float] = []
        self.exported_kg = 0.0
        self.empty_since: float | None = None
        self.stockout_days = 0.0
        self.min_stock = STOCK_KG

    def advance(self) -> None:
        now = self.env.now
        used = USE_KG_PER_DAY * (now - self.since)
        if self.empty_since is None and used >= self.stock:
            self.empty_since = self.since + self.stock / USE_KG_PER_DAY
        self.stock = max(0.0, self.stock - used)
        self.min_stock = min(self.min_stock, self.stock)
        self.since = now

    def reviews(self):
        while True:
            self.order()
            yield self.env.timeout(REVIEW_PERIOD_DAYS)

    def order(self, licensed_only: bool = False) -> None:
        """Order up to the level: against the licence, and file for the rest (not when calling
        off a licence granted between reviews: the rest waits for the next review)."""
        self.advance()
        shortfall = LEVEL_KG - self.stock - self.on_order
        if shortfall <= 1e-6:
            return
        if self.licence_expires > self.env.now and self.licence_kg > 0:
            take = min(self.licence_kg, shortfall)
            self.licence_kg -= take
            shortfall -= take
            self.ship(take)
        if shortfall > 1e-6 and not self.pending and not licensed_only:
            self.pending = True
            self.applications += 1
            self.env.process(self.authority.application(self))

    def ship(self, kg: float) -> None:
        self.on_order += kg
        self.exported_kg += kg
        self.env.process(self.delivery(kg))

    def delivery(self, kg: float):
        yield self.env.timeout(TRANSIT_DAYS)
        self.advance()
        if self.empty_since is not None:
            self.stockout_days += self.env.now - self.empty_since
            self.empty_since = None
        self.on_order -= kg
        self.stock += kg

    def approved(self, first_filed: float) -> None:
        now = self.env.now
        self.pending = False
        self.approvals += 1
        self.licence_waits.append(now - first_filed)
        self.licence_kg = APPLY_FOR_KG
        self.licence_expires = now + LICENCE_VALIDITY_DAYS
        self.order(licensed_only=True)  # a new licence is called off at once

    def finish(self) -> None:
        self.advance()
        if self.empty_since is not None:
            self.stockout_days += HORIZON_DAYS - self.empty_since


def replicate(seed: int) -> dict[str, float]:
    """One replication; KPIs named as reesim names them."""
    rng = random.Random(seed)
    env = simpy.Environment()
    authority = Authority(env, rng)
    importer = Importer(env, authority)
    env.process(authority.background())
    env.process(importer.reviews())
    env.run(until=HORIZON_DAYS)
    importer.finish()
    busy = authority.busy_days
    return {
        "firms.importer.stockout_days": importer.stockout_days,
        "firms.importer.stockout_probability": float(importer.stockout_days > 0),
        "firms.importer.min_cover_days": importer.min_stock / USE_KG_PER_DAY,
        "firms.importer.applications": float(importer.applications),
        "firms.importer.approved": float(importer.approvals),
        "firms.importer.licence_wait_days": (
            sum(importer.licence_waits) / len(importer.licence_waits)
            if importer.licence_waits
            else math.nan
        ),
        "materials.ndfeb_magnet.exports_kg": importer.exported_kg,
        "authority.queue_wait_days": sum(authority.waits) / len(authority.waits),
        "authority.backlog_max": float(authority.backlog_max),
        "authority.applications": float(authority.filed),
        "authority.utilization": busy / (REVIEWERS * HORIZON_DAYS),
    }


def main(argv: list[str]) -> None:
    """``python -m bench.reference_queue [REPLICATIONS]``: mean of each KPI."""
    n = int(argv[0]) if argv else 100
    runs = [replicate(seed) for seed in range(n)]
    for name in runs[0]:
        values = [r[name] for r in runs if not math.isnan(r[name])]
        print(f"{name:40s} {sum(values) / len(values):12.4g}")


if __name__ == "__main__":
    main(sys.argv[1:])
