"""One importer: stock that drains while its lines run, orders, licences, applications.

Stock is linear in time between events, so an importer never ticks: it computes when the next
thing will happen (a line's material falling to the line's reserve, a stopped line's restart, a
review, a reorder point, a licence expiring), asks for a wake-up then, and is woken earlier by a
delivery, a licence decision or a policy change. On every wake-up it brings its stock up to the
present in one step (`advance`), updates which lines run (`_update_lines`) when one may have
changed, and orders.

Rationing: each product line runs while every material it uses stands above the line's reserve
(the stock kept back for higher-priority lines). As stock falls, the lowest-priority lines stop
first and consumption slows, so output falls in steps; a line whose material comes back restarts
after the buyer's restart lag. With one line (the default) the importer stops outright when any
material is out, as a plant that needs every part does.

This is the engine's hot path: amounts the importer reads at every step (its rates, levels,
reserves in kg) are worked out once per parameter state in `refresh`, and the step avoids
helper calls where a line of arithmetic does.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from reesim.engine import ordering, sourcing
from reesim.engine.sourcing import Licence
from reesim.engine.tolerance import EPS_KG, TICK_DAYS

if TYPE_CHECKING:
    from reesim.engine.authority import Application
    from reesim.engine.buyer import Buyer
    from reesim.engine.schedule import Call

_INF = math.inf


class Applicant:
    """An importer of a buyer: its share (`scale`) of the buyer's needs and its own state."""

    __slots__ = (
        "buyer",
        "world",
        "env",
        "index",
        "scale",
        "exporter",
        "aware",
        "customer_u",
        "stock",
        "initial",
        "pipeline",
        "on_order",
        "received",
        "consumed",
        "slope",
        "running",
        "restart_at",
        "pending",
        "licences",
        "sequence",
        "shipments",
        "t",
        "next_review",
        "retry_day",
        "review_now",
        "call_off",
        "params_changed",
        "boost_from",
        "ever_short",
        "rate",
        "level_kg",
        "point_kg",
        "quantity_kg",
        "apply_for_kg",
        "reserves",
        "lines_due",
        "line_event",
        "line_event_stale",
        "order_event",
        "_wake",
        "_wake_day",
        "_streams",
    )

    def __init__(
        self,
        buyer: Buyer,
        index: int,
        scale: float,
        exporter: str,
        first_review_day: float,
        aware: bool,
    ):
        self.buyer = buyer
        self.world = buyer.world
        self.env = buyer.world.env
        self.index = index
        self.scale = scale
        self.exporter = exporter
        self.aware = aware
        self.customer_u = -1.0  # drawn when an exporter's general licence first asks
        n = len(buyer.materials)
        self.stock = [buyer.stockpile_kg[i] * scale for i in range(n)]
        self.initial = list(self.stock)
        self.pipeline = [0.0] * n
        self.on_order = [0.0] * n
        self.received = [0.0] * n
        self.consumed = [0.0] * n
        self.running = [True] * len(buyer.lines)
        self.restart_at = [_INF] * len(buyer.lines)
        self.pending = [0] * n  # applications pending per material (at most buyer.contracts)
        self.licences: list[list[Licence]] = [[] for _ in range(n)]
        self.sequence = [0] * n
        self.shipments = 0
        self.t = 0.0
        self.next_review = first_review_day
        self.retry_day = [0.0] * n
        self.review_now = False
        self.call_off = False
        self.params_changed = False
        self.boost_from = -_INF
        self.ever_short = False
        self.lines_due = True
        self.line_event = _INF
        self.line_event_stale = True
        self.order_event = _INF
        self._wake: Call | None = None
        self._wake_day = _INF
        self._streams: dict[str, int] = {}
        self.refresh()
        self.slope = self._slopes()

    def refresh(self) -> None:
        """Work out the amounts the importer reads at every step from the buyer's parameters in
        force: its planned rates, target amounts and line reserves, in kg."""
        buyer, scale = self.buyer, self.scale
        self.rate = [r * scale for r in buyer.rate]
        self.level_kg = [x * scale for x in buyer.level_kg]
        self.point_kg = [x * scale for x in buyer.threshold_kg]
        self.quantity_kg = [x * scale for x in buyer.quantity_kg]
        self.apply_for_kg = [x * scale for x in buyer.apply_for_kg]
        rate = self.rate
        self.reserves = [
            tuple((i, line.reserve_days * rate[i]) for i, _ in line.uses if rate[i] > 0)
            for line in buyer.lines
        ]

    def stream(self, mechanism: str) -> int:
        """This importer's stream for `mechanism` (transit, customs, a channel's name...)."""
        key = self._streams.get(mechanism)
        if key is None:
            key = self._streams[mechanism] = self.world.streams.key(
                mechanism, self.buyer.id, self.index
            )
        return key

    # --- stock arithmetic ---------------------------------------------------------------------
    def position(self, i: int) -> float:
        return self.stock[i] + self.on_order[i]

    def _slopes(self) -> list[float]:
        rate = self.rate
        out = [0.0] * len(rate)
        for line, running in zip(self.buyer.lines, self.running, strict=True):
            if running:
                for i, use in line.uses:
                    out[i] += use * rate[i]
        return out

    def advance(self) -> None:
        """Bring stock from the last event up to now (linear use while lines run)."""
        now = self.env._now
        dt = now - self.t
        if dt > 0:
            stock, consumed = self.stock, self.consumed
            for i, r in enumerate(self.slope):
                if r > 0:
                    s = stock[i]
                    use = r * dt
                    if use >= s - (EPS_KG + 1e-12 * s):
                        use = s
                    stock[i] = s - use
                    consumed[i] += use
            self.t = now

    def _update_lines(self) -> None:
        """Stop lines whose material reached their reserve; restart those whose material is
        back (after the restart lag)."""
        buyer = self.buyer
        now = self.env._now
        stock, running, restart_at = self.stock, self.running, self.restart_at
        share_change, stopped_change, shortage = 0.0, 0, False
        slope = self.slope
        for n, reserves in enumerate(self.reserves):
            ok = True
            for i, reserve in reserves:
                # Reached: within rounding of the level, or within a tick of use.
                if stock[i] <= reserve + EPS_KG + 1e-12 * reserve + slope[i] * TICK_DAYS:
                    ok = False
                    break
            if running[n]:
                if not ok:
                    running[n] = False
                    restart_at[n] = _INF
                    share_change -= buyer.lines[n].share
                    stopped_change += 1
                    shortage = True
            elif not ok:
                restart_at[n] = _INF  # the material went again before the restart
            else:
                if restart_at[n] == _INF:
                    restart_at[n] = now + buyer.restart_lag_days
                if now >= restart_at[n] - 1e-9:
                    running[n] = True
                    restart_at[n] = _INF
                    share_change += buyer.lines[n].share
                    stopped_change -= 1
        self.lines_due = False
        self.line_event_stale = True
        if stopped_change or share_change:
            old = self.slope
            self.slope = self._slopes()
            buyer.lines_changed(self, old, self.slope, share_change, stopped_change)
        if shortage:
            self.ever_short = True
            restock = buyer.ordering.restock
            if restock is not None and restock.on_shortage:
                self.boost_from = now

    def _next_line_event(self, now: float) -> float:
        """The next instant a running line's material reaches its reserve or a stopped line
        may restart."""
        nxt = _INF
        stock, slope = self.stock, self.slope
        for n, reserves in enumerate(self.reserves):
            if self.running[n]:
                for i, reserve in reserves:
                    r = slope[i]
                    if r > 0:
                        at = now + (stock[i] - reserve) / r
                        if at < nxt:
                            nxt = at
            elif self.restart_at[n] < nxt:
                nxt = self.restart_at[n]
        return nxt

    # --- the step -----------------------------------------------------------------------------
    def step(self) -> None:
        """Everything an importer does when woken: catch up, ration, order, sleep."""
        now = self.env._now
        self.advance()
        if self.lines_due or now >= self.line_event - 1e-9:
            self._update_lines()
        buyer = self.buyer
        if buyer.up_to:
            next_review = self.next_review
            # Reviews skipped while idle (see ordering.review_useful) are not made up late.
            while next_review < now - 1e-9:
                next_review += buyer.review_span(next_review)
            if self.review_now or now >= next_review - 1e-9:
                ordering.order_up_to(self, now)
            elif self.call_off:
                # A licence came between reviews: call off what it covers, no more. (Ordering
                # from everyone, or filing for the sliver used since the last review, would let
                # a fast authority set off a cascade of tiny orders and applications.)
                ordering.order_up_to(self, now, licensed_only=True)
            while next_review <= now + 1e-9:
                next_review += buyer.review_span(next_review)
            self.next_review = next_review
        else:
            ordering.reorder(self, now)
        ahead = _INF
        if buyer.ordering.apply_ahead is not None:
            ahead = ordering.apply_ahead(self, now)
        self.review_now = False
        self.call_off = False
        self.params_changed = False
        self._sleep(now, ahead)

    def _sleep(self, now: float, ahead: float) -> None:
        """Ask for a wake-up at the next instant something will happen by itself (`ahead`: the
        instant filing ahead becomes due)."""
        # Pure consumption moves stock along the line towards the same crossing: the instant
        # changes only when stock jumps, lines change or rates change.
        if self.line_event_stale:
            self.line_event = self._next_line_event(now)
            self.line_event_stale = False
        nxt = ordering.next_instant(self, now)
        if ahead < nxt:
            nxt = ahead
        self.order_event = nxt
        if self.line_event < nxt:
            nxt = self.line_event
        self._wake_at(now, nxt)

    def _wake_at(self, now: float, nxt: float) -> None:
        if self._wake is not None and abs(nxt - self._wake_day) <= 1e-12 * max(1.0, nxt):
            return  # already asked for
        # A pending wake-up at another instant is dropped (it will find itself stale): the
        # importer decides only at the instants its state calls for.
        self._wake = self.world.at(max(0.0, nxt - now), self._on_wake) if nxt < _INF else None
        self._wake_day = nxt

    def _on_wake(self, call: Call) -> None:
        if call is not self._wake:
            return  # superseded by an earlier wake-up
        self._wake = None
        self._wake_day = _INF
        self.step()

    # --- what reaches the importer ------------------------------------------------------------
    def deliver(self, call: Call) -> None:
        i, kg, seized = call.arg
        self.on_order[i] -= kg
        if not seized:
            self.advance()
            self.buyer.stock_arrived(i, kg)
            self.stock[i] += kg
            self.received[i] += kg
            # More stock can only restart lines, so only a stopped line needs a look.
            if not self.lines_due and not all(self.running):
                self.lines_due = True
            self.line_event_stale = True
        now = self.env._now
        if (
            self.buyer.up_to
            and not (self.review_now or self.call_off)
            and now < self.next_review - 1e-9
        ):
            # Between reviews a delivery changes no ordering decision: the position is the same
            # (stock up, on order down), so no order or filing ahead becomes due, and the next
            # ordering instant stands unless use changes. Only the lines may restart.
            slope = self.slope
            if self.lines_due:
                self._update_lines()
            if self.slope is slope:
                self.line_event = self._next_line_event(now)
                self.line_event_stale = False
                self._wake_at(now, min(self.order_event, self.line_event))
                return
        self.step()

    def decided(self, app: Application, outcome: str, granted_kg: float) -> None:
        i = self.buyer.index_of[app.material]
        restock = self.buyer.ordering.restock
        refused = outcome in ("deny", "return")
        if refused and restock is not None and restock.on_refusal:
            self.boost_from = self.env._now
        if outcome == "return":
            return  # it comes back by itself after the resubmission delay
        self.pending[i] -= 1
        if outcome == "approve" and granted_kg > EPS_KG:
            world = self.world
            validity = world.span_days(world.params.authority.licence_validity, world.env._now)
            self.licences[i].append(Licence(granted_kg, world.env._now + validity))
            if self.buyer.up_to:
                self.call_off = True
            else:
                self.review_now = True  # a licence is a decision point of the reorder policy
        self.step()

    def still_needs(self, app: Application) -> bool:
        return sourcing.needs_licence(self, self.buyer.index_of[app.material])

    def follow_params(self, rates_changed: bool) -> None:
        """New parameters are in force: rates apply from now, and ordering reconsiders."""
        self.advance()
        self.refresh()
        if rates_changed:
            old = self.slope
            self.slope = self._slopes()
            self.buyer.lines_changed(self, old, self.slope, 0.0, 0)
        self.lines_due = True
        self.line_event_stale = True
        self.params_changed = True
        self.step()

    def restock_event(self) -> None:
        """A dated event the importer restocks after: its target rises now."""
        self.advance()
        self.boost_from = self.env._now
        self.review_now = True
        self.step()

    def drop_references(self) -> None:
        """Forget pending wake-ups and applications (the replication is over)."""
        self._wake = None
        self.pending = []
        self.licences = []

    def announcement(self) -> None:
        """A rule was announced: an importer that sees it coming orders ahead at once."""
        self.review_now = True
        self.step()
