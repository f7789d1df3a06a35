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

Capacity is read from the parameters in force whenever a reviewer frees up or a policy changes,
so a fast track that adds reviewers takes effect at once. Reviews, decisions and resubmissions
are scheduled calls, not processes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from reesim.engine.recorder import Decision, Filing
from reesim.engine.streams import uniform
from reesim.engine.world import World

if TYPE_CHECKING:
    from reesim.engine.schedule import Call

Rule = tuple[
    frozenset[str] | None, frozenset[str] | None, frozenset[str] | None, float, float, float, float
]
"""An outcome rule compiled: destinations, end uses, exporters (None: any), P(approve),
P(approve or deny), P(partial), partial share."""

# Draws per submission, from the application's stream: index = DRAWS * submission + offset.
DRAWS, REVIEW, ESCALATION, OUTCOME, PARTIAL, RESUBMIT = 8, 0, 1, 2, 3, 4


class Applicant(Protocol):
    """Who hears about an application: the importer that filed it."""

    def decided(self, app: Application, outcome: str, granted_kg: float) -> None:
        """Approve or deny; ("return", 0) when returned (it comes back by itself); ("withdraw",
        0) when a returned application is no longer needed at resubmission."""

    def still_needs(self, app: Application) -> bool: ...


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
        self.queue: deque[Application] = deque()
        self.busy = 0
        self.pending = 0  # filed and not yet decided (queued, in review or escalated)
        self._next_id = 0
        self._busy_days = 0.0
        self._busy_since = 0.0
        self._capacity_days = 0.0
        self._capacity_since = 0.0
        self._capacity = world.params.authority.review.capacity
        self._ever_unlimited = self._capacity is None
        self._rules_of: object = None
        self._compiled: tuple[Rule, ...] = ()
        world.listeners.append(self._follow_params)

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
        owner: Applicant | None,
    ) -> Application:
        """File a new application; `stream` keys its random draws (the filer's n-th
        application stream, so its draws do not depend on anyone else's)."""
        self._next_id += 1
        world = self.world
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
            world.env._now,
            owner,
        )
        self.file(app)
        return app

    def file(self, app: Application) -> None:
        world = self.world
        now = world.env._now
        app.filed_day = now
        app.escalated = app.forced = False
        world.recorder.filings.append(
            Filing(
                now,
                app.application_id,
                app.firm,
                app.material,
                app.destination,
                app.submission,
                app.exporter,
            )
        )
        self.pending += 1
        world.recorder.backlog(now, self.pending)
        capacity = self._capacity
        if capacity is None or self.busy < capacity:
            self._set_busy(self.busy + 1)
            self._start(app)
        else:
            self.queue.append(app)

    # --- reviewing ----------------------------------------------------------------------------
    def _dispatch(self) -> None:
        capacity = self._capacity
        while self.queue and (capacity is None or self.busy < capacity):
            self._set_busy(self.busy + 1)
            self._start(self.queue.popleft())

    def _start(self, app: Application) -> None:
        world = self.world
        review = world.params.authority.review
        base = DRAWS * app.submission
        app.review_start_day = start = world.env._now
        app.review_work = work = max(0.0, review.time.dist.quantile(uniform(app.stream, base)))
        end = start + (world.span(work, review.time.unit, start) if work > 0 else 0.0)
        decision_day = end
        limit = review.statutory_limit
        # A limit of L days, or L working days (each at least a calendar day), cannot have
        # passed by filing + L: the calendar is consulted only for reviews that run longer.
        if limit is not None and end > app.filed_day + limit.value:
            deadline = app.filed_day + world.span_days(limit, app.filed_day)
            if end > deadline:
                if review.on_limit == "decide":
                    end = decision_day = max(start, deadline)
                    app.forced = True
                else:
                    assert review.escalation_delay is not None
                    app.escalated = True
                    u = uniform(app.stream, base + ESCALATION)
                    decision_day = end + world.draw_days(review.escalation_delay, u, end)
        app.decision_day = decision_day
        world.at(end - start, self._released, app)

    def _released(self, call: Call) -> None:
        app: Application = call.arg
        app.released_day = self.world.env._now
        self._set_busy(self.busy - 1)
        self._dispatch()
        if app.decision_day > app.released_day:
            self.world.at(app.decision_day - app.released_day, self._decide_call, app)
        else:
            self._decide(app)

    def _decide_call(self, call: Call) -> None:
        self._decide(call.arg)

    def _set_busy(self, busy: int) -> None:
        now = min(self.world.env._now, self.world.horizon_days)
        self._busy_days += self.busy * (now - self._busy_since)
        self._busy_since, self.busy = now, busy

    def busy_days(self) -> float:
        """Reviewer-days spent reviewing over the horizon."""
        return self._busy_days + self.busy * (self.world.horizon_days - self._busy_since)

    def _rules(self) -> tuple[Rule, ...]:
        """The outcome rules in force as plain tuples (read once per parameter state)."""
        outcomes = self.world.params.authority.outcomes
        if outcomes is not self._rules_of:
            self._rules_of = outcomes
            self._compiled = tuple(
                (
                    None if r.destinations is None else frozenset(r.destinations),
                    None if r.end_uses is None else frozenset(r.end_uses),
                    None if r.exporters is None else frozenset(r.exporters),
                    r.approve,
                    r.approve + r.deny,
                    r.partial_probability,
                    r.partial_share,
                )
                for r in outcomes
            )
        return self._compiled

    def _rule_for(self, app: Application) -> Rule:
        """The first outcome rule in force that matches the application (the last matches all)."""
        for rule in self._rules():
            dests, uses, exporters = rule[0], rule[1], rule[2]
            if (
                (dests is None or app.destination in dests)
                and (uses is None or app.end_use in uses)
                and (exporters is None or app.exporter in exporters)
            ):
                return rule
        raise AssertionError("the last outcome rule matches every application")

    def _decide(self, app: Application) -> None:
        world = self.world
        authority = world.params.authority
        _, _, _, approve, approve_or_deny, partial_p, partial_share = self._rule_for(app)
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
        self.pending -= 1
        now = world.env._now
        world.recorder.backlog(now, self.pending)
        world.recorder.decisions.append(
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
                now,
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
        if outcome == "return":
            u = uniform(app.stream, base + RESUBMIT)
            delay = world.draw_days(authority.resubmit_delay, u, now)
            world.at(delay, self._resubmit, app)
        if app.owner is not None:
            app.owner.decided(app, outcome, granted)

    def _resubmit(self, call: Call) -> None:
        app: Application = call.arg
        if app.owner is not None and not app.owner.still_needs(app):
            # e.g. a general licence now covers the material: the applicant lets it go
            app.owner.decided(app, "withdraw", 0.0)
            return
        app.submission += 1
        self.file(app)

    # --- policy -------------------------------------------------------------------------------
    def _follow_params(self) -> None:
        now = min(self.world.env._now, self.world.horizon_days)
        if self._capacity is not None:
            self._capacity_days += self._capacity * (now - self._capacity_since)
        self._capacity_since = now
        self._capacity = self.world.params.authority.review.capacity
        self._ever_unlimited |= self._capacity is None
        self._dispatch()

    def capacity_days(self) -> float | None:
        """Reviewer-days available over the horizon; None if capacity was ever unlimited."""
        if self._ever_unlimited:
            return None
        assert self._capacity is not None
        return self._capacity_days + self._capacity * (
            self.world.horizon_days - self._capacity_since
        )
