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

from dataclasses import dataclass
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Protocol

from reesim.engine.outcomes import DRAWS, ESCALATION, RESUBMIT, Rules, draw_outcome, rules_of
from reesim.engine.recorder import Decision, Filing
from reesim.engine.reviewers import NEVER, Reviewers
from reesim.engine.streams import uniform
from reesim.engine.world import World

if TYPE_CHECKING:
    from reesim.engine.schedule import Call


Review = tuple[float, float, float, float, bool, bool]
"""A settled review: start, reviewer's release and decision days, drawn review work, forced at
the limit, escalated."""

BackgroundApplication = tuple[int, str, str, str, int, int, float]
"""A background application: id, destination, end use, material, arrival number, stream key,
arrival day. It needs no more: nobody owns it, and it ships nothing."""


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
    firm: str
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
    """The licensing authority of one replication: its review queue, the applications it
    settles and decides, and the background stream it files from (`arrivals`)."""

    def __init__(self, world: World):
        self.world = world
        self.arrivals: Arrivals | None = None
        self._next_id = 0
        self._busy_days = 0.0
        self._reviewers = Reviewers(
            world.params.authority.review.capacity,
            [(day, params.authority.review.capacity) for day, params in world.changes],
        )
        # background resubmissions due: (day, id, submission, application), a heap
        self._resubmissions: list[tuple[float, int, int, BackgroundApplication]] = []
        self._rules: list[Rules] = [rules_of(p, None) for p in world.states]

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
        world = self.world
        now = world.env._now
        self.catch_up(now)
        app.filed_day = now
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
        review = self._review(app.stream, app.submission, now)
        if review is None:
            return  # still waiting at the horizon
        start, end, decision_day, work, app.forced, app.escalated = review
        app.review_start_day, app.released_day, app.review_work = start, end, work
        app.decision_day = decision_day
        if decision_day < world.horizon_days:
            world.at_day(decision_day, self._decide_call, app)

    def file_background(
        self, destination: str, end_use: str, material: str, sequence: int, stream: int, day: float
    ) -> None:
        """File a background application arriving at `day`."""
        self._next_id += 1
        self._background(
            (self._next_id, destination, end_use, material, sequence, stream, day), 0, day
        )

    def _background(self, who: BackgroundApplication, submission: int, day: float) -> None:
        """File submission `submission` of background application `who` at `day` and settle it
        at once, nobody waiting for it: its decision is drawn under the rules in force on its
        day (if that comes before the horizon), and a returned one is queued to come back."""
        application_id, destination, end_use, material, sequence, stream, first_day = who
        world = self.world
        recorder = world.recorder
        recorder.filings.append(
            Filing(day, application_id, "", material, destination, submission, "")
        )
        review = self._review(stream, submission, day)
        if review is None:
            return
        start, end, decided, work, forced, escalated = review
        if decided >= world.horizon_days:
            return
        rules = self._rules[world.state_at(decided)]
        outcome, _ = draw_outcome(rules, destination, end_use, "", stream, submission, 0.0)
        recorder.decisions.append(
            Decision(
                application_id,
                "",
                material,
                0.0,
                0.0,
                first_day,
                day,
                start,
                end,
                decided,
                outcome,
                escalated,
                forced,
                destination,
                end_use,
                "",
                0,
                sequence,
                submission,
                work,
            )
        )
        if outcome == "return":
            u = uniform(stream, DRAWS * submission + RESUBMIT)
            again = decided + world.draw_days(rules.resubmit, u, decided)
            heappush(self._resubmissions, (again, application_id, submission + 1, who))

    def catch_up(self, until: float) -> None:
        """File every background arrival and resubmission due before `until`, in time order."""
        arrivals, resubmissions, world = self.arrivals, self._resubmissions, self.world
        while True:
            arrival = arrivals.next_day() if arrivals is not None else NEVER
            again = resubmissions[0][0] if resubmissions else NEVER
            if arrival <= again:
                if arrival >= until:
                    return
                assert arrivals is not None
                world.spend(arrival)
                arrivals.arrive()
            else:
                if again >= until:
                    return
                world.spend(again)
                _, _, submission, who = heappop(resubmissions)
                self._background(who, submission, again)

    def close(self) -> None:
        """The horizon: file what arrives before it."""
        self.catch_up(self.world.horizon_days)

    # --- reviewing ----------------------------------------------------------------------------
    def _review(self, stream: int, submission: int, filed_day: float) -> Review | None:
        """Settle the review of a submission filed at `filed_day` (everyone filed before it
        being settled): its start, the reviewer's release, the decision day, the drawn review
        work, and whether it was forced at the statutory limit or escalated. None if it is
        still waiting at the horizon (and so is everyone filed after it)."""
        world = self.world
        horizon = world.horizon_days
        start = self._reviewers.start_day(filed_day)
        if start >= horizon:
            return None
        rules = self._rules[world.state_at(start)]
        base = DRAWS * submission
        work = max(0.0, rules.review_quantile(uniform(stream, base)))
        end = start + (world.span(work, rules.review_unit, start) if work > 0 else 0.0)
        decision_day = end
        forced = escalated = False
        limit = rules.limit
        # A limit of L days, or L working days (each at least a calendar day), cannot have
        # passed by filing + L: the calendar is consulted only for reviews that run longer.
        if limit is not None and end > filed_day + limit.value:
            deadline = filed_day + world.span_days(limit, filed_day)
            if end > deadline:
                if rules.decide_at_limit:
                    end = decision_day = max(start, deadline)
                    forced = True
                else:
                    assert rules.escalation is not None
                    escalated = True
                    u = uniform(stream, base + ESCALATION)
                    decision_day = end + world.draw_days(rules.escalation, u, end)
        self._reviewers.take(start, end)
        self._busy_days += min(end, horizon) - start
        return start, end, decision_day, work, forced, escalated

    def _decide_call(self, call: Call) -> None:
        """An importer's application is decided now, under the rules now in force."""
        app: Application = call.arg
        world = self.world
        now = world.env._now
        rules = self._rules[world.state_at(now)]
        outcome, granted = draw_outcome(
            rules,
            app.destination,
            app.end_use,
            app.exporter,
            app.stream,
            app.submission,
            app.requested_kg,
        )
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
            u = uniform(app.stream, DRAWS * app.submission + RESUBMIT)
            world.at(world.draw_days(rules.resubmit, u, now), self._resubmit, app)
        assert app.owner is not None
        app.owner.decided(app, outcome, granted)

    def busy_days(self) -> float:
        """Reviewer-days spent reviewing over the horizon."""
        return self._busy_days

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
        capacity = world.states[0].authority.review.capacity
        days, since = 0.0, 0.0
        for day, params in world.changes:
            if capacity is None:
                return None
            days += capacity * (day - since)
            capacity, since = params.authority.review.capacity, day
        if capacity is None:
            return None
        return days + capacity * (world.horizon_days - since)
