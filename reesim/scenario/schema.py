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
from typing import Annotated, Any, Literal

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


def _also_accepts(**shorthands: dict[str, Any]) -> Any:
    """A json_schema_extra that adds the shorthands a before-validator accepts (``rest``,
    ``unlimited``, ``calendar: none``) to the JSON Schema, so editors do not flag valid files."""

    def extra(schema: dict[str, Any]) -> None:
        for name, alternative in shorthands.items():
            prop = schema["properties"][name]
            keep = {k: prop.pop(k) for k in ("description", "default", "title") if k in prop}
            schema["properties"][name] = {"anyOf": [prop, alternative], **keep}

    return extra


class Material(Model):
    """A traded item, e.g. ``dysprosium`` (oxide) or ``ndfeb_magnet``. Quantities are in kg."""

    unit: Literal["kg"] = Field(default="kg", description="Unit of its quantities; only kg exists.")
    description: str = Field(default="", description="Free text for readers.")


class CalendarConfig(Model):
    """Working days for review clocks: a built-in base plus the scenario's own days."""

    base: Literal["china", "none"] = Field(
        default="china",
        description="Built-in calendar: `china` (public holidays and make-up working days as "
        "published) or `none` (weekends only). `calendar: none` is short for `{base: none}`.",
    )
    weekends: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = Field(
        default=("sat", "sun"), description="Days of the week that are not working days."
    )
    holidays: tuple[date, ...] = Field(
        default=(), description="Days off, in addition to the base calendar's."
    )
    workdays: tuple[date, ...] = Field(
        default=(),
        description="Make-up working days on weekend dates, in addition to the base calendar's.",
    )

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

    model_config = ConfigDict(
        json_schema_extra=_also_accepts(
            approve={"const": "rest"}, deny={"const": "rest"}, **{"return": {"const": "rest"}}
        )
    )

    destinations: tuple[str, ...] | None = Field(
        default=None,
        description="Destinations (firm countries) the rule applies to; omit for all.",
    )
    end_uses: tuple[EndUse, ...] | None = Field(
        default=None, description="End uses the rule applies to; omit for all."
    )
    approve: Share = Field(description="Probability of approval; may be `rest`.")
    deny: Share = Field(description="Probability of denial; may be `rest`.")
    return_: Share = Field(
        alias="return",
        description="Probability that the application is returned for documents and filed "
        "again after `authority.resubmit_delay`; may be `rest`.",
    )
    partial_probability: Share = Field(
        default=0.0, description="Probability that an approval grants only `partial_share`."
    )
    partial_share: Share = Field(
        default=0.5, description="Share of the requested quantity that a partial approval grants."
    )
    note: str = Field(default="", description="Free text, e.g. the reasoning behind the numbers.")

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

    model_config = ConfigDict(json_schema_extra=_also_accepts(capacity={"const": "unlimited"}))

    capacity: int | None = Field(
        default=None,
        gt=0,
        description="Applications under review at once (reviewers); omit or `unlimited` for no "
        "limit. Others wait in a FIFO queue.",
    )
    time: DurationDistribution = Field(
        description="Review time of one application, from when a reviewer takes it up; "
        "`wd` counts working days on `calendar`."
    )
    statutory_limit: DurationValue | None = Field(
        default=None, description="Time limit for a decision, counted from filing; omit for none."
    )
    on_limit: Literal["decide", "escalate"] = Field(
        default="decide", description="What happens to a case still open at `statutory_limit`."
    )
    escalation_delay: DurationDistribution | None = Field(
        default=None,
        description="Further wait for the decision on an escalated case once its review "
        "ends; required when `on_limit` is `escalate`.",
    )

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

    firms: tuple[str, ...] = Field(default=(), description="Firms it covers, by id.")
    destinations: tuple[str, ...] = Field(
        default=(), description="Destinations it covers: every firm whose `country` is listed."
    )
    materials: tuple[str, ...] = Field(
        default=(), description="Materials it covers; empty for all controlled materials."
    )
    start: date = Field(description="First day it is in force.")
    validity: DurationValue = Field(
        default=Duration(12.0, "mo"), description="How long it is in force from `start`."
    )
    source: str = Field(default="", description="Where it comes from (citation, free text).")

    @model_validator(mode="after")
    def _names_someone(self) -> GeneralLicence:
        if not self.firms and not self.destinations:
            raise ValueError("expected firms or destinations for a general licence, got neither")
        return self


