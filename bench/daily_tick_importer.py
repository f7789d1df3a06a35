"""The importers of the hand-written daily-tick model (bench/reference_daily_tick.py); no reesim
imports.

An importer's day, at 00:00: receive what arrives that day; decide which product lines run (a
line runs while every material it uses is above its reserve; a stopped line restarts
`restart_lag` after its material is back); order up to its level (plus any restocking raise) on
its review day (the morning after a licence is granted between reviews it only calls off what
the licence covers, leaving other suppliers and filing for the rest to its review day); file for a licence `apply_ahead` ahead;
then use the day's material (if a material runs out during the day, the lines that use it run
for the part of the day it lasts, and stop).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from bench.daily_tick_authority import Application

if TYPE_CHECKING:
    from bench.reference_daily_tick import Firm

EPS = 1e-6
"""kg below which an amount counts as nothing (float rounding)."""


class Importer:
    """One supply contract of a firm: its share of needs and stock, orders, licences."""

    def __init__(self, firm: Firm, index: int, scale: float, review_day: int):
        self.firm = firm
        self.index = index
        self.scale = scale
        n = len(firm.materials)
        self.stock = [firm.stockpile_kg[i] * scale for i in range(n)]
        self.on_order = [0.0] * n
        self.pending = [0] * n  # applications pending per material, one per supply contract
        self.licences: list[list[list[float]]] = [[] for _ in range(n)]  # [kg left, expiry]
        self.arrivals: dict[int, list[tuple[int, float, bool]]] = {}
        self.running = [True] * len(firm.lines)
        self.restart_at = [math.inf] * len(firm.lines)
        self.next_review = review_day
        self.review_now = False
        self.call_off = False  # a licence came since the last tick
        self.boost_from = -math.inf
        # per line: [(material, reserve kg, kg a day at full output)]
        self.line_uses = [
            [
                (i, line_reserve * firm.rate[i] * scale, use * firm.rate[i] * scale)
                for i, use in uses
            ]
            for _, uses, line_reserve in firm.lines
        ]

    # --- the day ----------------------------------------------------------------------------
    def tick(self, d: int) -> tuple[float, float, float]:
        """Day d: returns (share of planned output made, part of the day some line was down,
        part of the day every line was down)."""
        firm = self.firm
        for i, amount, seized in self.arrivals.pop(d, ()):
            self.on_order[i] -= amount
            if not seized:
                self.stock[i] += amount
        self._ration(d)
        if self.review_now or d >= self.next_review:
            self._order_up_to(d)
        elif self.call_off:
            self._order_up_to(d, licensed_only=True)
        self.review_now = self.call_off = False
        while self.next_review <= d:
            self.next_review += firm.review_days
        if firm.apply_ahead_days is not None:
            self._apply_ahead(d)
        return self._produce(d)

    def _ration(self, d: int) -> None:
        firm = self.firm
        stock = self.stock
        for n, uses in enumerate(self.line_uses):
            ok = all(stock[i] > reserve + EPS for i, reserve, _ in uses)
            if self.running[n]:
                if not ok:
                    self._stopped(n, d)
            elif not ok:
                self.restart_at[n] = math.inf
            else:
                if self.restart_at[n] == math.inf:
                    self.restart_at[n] = d + firm.restart_lag
                if d >= self.restart_at[n] - 1e-9:
                    self.running[n] = True
                    self.restart_at[n] = math.inf

    def _stopped(self, n: int, when: float) -> None:
        self.running[n] = False
        self.restart_at[n] = math.inf
        self.firm.ever_short[self.index] = True
        if self.firm.restock is not None and self.firm.restock["on_shortage"]:
            self.boost_from = when

    def _produce(self, d: int) -> tuple[float, float, float]:
        stock = self.stock
        use = [0.0] * len(stock)
        for n, uses in enumerate(self.line_uses):
            if self.running[n]:
                for i, _, need in uses:
                    use[i] += need
        lasts = [min(1.0, stock[i] / u) if u > 0 else 1.0 for i, u in enumerate(use)]
        made = down_any = 0.0
        down_all = 1.0
        for n, uses in enumerate(self.line_uses):
            part = min((lasts[i] for i, _, _ in uses), default=1.0) if self.running[n] else 0.0
            for i, _, need in uses:
                stock[i] = max(0.0, stock[i] - need * part)
            if self.running[n] and part < 1.0:
                self._stopped(n, d + part)  # ran out during the day
            made += self.firm.lines[n][0] * part
            down_any = max(down_any, 1.0 - part)
            down_all = min(down_all, 1.0 - part)
        return made, down_any, down_all

    # --- ordering ---------------------------------------------------------------------------
    def _boost(self, i: int, t: float) -> float:
        restock = self.firm.restock
        if restock is None:
            return 0.0
        age = t - self.boost_from
        if 0.0 <= age < restock["decay"]:
            return restock["raise_kg"][i] * self.scale * (1.0 - age / restock["decay"])
        return 0.0

    def _order_up_to(self, d: int, licensed_only: bool = False) -> None:
        """Order each material's target less its position; `licensed_only` (a licence granted
        since the last review): ship what licences cover, and leave other suppliers and filing
        for the rest to the next review."""
        for i in range(len(self.stock)):
            target = self.firm.level_kg[i] * self.scale + self._boost(i, d)
            shortfall = target - self.stock[i] - self.on_order[i]
            if shortfall <= EPS:
                continue
            if licensed_only:
                self._call_off(i, shortfall, d)
            else:
                self._order(i, shortfall, d)

    def _call_off(self, i: int, amount: float, d: int) -> float:
        """Ship up to `amount` against valid licences, soonest to lapse first."""
        shipped = 0.0
        self._licensed_kg(i, d)  # drops lapsed licences
        for lic in sorted(self.licences[i], key=lambda lic: lic[1]):
            take = min(lic[0], amount - shipped)
            lic[0] -= take
            shipped += take
        if shipped > 0:
            self._ship(i, shipped, self.firm.transit.draw(self.firm.model.rng), "exports")
        return shipped

    def _apply_ahead(self, d: int) -> None:
        firm = self.firm
        for i in range(len(self.stock)):
            if self.pending[i] >= self.firm.contracts or not self.needs_licence(i):
                continue
            projected = (
                self.stock[i]
                + self.on_order[i]
                - firm.rate[i] * self.scale * firm.apply_ahead_days
                + self._licensed_kg(i, d)
            )
            target = firm.level_kg[i] * self.scale + self._boost(i, d)
            if projected <= target + EPS:
                self._apply(i, target - projected)

    def needs_licence(self, i: int) -> bool:
        firm = self.firm
        return firm.model.rules.controlled(firm.materials[i], firm.country)

    def _licensed_kg(self, i: int, d: float) -> float:
        self.licences[i] = [lic for lic in self.licences[i] if lic[1] > d and lic[0] > EPS]
        return sum(lic[0] for lic in self.licences[i])

    def _order(self, i: int, amount: float, d: int) -> None:
        firm = self.firm
        model = firm.model
        material = firm.materials[i]
        controlled = self.needs_licence(i)
        rest = amount
        for name in firm.suppliers:
            if rest <= EPS:
                break
            if name == "exports":
                if not controlled:
                    self._ship(i, rest, firm.transit.draw(model.rng), "exports")
                    rest = 0.0
                    continue
                rest -= self._call_off(i, rest, d)
                if rest > EPS and self.pending[i] < firm.contracts:
                    self._apply(i, rest)
                continue
            pool = model.pools[name]
            if pool.gray and not controlled:
                continue
            taken = pool.draw(material, rest, d)
            if taken > EPS:
                rest -= taken
                if pool.gray:
                    channel = model.rules.channels[name]
                    delay = channel["delay"].draw(model.rng)
                    seized = model.rng.random() < model.rules.seizure_probability(name)
                    self._ship(i, taken, delay, "gray", seized)
                else:
                    self._ship(
                        i, taken, model.rules.producers[name]["lead"].draw(model.rng), "producer"
                    )

    def _ship(self, i: int, amount: float, delay_days: float, route: str, seized: bool = False):
        firm = self.firm
        model = firm.model
        d = int(model.env.now)
        arrival = d + max(1, round(delay_days))
        self.arrivals.setdefault(arrival, []).append((i, amount, seized))
        self.on_order[i] += amount
        material = firm.materials[i]
        if route == "exports":
            model.exports_kg[material] += amount
        elif arrival < model.horizon:
            if route == "gray":
                (model.seized_kg if seized else model.smuggled_kg)[material] += amount
                if not seized:
                    firm.gray_kg += amount
            else:
                firm.alternative_kg += amount

    def _apply(self, i: int, shortfall: float) -> None:
        firm = self.firm
        # Each supply contract without a pending application files for its share.
        ask = max(shortfall, firm.apply_for_kg[i] * self.scale) / firm.contracts
        while self.pending[i] < firm.contracts:
            self.pending[i] += 1
            app = Application(firm.id, firm.country, firm.end_use, firm.materials[i], ask, self)
            firm.model.authority.file(app)

    # --- what the authority tells the importer ----------------------------------------------
    def decided(self, app: Application, outcome: str, granted: float, now: float) -> None:
        i = self.firm.materials.index(app.material)
        restock = self.firm.restock
        if outcome in ("deny", "return") and restock is not None and restock["on_refusal"]:
            self.boost_from = now
        if outcome == "return":
            return
        self.pending[i] -= 1
        if outcome == "approve" and granted > EPS:
            self.licences[i].append([granted, now + self.firm.model.rules.validity_days])
            self.call_off = True

    def still_needs(self, app: Application) -> bool:
        return self.needs_licence(self.firm.materials.index(app.material))
