"""The licence queue, the rules in force and the shared supply pools of the hand-written daily-tick
model (bench/reference_daily_tick.py); no reesim imports.

Each application is a SimPy process: it takes a reviewer token from a `simpy.Container`
(first come first served; the timeline adds tokens when the fast track adds reviewers), is
reviewed for a drawn number of working days, is decided (at once, at the statutory limit, or
after an escalation delay) by the outcome rule in force for its destination and end use, and
if returned is filed again after a drawn delay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.reference_inputs import Dist, Unsupported, days, duration, kg_per_day, share_triple

if TYPE_CHECKING:
    from bench.reference_daily_tick import Importer, Model

import simpy

CAPACITY_WINDOW_DAYS = 30.0
"""A producer or channel holds at most this many days of its output for buyers (docs/model.md)."""


class Rules:
    """The parameters in force, read from the (timeline-updated) scenario document."""

    def __init__(self, doc: dict[str, Any], model: Model):
        a = doc["authority"]
        if a.get("general_licences") or a.get("customs_delay"):
            raise Unsupported("authority.general_licences / customs_delay")
        review = a["review"]
        capacity = review.get("capacity")
        self.capacity = None if capacity in (None, "unlimited") else int(capacity)
        self.review = Dist(review["time"])
        limit = review.get("statutory_limit")
        self.limit = duration(limit) if limit is not None else None
        self.on_limit = review.get("on_limit", "decide")
        escalation = review.get("escalation_delay")
        self.escalation = Dist(escalation) if escalation is not None else None
        self.outcomes = []
        for rule in a["outcomes"]:
            if rule.get("exporters"):
                raise Unsupported("authority.outcomes[].exporters")
            approve, deny = share_triple(rule)
            self.outcomes.append(
                (
                    set(rule["destinations"]) if "destinations" in rule else None,
                    set(rule["end_uses"]) if "end_uses" in rule else None,
                    approve,
                    deny,
                    float(rule.get("partial_probability", 0.0)),
                    float(rule.get("partial_share", 0.5)),
                )
            )
        self.resubmit = Dist(a.get("resubmit_delay", "3w"))
        self.validity_days = days(a.get("licence_validity", "6mo"))
        background = a.get("background", {})
        if any(background.get(k) for k in ("destinations", "end_uses", "materials")):
            raise Unsupported("authority.background shares")
        self.background_rate = float(background.get("rate_per_day", 0.0))
        self.controls = a.get("controls", {})
        smuggling = doc.get("smuggling", {})
        self.enforcement = float(smuggling.get("enforcement", 1.0))
        self.channels = {
            name: {
                "capacity": {m: kg_per_day(v) for m, v in spec["capacity"].items()},
                "delay": Dist(spec["delay"]),
                "interdiction": float(spec.get("interdiction", 0.0)),
                "scales": bool(spec.get("capacity_scales_with_enforcement", False)),
            }
            for name, spec in smuggling.get("channels", {}).items()
        }
        self.producers = {}
        for name, spec in doc.get("producers", {}).items():
            if spec.get("emergency_below") is not None:
                raise Unsupported(f"producers.{name}.emergency_below")
            since = spec.get("available_from")
            self.producers[name] = {
                "capacity": {m: kg_per_day(v) for m, v in spec["capacity"].items()},
                "lead": Dist(spec["lead_time"]),
                "from_day": max(0, (since - model.start).days) if since else 0,
            }

    def controlled(self, material: str, destination: str) -> bool:
        rule = self.controls.get(material, False)
        return rule if isinstance(rule, bool) else destination in rule

    def outcome(self, destination: str, end_use: str) -> tuple[float, float, float, float]:
        for dests, uses, approve, deny, partial_p, partial_share in self.outcomes:
            if (dests is None or destination in dests) and (uses is None or end_use in uses):
                return approve, deny, partial_p, partial_share
        raise ValueError("no outcome rule matches")

    def rate(self, pool: str, material: str) -> float:
        if pool in self.producers:
            return self.producers[pool]["capacity"].get(material, 0.0)
        channel = self.channels[pool]
        rate = channel["capacity"].get(material, 0.0)
        if channel["scales"] and self.enforcement > 1.0:
            rate /= self.enforcement
        return rate

    def seizure_probability(self, channel: str) -> float:
        return 1.0 - (1.0 - self.channels[channel]["interdiction"]) ** self.enforcement


class Pool:
    """Capacity of a producer or gray channel, per material, shared by every buyer: it accrues
    at the rate in force into a bucket of at most `CAPACITY_WINDOW_DAYS` of output."""

    def __init__(self, model: Model, name: str, gray: bool):
        self.model = model
        self.name = name
        self.gray = gray
        self.stored: dict[str, float] = {}
        self.since: dict[str, float] = {}

    def draw(self, material: str, wanted: float, now: float) -> float:
        rules = self.model.rules
        start = rules.producers[self.name]["from_day"] if not self.gray else 0.0
        if now < start:
            return 0.0
        rate = rules.rate(self.name, material)
        since = max(self.since.get(material, start), start)
        available = min(
            self.stored.get(material, 0.0) + rate * (now - since), rate * CAPACITY_WINDOW_DAYS
        )
        taken = min(wanted, available)
        self.stored[material] = available - taken
        self.since[material] = now
        return taken


@dataclass(eq=False)
class Application:
    firm: str  # '' for background applications
    destination: str
    end_use: str
    material: str
    requested_kg: float
    owner: Importer | None
    first_filed: float = field(default=math.nan)


class Authority:
    """Reviewers and every application's life, with the books the KPIs need."""

    def __init__(self, model: Model):
        self.model = model
        env = model.env
        self.capacity = model.rules.capacity
        self.reviewers = simpy.Container(
            env, capacity=math.inf, init=self.capacity if self.capacity is not None else 10**9
        )
        self.capacity_days = 0.0
        self.capacity_since = 0.0
        self.busy_days = 0.0
        self.pending = self.backlog_max = self.filed = 0
        self.waits: list[float] = []

    def file(self, app: Application) -> None:
        app.first_filed = self.model.env.now
        self.model.env.process(self._life(app))

    def _life(self, app: Application):
        model = self.model
        env, rng, horizon = model.env, model.rng, model.horizon
        owner = app.owner
        while True:
            filed = env.now
            self.filed += 1
            if owner is not None:
                owner.firm.filed += 1
            self.pending += 1
            self.backlog_max = max(self.backlog_max, self.pending)
            yield self.reviewers.get(1)
            start = env.now
            rules = model.rules
            end = decision = start + model.span(start, rules.review.draw(rng), rules.review.unit)
            if rules.limit is not None:
                deadline = filed + model.span(filed, *rules.limit)
                if end > deadline:
                    if rules.on_limit == "decide":
                        end = decision = max(start, deadline)
                    else:
                        assert rules.escalation is not None
                        delay = rules.escalation.draw(rng)
                        decision = end + model.span(end, delay, rules.escalation.unit)
            if start < horizon:
                self.busy_days += min(end, horizon) - start
            yield env.timeout(end - start)
            self.reviewers.put(1)
            if decision > env.now:
                yield env.timeout(decision - env.now)
            self.pending -= 1
            self.waits.append(start - filed)
            now = env.now
            approve, deny, partial_p, partial_share = model.rules.outcome(
                app.destination, app.end_use
            )
            u = rng.random()
            granted = 0.0
            if u < approve:
                outcome = "approve"
                partial = rng.random() < partial_p
                granted = app.requested_kg * (partial_share if partial else 1.0)
            elif u < approve + deny:
                outcome = "deny"
            else:
                outcome = "return"
            if owner is None:
                if outcome != "return":
                    return
            else:
                owner.firm.outcomes[outcome] += 1
                if outcome == "approve":
                    owner.firm.waits.append(now - app.first_filed)
                owner.decided(app, outcome, granted, now)
                if outcome != "return":
                    return
            resubmit = model.rules.resubmit
            yield env.timeout(model.span(env.now, resubmit.draw(rng), resubmit.unit))
            if owner is not None and not owner.still_needs(app):
                owner.decided(app, "withdraw", 0.0, env.now)
                return

    def background(self):
        env, rng = self.model.env, self.model.rng
        while True:
            rate = self.model.rules.background_rate
            if rate <= 0:
                return
            yield env.timeout(rng.expovariate(rate))
            self.file(Application("", "other", "civil", "", 0.0, None))

    def follow_rules(self) -> None:
        """The timeline changed the rules: adjust the number of reviewers."""
        env = self.model.env
        new = self.model.rules.capacity
        if new is None or self.capacity is None:
            if new != self.capacity:
                raise Unsupported("authority.review.capacity changing to or from unlimited")
            return
        self.capacity_days += self.capacity * (env.now - self.capacity_since)
        self.capacity_since = env.now
        if new > self.capacity:
            self.reviewers.put(new - self.capacity)
        elif new < self.capacity:
            env.process(self._retire(self.capacity - new))
        self.capacity = new

    def _retire(self, reviewers: int):
        yield self.reviewers.get(reviewers)  # as their current reviews end

    def kpis(self) -> dict[str, float]:
        h = self.model.horizon
        out = {
            "authority.queue_wait_days": sum(self.waits) / len(self.waits)
            if self.waits
            else math.nan,
            "authority.backlog_max": float(self.backlog_max),
            "authority.applications": float(self.filed),
        }
        if self.capacity is not None:
            capacity_days = self.capacity_days + self.capacity * (h - self.capacity_since)
            out["authority.utilization"] = self.busy_days / capacity_days
        return out