class Background(Model):
    """Applications from everyone else: a Poisson stream that loads the review queue."""

    rate_per_day: float = Field(
        default=0.0,
        ge=0.0,
        description="Mean applications per calendar day from firms not modelled; 0 for none.",
    )


class Authority(Model):
    """The exporting state's licensing authority."""

    name: str = Field(default="licensing authority", description="Display name.")
    controls: dict[str, bool | tuple[str, ...]] = Field(
        default={},
        description="Per material: `true` (controlled for every destination), `false`, or the "
        "destinations for which it is controlled. Materials not listed are not controlled.",
    )
    review: Review = Field(description="The review queue.")
    outcomes: tuple[OutcomeRule, ...] = Field(
        min_length=1,
        description="Decision rules, tried in order; the last must have no filter.",
    )
    resubmit_delay: DurationDistribution = Field(
        default=DurationDistribution.model_validate("3w"),
        description="Time a returned application takes to be filed again.",
    )
    licence_validity: DurationValue = Field(
        default=Duration(6.0, "mo"),
        description="How long an approved licence can be shipped against, from its decision.",
    )
    general_licences: tuple[GeneralLicence, ...] = Field(
        default=(), description="Shipments they cover need no application."
    )
    background: Background = Field(
        default=Background(), description="Applications from everyone else."
    )
    customs_delay: dict[str, DurationDistribution] = Field(
        default={},
        description="Per material: extra delay at customs on every licensed export shipment of it.",
    )

    @field_validator("resubmit_delay")
    @classmethod
    def _resubmission_takes_time(cls, delay: DurationDistribution) -> DurationDistribution:
        # A case returned and refiled in no time could cycle forever at one instant.
        if delay.mean() <= 0:
            raise ValueError(f"expected a resubmit_delay with a mean > 0, got '{delay}'")
        return delay

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

    per_unit: KgValue | None = Field(
        default=None, description="Quantity used per unit produced; give this or `rate`."
    )
    rate: RateKgPerDay | None = Field(
        default=None,
        description="Quantity used per calendar day while producing; give this or `per_unit`.",
    )

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

    units_per_day: NumberDistribution = Field(
        description="Planned units produced per calendar day."
    )


class Ordering(Model):
    """How a firm replenishes each material.

    ``order_up_to``: every `review_period`, order up to `level` minus the inventory position.
    ``reorder_point``: when the inventory position falls to `reorder_point`, order `quantity`.
    Levels are days of cover or quantities. A licence application asks for `apply_for` (default:
    the shortfall being ordered) so that one licence can serve several orders. With
    `apply_ahead`, the firm files for controlled material before an order falls short: as soon
    as its position, drawn down for that long, would be below the level (or reorder point)
    with no licence to cover it.
    """

    policy: Literal["order_up_to", "reorder_point"] = Field(
        default="order_up_to", description="Replenishment policy."
    )
    review_period: DurationValue = Field(
        default=Duration(1.0, "w"), description="Time between reviews (`order_up_to`)."
    )
    level: StockValue = Field(
        default=Duration(60.0, "d"),
        description="Inventory position (stock plus on order) to order up to (`order_up_to`).",
    )
    reorder_point: StockValue | None = Field(
        default=None,
        description="Inventory position at which to order; required for `reorder_point`.",
    )
    quantity: StockValue | None = Field(
        default=None, description="Quantity ordered each time; required for `reorder_point`."
    )
    apply_for: StockValue | None = Field(
        default=None,
        description="Least quantity a licence application asks for; omit to ask for the "
        "shortfall only.",
    )
    apply_ahead: DurationValue | None = Field(
        default=None,
        description="File for a licence this long before the position is expected to need one; "
        "omit to file only when an order falls short.",
    )

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

    name: str = Field(default="", description="Display name.")
    country: Name = Field(
        description="Where it imports to: the destination that `controls`, outcome rules and "
        "general licences match."
    )
    end_use: EndUse = Field(
        default="civil", description="End use declared in its licence applications."
    )
    production: Production = Field(description="Planned output.")
    needs: dict[str, Need] = Field(
        min_length=1, description="Materials it uses; production stops while any is out."
    )
    stockpile: dict[str, StockValue] = Field(
        default={},
        description="Stock at the start per material it needs; unlisted ones start at 0.",
    )
    ordering: Ordering = Field(default=Ordering(), description="How it replenishes.")
    transit: DurationDistribution = Field(
        default=DurationDistribution.model_validate("4w"),
        description="Shipping time of licensed exports (before any customs delay).",
    )
    suppliers: tuple[str, ...] = Field(
        default=(EXPORTS,),
        description="Where it orders, in order of preference: `exports`, producer ids, channel "
        "ids. Channels are used only for controlled material.",
    )


