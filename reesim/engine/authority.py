"""Licence review: a FIFO queue in front of `capacity` reviewers, outcomes drawn by rule.

An application waits for a free reviewer, is reviewed for a drawn time (in working days on the
authority's calendar), and is then approved (perhaps for part of the quantity), denied, or
returned for documents; a returned application comes back after `resubmit_delay` as a new
submission of the same application. With a statutory limit counted from filing, a case still
open at the limit is either decided at the limit (`decide`) or escalated (`escalate`): its review
runs its course and the decision waits a further `escalation_delay`.

Every draw about an application (review time, escalation delay, outcome, partial grant,
resubmission delay) comes from the application's own stream, indexed by its submission number:
the n-th application of an importer gets the same draws whatever else is in the queue.

**Settled at filing.** In a first-come-first-served queue an application's review start depends
only on the applications filed before it and on the number of reviewers over time, which the
dated timeline fixes in advance. So the authority settles each application when it is filed:
its review start (`reesim.engine.reviewers`), reviewer release and decision day. No event marks
a review starting or a reviewer freeing up. An importer's application costs one event, its
decision, at which the importer hears the outcome under the rules then in force.

Background applications (`reesim.engine.background`) cost no events at all. Nobody waits for
their decisions, so they are filed, reviewed and decided in arrival order, lazily: each time an
importer files, and once at the horizon, the authority first files every background arrival
(and background resubmission) due before that instant, so that everyone takes their place in
the queue in the order they arrived.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Protocol

from reesim.engine.recorder import Decision, Filing
from reesim.engine.reviewers import NEVER, Reviewers
from reesim.engine.streams import uniform
from reesim.engine.world import World
from reesim.scenario.distributions import DurationDistribution
from reesim.scenario.schema import Authority
from reesim.scenario.units import Duration

if TYPE_CHECKING:
    from reesim.engine.schedule import Call

Rule = tuple[
    frozenset[str] | None, frozenset[str] | None, frozenset[str] | None, float, float, float, float
]
"""An outcome rule compiled: destinations, end uses, exporters (None: any), P(approve),
P(approve or deny), P(partial), partial share."""

# Draws per submission, from the application's stream: index = DRAWS * submission + offset.
DRAWS, REVIEW, ESCALATION, OUTCOME, PARTIAL, RESUBMIT = 8, 0, 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class Rules:
    """What the authority reads from one parameter state, read once: the review time's
    quantile function and unit, the statutory limit, the outcome rules as plain tuples and the
    resubmission delay."""

    review_quantile: Callable[[float], float]
    review_unit: str
    limit: Duration | None
    decide_at_limit: bool
    escalation: DurationDistribution | None
    outcomes: tuple[Rule, ...]
    resubmit: DurationDistribution

    @staticmethod
    def of(authority: Authority) -> Rules:
        review = authority.review
        return Rules(
            review_quantile=review.time.dist.quantile,
            review_unit=review.time.unit,
            limit=review.statutory_limit,
            decide_at_limit=review.on_limit == "decide",
            escalation=review.escalation_delay,
            outcomes=tuple(
                (
                    None if r.destinations is None else frozenset(r.destinations),
                    None if r.end_uses is None else frozenset(r.end_uses),
                    None if r.exporters is None else frozenset(r.exporters),
                    r.approve,
                    r.approve + r.deny,
                    r.partial_probability,
                    r.partial_share,
                )
                for r in authority.outcomes
            ),
            resubmit=authority.resubmit_delay,
        )


class Applicant(Protocol):
    """Who hears about an application: the importer that filed it."""

    def decided(self, app: Application, outcome: str, granted_kg: float) -> None:
        """Approve or deny; ("return", 0) when returned (it comes back by itself); ("withdraw",
        0) when a returned application is no longer needed at resubmission."""

    def still_needs(self, app: Application) -> bool: ...


class Arrivals(Protocol):
    """Applications filed by nobody modelled (the background stream), in time order."""

    def next_day(self) -> float:
        """When the next one arrives (`NEVER` if none will)."""

    def arrive(self) -> None:
        """File the next one (at `next_day()`), or let it pass if it needs no licence."""


@dataclass(slots=True, eq=False)
class Application:
    application_id: int
    firm: str  # '' for background applications
    applicant: int
    destination: str
    end_use: str
    exporter: str
    material: str
    requested_kg: float
    sequence: int
    stream: int
    first_filed_day: float
    owner: Applicant | None = None
    submission: int = 0
    filed_day: float = 0.0
    review_start_day: float = 0.0
    released_day: float = 0.0
    decision_day: float = 0.0
    review_work: float = 0.0
    escalated: bool = False
    forced: bool = False


class LicensingAuthority:
    def __init__(self, world: World):
        self.world = world
        self.arrivals: Arrivals | None = None
        self._next_id = 0
        self._busy_days = 0.0
        self._reviewers = Reviewers(
            world.params.authority.review.capacity,
            [(day, params.authority.review.capacity) for day, params in world.changes],
        )
        self._resubmissions: list[tuple[float, int, Application]] = []  # background, a heap
        self._rules: list[Rules] = [_rules_of(p.authority) for p in world.states]

    # --- filing -------------------------------------------------------------------------------
    def new_application(
        self,
        firm: str,
        applicant: int,
        destination: str,
        end_use: str,
        exporter: str,
        material: str,
        kg: float,
        sequence: int,
        stream: int,
        owner: Applicant,
    ) -> Application:
        """File an importer's new application now; `stream` keys its random draws (the filer's
        n-th application stream, so its draws do not depend on anyone else's)."""
        now = self.world.env._now
        self._next_id += 1
        app = Application(
            self._next_id,
            firm,
            applicant,
            destination,
            end_use,
            exporter,
            material,
            kg,
            sequence,
            stream,
            now,
            owner,
        )
        self.file(app)
        return app

    def file(self, app: Application) -> None:
        """File an importer's application (new or resubmitted) now: everyone who arrived
        earlier takes their place first, then its review and decision are settled, and its
        decision is scheduled."""
        now = self.world.env._now
        self.catch_up(now)
        self._admit(app, now)
        if app.decision_day < self.world.horizon_days:
            self.world.at_day(app.decision_day, self._decide_call, app)

    def file_background(
        self, destination: str, end_use: str, material: str, sequence: int, stream: int, day: float
    ) -> None:
        """File a background application arriving at `day` (settled at once: nobody waits)."""
        self._next_id += 1
        app = Application(
            self._next_id, "", 0, destination, end_use, "", material, 0.0, sequence, stream, day
        )
        self._admit(app, day)
        self._settle_background(app)

    def catch_up(self, until: float) -> None:
        """File every background arrival and resubmission due before `until`, in time order."""
        arrivals, resubmissions, spend = self.arrivals, self._resubmissions, self.world.spend
        while True:
            arrival = arrivals.next_day() if arrivals is not None else NEVER
            again = resubmissions[0][0] if resubmissions else NEVER
            if arrival <= again:
                if arrival >= until:
                    return
                assert arrivals is not None
                spend(arrival)
                arrivals.arrive()
            else:
                if again >= until:
                    return
                spend(again)
                _, _, app = heappop(resubmissions)
                app.submission += 1
                self._admit(app, again)
                self._settle_background(app)

    def close(self) -> None:
        """The horizon: file what arrives before it."""
        self.catch_up(self.world.horizon_days)

    # --- reviewing ----------------------------------------------------------------------------
    def _admit(self, app: Application, day: float) -> None:
        """Record the filing of `app` at `day` and settle its review: start, release and
        decision day (decisions and releases at or after the horizon never happen)."""
        world = self.world
        horizon = world.horizon_days
        app.filed_day = day
        app.escalated = app.forced = False
        world.recorder.filings.append(
            Filing(
                day,
                app.application_id,
                app.firm,
                app.material,
                app.destination,
                app.submission,
                app.exporter,
            )
        )
        start = self._reviewers.start_day(day)
        if start >= horizon:
            # Still waiting at the horizon; and so is everyone filed after it (FIFO).
            app.review_start_day = app.released_day = app.decision_day = start
            return
        rules = self._rules[world.state_at(start)]
        base = DRAWS * app.submission
        app.review_start_day = start
        app.review_work = work = max(0.0, rules.review_quantile(uniform(app.stream, base)))
        end = start + (world.span(work, rules.review_unit, start) if work > 0 else 0.0)
        decision_day = end
        limit = rules.limit
        # A limit of L days, or L working days (each at least a calendar day), cannot have
        # passed by filing + L: the calendar is consulted only for reviews that run longer.
        if limit is not None and end > day + limit.value:
            deadline = day + world.span_days(limit, day)
            if end > deadline:
                if rules.decide_at_limit:
                    end = decision_day = max(start, deadline)
                    app.forced = True
                else:
                    assert rules.escalation is not None
                    app.escalated = True
                    u = uniform(app.stream, base + ESCALATION)
                    decision_day = end + world.draw_days(rules.escalation, u, end)
        app.released_day = end
        app.decision_day = decision_day
        self._reviewers.take(start, end)
        self._busy_days += min(end, horizon) - start

    def _decide_call(self, call: Call) -> None:
        app: Application = call.arg
        world = self.world
        now = world.env._now
        rules = self._rules[world.state_at(now)]
        outcome, granted = self._decide(app, now, rules)
        if outcome == "return":
            u = uniform(app.stream, DRAWS * app.submission + RESUBMIT)
            world.at(world.draw_days(rules.resubmit, u, now), self._resubmit, app)
        assert app.owner is not None
        app.owner.decided(app, outcome, granted)

    def _settle_background(self, app: Application) -> None:
        """Decide a background application now, under the rules in force on its decision day
        (if that comes before the horizon); a returned one is queued for resubmission."""
        world = self.world
        day = app.decision_day
        if day >= world.horizon_days:
            return
        rules = self._rules[world.state_at(day)]
        outcome, _ = self._decide(app, day, rules)
        if outcome == "return":
            u = uniform(app.stream, DRAWS * app.submission + RESUBMIT)
            again = day + world.draw_days(rules.resubmit, u, day)
            heappush(self._resubmissions, (again, app.application_id, app))

    def busy_days(self) -> float:
        """Reviewer-days spent reviewing over the horizon."""
        return self._busy_days

    def _decide(self, app: Application, day: float, rules: Rules) -> tuple[str, float]:
        """Draw and record the outcome of `app` at `day` under the first outcome rule that
        matches it (the last matches all)."""
        for rule in rules.outcomes:
            dests, uses, exporters = rule[0], rule[1], rule[2]
            if (
                (dests is None or app.destination in dests)
                and (uses is None or app.end_use in uses)
                and (exporters is None or app.exporter in exporters)
            ):
                break
        else:
            raise AssertionError("the last outcome rule matches every application")
        _, _, _, approve, approve_or_deny, partial_p, partial_share = rule
        base = DRAWS * app.submission
        u = uniform(app.stream, base + OUTCOME)
        granted = 0.0
        if u < approve:
            outcome = "approve"
            partial = uniform(app.stream, base + PARTIAL) < partial_p
            granted = app.requested_kg * (partial_share if partial else 1.0)
        elif u < approve_or_deny:
            outcome = "deny"
        else:
            outcome = "return"
        self.world.recorder.decisions.append(
            Decision(
                app.application_id,
                app.firm,
                app.material,
                app.requested_kg,
                granted,
                app.first_filed_day,
                app.filed_day,
                app.review_start_day,
                app.released_day,
                day,
                outcome,
                app.escalated,
                app.forced,
                app.destination,
                app.end_use,
                app.exporter,
                app.applicant,
                app.sequence,
                app.submission,
                app.review_work,
            )
        )
        return outcome, granted

    def _resubmit(self, call: Call) -> None:
        app: Application = call.arg
        assert app.owner is not None
        if not app.owner.still_needs(app):
            # e.g. a general licence now covers the material: the applicant lets it go
            app.owner.decided(app, "withdraw", 0.0)
            return
        app.submission += 1
        self.file(app)

    def capacity_days(self) -> float | None:
        """Reviewer-days available over the horizon; None if capacity was ever unlimited."""
        world = self.world
        capacity = world.params_at(0.0).authority.review.capacity
        days, since = 0.0, 0.0
        for day, params in world.changes:
            if capacity is None:
                return None
            days += capacity * (day - since)
            capacity, since = params.authority.review.capacity, day
        if capacity is None:
            return None
        return days + capacity * (world.horizon_days - since)


_RULES: dict[int, tuple[Authority, Rules]] = {}
"""`Rules` of the authority parameter states seen, by identity: the states of a scenario are
the same objects in every replication, so each is read once per process (the state is kept
with its entry, so an id is never reused while it is here)."""


def _rules_of(authority: Authority) -> Rules:
    found = _RULES.get(id(authority))
    if found is None or found[0] is not authority:
        if len(_RULES) >= 256:
            _RULES.clear()
        found = _RULES[id(authority)] = (authority, Rules.of(authority))
    return found[1]
