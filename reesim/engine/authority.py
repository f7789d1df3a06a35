"""Licence review: a FIFO queue in front of `capacity` reviewers, outcomes drawn by rule.

An application waits for a free reviewer, is reviewed for a drawn time (in working days on the
authority's calendar), and is then approved (perhaps for part of the quantity), denied, or
returned for documents; a returned application comes back after `resubmit_delay` as a new
submission of the same application. With a statutory limit counted from filing, a case still
open at the limit is either decided at the limit (`decide`) or escalated (`escalate`): its review
runs its course and the decision waits a further `escalation_delay`.

Capacity is read from the parameters in force whenever a reviewer frees up or a policy changes,
so a fast track that adds reviewers takes effect at once. Background applications from everyone
else arrive as a Poisson stream with the rate in force (memorylessness lets us redraw the
inter-arrival time at each policy change without bias).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from reesim.engine.recorder import Decision, Filing
from reesim.engine.world import World

DecisionCallback = Callable[[str, float], None]
"""Called with (outcome, granted_kg) when a firm's application is approved or denied, or with
("withdraw", 0) when a returned application is no longer needed at resubmission."""


@dataclass
class Application:
    application_id: int
    firm: str  # '' for background applications
    destination: str
    end_use: str
    material: str
    requested_kg: float
    first_filed_day: float
    on_decision: DecisionCallback | None = None
    still_needed: Callable[[], bool] | None = None
    filed_day: float = 0.0
    review_start_day: float = 0.0
    released_day: float = 0.0
    escalated: bool = False
    forced: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


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
        self._ever_unlimited = world.params.authority.review.capacity is None
        self._background_process = world.env.process(self._background())
        world.env.process(self._follow_policy())

    # --- filing -------------------------------------------------------------------------------
    def new_application(
        self,
        firm: str,
        destination: str,
        end_use: str,
        material: str,
        kg: float,
        on_decision: DecisionCallback | None,
        still_needed: Callable[[], bool] | None = None,
    ) -> Application:
        self._next_id += 1
        app = Application(
            self._next_id,
            firm,
            destination,
            end_use,
            material,
            kg,
            first_filed_day=self.world.now,
            on_decision=on_decision,
            still_needed=still_needed,
        )
        self.file(app)
        return app

    def file(self, app: Application) -> None:
        app.filed_day = self.world.now
        app.escalated = app.forced = False
        self.queue.append(app)
        self.world.recorder.filings.append(
            Filing(self.world.now, app.application_id, app.firm, app.material)
        )
        self.pending += 1
        self.world.recorder.backlog(self.world.now, self.pending)
        self._dispatch()

    # --- reviewing ----------------------------------------------------------------------------
    @property
    def capacity(self) -> int | None:
        return self.world.params.authority.review.capacity

    def _dispatch(self) -> None:
        while self.queue and (self.capacity is None or self.busy < self.capacity):
            app = self.queue.popleft()
            self._set_busy(self.busy + 1)
            self.world.env.process(self._review(app))

    def _review(self, app: Application) -> Generator[Any, Any, None]:
        world = self.world
        review = world.params.authority.review
        app.review_start_day = start = world.now
        end = start + world.draw_days(review.time, "authority.review", start)
        decision_day = end
        if review.statutory_limit is not None:
            deadline = app.filed_day + world.span_days(review.statutory_limit, app.filed_day)
            if end > deadline:
                if review.on_limit == "decide":
                    end = decision_day = max(start, deadline)
                    app.forced = True
                else:
                    assert review.escalation_delay is not None
                    app.escalated = True
                    decision_day = end + world.draw_days(
                        review.escalation_delay, "authority.escalation", end
                    )
        yield world.env.timeout(end - start)
        app.released_day = world.now
        self._set_busy(self.busy - 1)
        self._dispatch()
        if decision_day > end:
            yield world.env.timeout(decision_day - end)
        self._decide(app)

    def _set_busy(self, busy: int) -> None:
        now = min(self.world.now, self.world.horizon_days)
        self._busy_days += self.busy * (now - self._busy_since)
        self._busy_since, self.busy = now, busy

    def busy_days(self) -> float:
        """Reviewer-days spent reviewing over the horizon."""
        return self._busy_days + self.busy * (self.world.horizon_days - self._busy_since)

    def _decide(self, app: Application) -> None:
        world = self.world
        rule = world.params.authority.outcome_for(app.destination, app.end_use)
        u = float(world.streams["authority.outcome"].random())
        granted = 0.0
        if u < rule.approve:
            outcome = "approve"
            partial = float(world.streams["authority.partial"].random()) < rule.partial_probability
            granted = app.requested_kg * (rule.partial_share if partial else 1.0)
        elif u < rule.approve + rule.deny:
            outcome = "deny"
        else:
            outcome = "return"
        self.pending -= 1
        world.recorder.backlog(world.now, self.pending)
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
                world.now,
                outcome,
                app.escalated,
                app.forced,
            )
        )
        if outcome == "return":
            world.env.process(self._resubmit(app))
        elif app.on_decision is not None:
            app.on_decision(outcome, granted)

    def _resubmit(self, app: Application) -> Generator[Any, Any, None]:
        delay = self.world.draw_days(
            self.world.params.authority.resubmit_delay, "authority.resubmit", self.world.now
        )
        yield self.world.env.timeout(delay)
        if app.still_needed is not None and not app.still_needed():
            # e.g. a general licence now covers the material: the applicant lets it go
            if app.on_decision is not None:
                app.on_decision("withdraw", 0.0)
            return
        self.file(app)

    # --- policy and background ----------------------------------------------------------------
    def _follow_policy(self) -> Generator[Any, Any, None]:
        world = self.world
        capacity = self.capacity
        rate = self._background_rate()
        while True:
            yield world.policy_changed
            self._account_capacity(capacity)
            capacity = self.capacity
            self._ever_unlimited |= capacity is None
            self._dispatch()
            if self._background_rate() != rate:
                rate = self._background_rate()
                self._background_process.interrupt()

    def _background_rate(self) -> float:
        return self.world.params.authority.background.rate_per_day

    def _account_capacity(self, capacity: int | None) -> None:
        now = min(self.world.now, self.world.horizon_days)
        if capacity is not None:
            self._capacity_days += capacity * (now - self._capacity_since)
        self._capacity_since = now

    def capacity_days(self) -> float | None:
        """Reviewer-days available over the horizon; None if capacity was ever unlimited."""
        if self._ever_unlimited:
            return None
        capacity = self.capacity
        assert capacity is not None
        return self._capacity_days + capacity * (self.world.horizon_days - self._capacity_since)

    def _background(self) -> Generator[Any, Any, None]:
        world = self.world
        rng = world.streams["authority.background"]
        while True:
            rate = self._background_rate()
            try:
                if rate <= 0:
                    yield world.env.event()  # nothing arrives until the rate changes
                    continue
                yield world.env.timeout(float(rng.exponential(1.0 / rate)))
            except simpy.Interrupt:
                continue  # the rate changed; memorylessness lets us draw the gap afresh
            self.new_application("", "other", "civil", "", 0.0, None)