class Producer(Model):
    """A supplier outside the controlling state: capacity per material, shared by its buyers."""

    capacity: dict[str, RateKgPerDay] = Field(
        min_length=1, description="Output per material, shared by all its buyers."
    )
    lead_time: DurationDistribution = Field(description="Time from order to delivery.")
    premium: float = Field(
        default=0.0,
        ge=0.0,
        description="Price premium over licensed exports; not used by the simulation yet.",
    )
    available_from: date | None = Field(
        default=None, description="First day it can ship; omit for from the start."
    )
    source: str = Field(default="", description="Where the numbers come from (citation).")


class Channel(Model):
    """A gray route (e.g. transshipment via a third country).

    Each shipment is seized whole with probability ``1 - (1 - interdiction) ** enforcement``;
    when `capacity_scales_with_enforcement`, capacity is divided by the enforcement level.
    """

    capacity: dict[str, RateKgPerDay] = Field(
        min_length=1, description="Throughput per material, shared by all its users."
    )
    delay: DurationDistribution = Field(description="Time from order to delivery (or seizure).")
    premium: float = Field(
        default=0.0,
        ge=0.0,
        description="Price premium over licensed exports; not used by the simulation yet.",
    )
    interdiction: Share = Field(
        default=0.0, description="Probability that a shipment is seized at enforcement 1."
    )
    capacity_scales_with_enforcement: bool = Field(
        default=False, description="Divide capacity by the enforcement level when it is above 1."
    )
    source: str = Field(default="", description="Where the numbers come from (citation).")


class Smuggling(Model):
    """Gray channels, and how hard the controlling state enforces against them."""

    enforcement: float = Field(
        default=1.0, ge=0.0, description="Enforcement level: 1 is nominal, 0 is none."
    )
    channels: dict[str, Channel] = Field(
        default={}, description="Gray channels by id; firms name them in `suppliers`."
    )


class PolicyEvent(Model):
    """A dated change of parameters, each set by dotted path."""

    # Annotated, not `= Field(...)`: a value assigned to `date` would shadow the type `date`.
    date: Annotated[
        date, Field(description="Day it takes effect, from `start` to the last day simulated.")
    ]
    name: Name = Field(description="Short label, shown in results.")
    source: str = Field(default="", description="Where it comes from (citation, free text).")
    set: dict[str, Any] = Field(
        min_length=1, description="Dotted path -> new value, applied in the order written."
    )


class Uncertainty(Model):
    """A parameter whose value is not known: its range, for sweeps, and why."""

    path: Name = Field(description="Dotted path of a value written in the scenario.")
    low: Any = Field(description="Least plausible value, in the unit of the value at `path`.")
    high: Any = Field(description="Greatest plausible value, in the same unit.")
    log: bool = Field(default=False, description="Sweep on a log scale (needs `low` > 0).")
    source: str = Field(default="", description="Why this range (citation, free text).")


class Scenario(Model):
    """A whole scenario: one YAML file."""

    model_config = ConfigDict(json_schema_extra=_also_accepts(calendar={"enum": ["china", "none"]}))

    name: Name = Field(description="Short identifier, shown in results.")
    description: str = Field(default="", description="Free text for readers.")
    start: date = Field(description="First day simulated.")
    end: date | None = Field(
        default=None, description="Last day simulated (included); give this or `horizon`."
    )
    horizon: DurationValue | None = Field(
        default=None,
        description="Length of the run from `start`, in d, w, mo or y; give this or `end`.",
    )
    calendar: CalendarConfig = Field(
        default=CalendarConfig(), description="Working days, for `wd` durations."
    )
    materials: dict[str, Material] = Field(min_length=1, description="Materials by id.")
    authority: Authority = Field(description="The licensing authority.")
    firms: dict[str, Firm] = Field(min_length=1, description="Buying firms by id.")
    producers: dict[str, Producer] = Field(
        default={}, description="Alternative producers outside the controlling state, by id."
    )
    smuggling: Smuggling = Field(default=Smuggling(), description="Gray channels.")
    timeline: tuple[PolicyEvent, ...] = Field(default=(), description="Dated policy changes.")
    uncertainties: dict[str, Uncertainty] = Field(
        default={}, description="Ranges of uncertain parameters, for sweeps, by id."
    )

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
