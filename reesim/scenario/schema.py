"""What a world is: the scenario format as frozen pydantic models.

A scenario names materials, one licensing authority (the exporting state), buying firms,
alternative producers, gray (smuggling) channels and a dated policy timeline. Every parameter
is reachable by a dotted path (`reesim.scenario.paths`), which is how the timeline, ``--set``,
sweeps and gates change it. Models are frozen and forbid unknown keys, so a typo is an error
with a suggestion rather than a silently ignored setting.

Cross-references (a firm needing an undefined material, a supplier nobody defined) are checked
in `reesim.scenario.references`, where each problem can carry its own path and position.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reesim.scenario.distributions import DurationDistribution, NumberDistribution
from reesim.scenario.fields import DurationValue, KgValue, Name, RateKgPerDay, Share, StockValue
from reesim.scenario.units import Duration

EndUse = Literal["civil", "dual", "defense"]
EXPORTS = "exports"
"""Supplier name for licensed exports from the controlling state."""

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Material(Model):
    """A traded item, e.g. ``dysprosium`` (oxide) or ``ndfeb_magnet``. Quantities are in kg."""

    unit: Literal["kg"] = "kg"
    description: str = ""


class CalendarConfig(Model):
    """Working days for review clocks: a built-in base plus the scenario's own days."""

    base: Literal["china", "none"] = "china"
    weekends: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = ("sat", "sun")
    holidays: tuple[date, ...] = ()
    workdays: tuple[date, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        return {"base": value} if isinstance(value, str) else value


class OutcomeRule(Model):
    """Decision probabilities for applications matching `destinations` and `end_uses`.

    Rules are tried in order; the first match decides. Omitted filters match everything, and
    the last rule must match everything so that every application has an outcome. One of
    `approve`, `deny`, `return` may be ``rest``: one minus the other two.
    Of approvals, a share `partial_probability` grants only `partial_share` of the quantity.
    """

    destinations: tuple[str, ...] | None = None
    end_uses: tuple[EndUse, ...] | None = None
    approve: Share
    deny: Share
    return_: Share = Field(alias="return")
    partial_probability: Share = 0.0
    partial_share: Share = 0.5
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _fill_rest(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        keys = ("approve", "deny", "return")
        rest = [k for k in keys if value.get(k) == "rest"]
        if len(rest) > 1:
            raise ValueError(f"expected at most one share given as 'rest', got {len(rest)}")
        if rest:
            others = [value.get(k, 0.0) for k in keys if k != rest[0]]
            if all(isinstance(x, int | float) and not isinstance(x, bool) for x in others):
                value = {**value, rest[0]: max(0.0, 1.0 - sum(others))}
        return value

    @model_validator(mode="after")
    def _sums_to_one(self) -> OutcomeRule:
        total = self.approve + self.deny + self.return_
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"expected approve + deny + return = 1, got {total:g}")
        return self

    def matches(self, destination: str, end_use: str) -> bool:
        return (self.destinations is None or destination in self.destinations) and (
            self.end_uses is None or end_use in self.end_uses
        )


class Review(Model):
    """The review queue: `capacity` concurrent reviews (omit or ``unlimited`` for no limit),
    review time per application, and an optional statutory limit counted from filing.

    At the limit a pending case is either decided at once (`decide`) or escalated (`escalate`):
    its review completes as drawn and then waits a further `escalation_delay`.
    """

    capacity: int | None = Field(default=None, gt=0)
    time: DurationDistribution
    statutory_limit: DurationValue | None = None
    on_limit: Literal["decide", "escalate"] = "decide"
    escalation_delay: DurationDistribution | None = None

    @field_validator("capacity", mode="before")
    @classmethod
    def _unlimited(cls, value: Any) -> Any:
        return None if value == "unlimited" else value

    @model_validator(mode="after")
    def _escalation_needs_delay(self) -> Review:
        if self.on_limit == "escalate" and self.escalation_delay is None:
            raise ValueError("expected an escalation_delay when on_limit is 'escalate', got none")
        return self


class GeneralLicence(Model):
    """Lets the named firms or destinations ship the listed materials without per-shipment
    review from `start` for `validity` (all controlled materials when `materials` is empty)."""

    firms: tuple[str, ...] = ()
    destinations: tuple[str, ...] = ()
    materials: tuple[str, ...] = ()
    start: date
    validity: DurationValue = Duration(12.0, "mo")
    source: str = ""

    @model_validator(mode="after")
    def _names_someone(self) -> GeneralLicence:
        if not self.firms and not self.destinations:
            raise ValueError("expected firms or destinations for a general licence, got neither")
        return self


class Background(Model):
    """Applications from everyone else: a Poisson stream that loads the review queue."""

    rate_per_day: float = Field(default=0.0, ge=0.0)


class Authority(Model):
    """The exporting state's licensing authority."""

    name: str = "licensing authority"
    controls: dict[str, bool | tuple[str, ...]] = {}
    """Material -> true (all destinations), false, or the list of destinations controlled."""
    review: Review
    outcomes: tuple[OutcomeRule, ...] = Field(min_length=1)
    resubmit_delay: DurationDistribution = DurationDistribution.model_validate("3w")
    licence_validity: DurationValue = Duration(6.0, "mo")
    general_licences: tuple[GeneralLicence, ...] = ()
    background: Background = Background()
    customs_delay: dict[str, DurationDistribution] = {}
    """Material -> extra delay at customs on every licensed export shipment of it."""

    @field_validator("outcomes")
    @classmethod
    def _last_rule_catches_all(cls, rules: tuple[OutcomeRule, ...]) -> tuple[OutcomeRule, ...]:
        last = rules[-1]
        if last.destinations is not None or last.end_uses is not None:
            raise ValueError(
                "expected the last outcome rule to have no destinations/end_uses filter, "
                "got a filtered rule"
            )
        return rules

    def is_controlled(self, material: str, destination: str) -> bool:
        rule = self.controls.get(material, False)
        return rule if isinstance(rule, bool) else destination in rule

    def outcome_for(self, destination: str, end_use: str) -> OutcomeRule:
        return next(r for r in self.outcomes if r.matches(destination, end_use))


class Need(Model):
    """A firm's use of one material: per unit produced, or a flat rate while producing."""

    per_unit: KgValue | None = None
    rate: RateKgPerDay | None = None

    def kg_per_day(self, units_per_day: float) -> float:
        if self.rate is not None:
            return self.rate
        assert self.per_unit is not None
        return self.per_unit * units_per_day

    @model_validator(mode="after")
    def _exactly_one(self) -> Need:
        if (self.per_unit is None) == (self.rate is None):
            raise ValueError(
                "expected exactly one of per_unit or rate, got "
                + ("both" if self.per_unit is not None else "neither")
            )
        return self


class Production(Model):
    """Planned output; drawn once per replication when given as a distribution."""

    units_per_day: NumberDistribution


class Ordering(Model):
    """How a firm replenishes each material.

    ``order_up_to``: every `review_period`, order up to `level` minus the inventory position.
    ``reorder_point``: when the inventory position falls to `reorder_point`, order `quantity`.
    Levels are days of cover or quantities. A licence application asks for `apply_for` (default:
    the shortfall being ordered) so that one licence can serve several orders.
    """

    policy: Literal["order_up_to", "reorder_point"] = "order_up_to"
    review_period: DurationValue = Duration(1.0, "w")
    level: StockValue = Duration(60.0, "d")
    reorder_point: StockValue | None = None
    quantity: StockValue | None = None
    apply_for: StockValue | None = None

    @model_validator(mode="after")
    def _policy_fields(self) -> Ordering:
        if self.policy == "reorder_point" and (self.reorder_point is None or self.quantity is None):
            raise ValueError(
                "expected reorder_point and quantity for the reorder_point policy, got "
                + ", ".join(k for k in ("reorder_point", "quantity") if getattr(self, k) is None)
                + " missing"
            )
        if self.review_period.value <= 0:
            raise ValueError(f"expected a review_period > 0, got '{self.review_period}'")
        return self


class Firm(Model):
    """A buyer: it consumes materials while producing, holds stock, orders from its suppliers
    in order of preference and stops production while any needed material is out."""

    name: str = ""
    country: Name
    end_use: EndUse = "civil"
    production: Production
    needs: dict[str, Need] = Field(min_length=1)
    stockpile: dict[str, StockValue] = {}
    ordering: Ordering = Ordering()
    transit: DurationDistribution = DurationDistribution.model_validate("4w")
    suppliers: tuple[str, ...] = (EXPORTS,)


class Producer(Model):
    """A supplier outside the controlling state: capacity per material, shared by its buyers."""

    capacity: dict[str, RateKgPerDay] = Field(min_length=1)
    lead_time: DurationDistribution
    premium: float = Field(default=0.0, ge=0.0)
    available_from: date | None = None
    source: str = ""


class Channel(Model):
    """A gray route (e.g. transshipment via a third country).

    Each shipment is seized whole with probability ``1 - (1 - interdiction) ** enforcement``;
    when `capacity_scales_with_enforcement`, capacity is divided by the enforcement level.
    """

    capacity: dict[str, RateKgPerDay] = Field(min_length=1)
    delay: DurationDistribution
    premium: float = Field(default=0.0, ge=0.0)
    interdiction: Share = 0.0
    capacity_scales_with_enforcement: bool = False
    source: str = ""


class Smuggling(Model):
    enforcement: float = Field(default=1.0, ge=0.0)
    channels: dict[str, Channel] = {}


class PolicyEvent(Model):
    """A dated change of parameters, each set by dotted path."""

    date: date
    name: Name
    source: str = ""
    set: dict[str, Any] = Field(min_length=1)


class Uncertainty(Model):
    """A parameter whose value is not known: its range, for sweeps, and why."""

    path: Name
    low: Any
    high: Any
    log: bool = False
    source: str = ""


class Scenario(Model):
    name: Name
    description: str = ""
    start: date
    end: date | None = None
    horizon: DurationValue | None = None
    calendar: CalendarConfig = CalendarConfig()
    materials: dict[str, Material] = Field(min_length=1)
    authority: Authority
    firms: dict[str, Firm] = Field(min_length=1)
    producers: dict[str, Producer] = {}
    smuggling: Smuggling = Smuggling()
    timeline: tuple[PolicyEvent, ...] = ()
    uncertainties: dict[str, Uncertainty] = {}

    @model_validator(mode="after")
    def _one_horizon(self) -> Scenario:
        if (self.end is None) == (self.horizon is None):
            raise ValueError(
                "expected exactly one of end or horizon, got "
                + ("both" if self.end is not None else "neither")
            )
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"expected end after start {self.start}, got {self.end}")
        if self.horizon is not None and self.horizon.is_working_days:
            raise ValueError(f"expected a horizon in d, w, mo or y, got '{self.horizon}'")
        if self.horizon is not None and self.horizon.value <= 0:
            raise ValueError(f"expected a horizon > 0, got '{self.horizon}'")
        return self

    @property
    def horizon_days(self) -> float:
        if self.end is not None:
            return float((self.end - self.start).days + 1)  # the end date is included
        assert self.horizon is not None
        return self.horizon.calendar_days()
