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

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from reesim.scenario.base import Model, also_accepts
from reesim.scenario.distributions import DurationDistribution, NumberDistribution
from reesim.scenario.fields import (
    ArrivalsPerDay,
    DateValue,
    Destination,
    DurationValue,
    HorizonValue,
    Id,
    KgValue,
    Label,
    Name,
    NonNegativeNumber,
    PositiveCount,
    RateKgPerDay,
    Share,
    StockValue,
    last_day_problem,
)
from reesim.scenario.responses import (
    Line,
    Population,
    Prestock,
    Restock,
    ReviewPhase,
    cover_duration,
)
from reesim.scenario.units import Duration

EndUse = Literal["civil", "dual", "defense"]
EXPORTS = "exports"
"""Supplier name for licensed exports from the controlling state."""

Day = DateValue
"""A date (in the supported years) under a name no field shadows (`PolicyEvent` has a field
called `date`)."""

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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
    holidays: tuple[DateValue, ...] = Field(
        default=(), description="Days off, in addition to the base calendar's."
    )
    workdays: tuple[DateValue, ...] = Field(
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
        json_schema_extra=also_accepts(
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
    exporters: tuple[str, ...] | None = Field(
        default=None,
        description="Exporters filing the application the rule applies to; omit for all.",
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

    def matches(self, destination: str, end_use: str, exporter: str = "") -> bool:
        return (
            (self.destinations is None or destination in self.destinations)
            and (self.end_uses is None or end_use in self.end_uses)
            and (self.exporters is None or exporter in self.exporters)
        )


class Review(Model):
    """The review queue: `capacity` concurrent reviews (omit or ``unlimited`` for no limit),
    review time per application, and an optional statutory limit counted from filing.

    At the limit a pending case is either decided at once (`decide`) or escalated (`escalate`):
    its review completes as drawn and then waits a further `escalation_delay`.
    """

    model_config = ConfigDict(json_schema_extra=also_accepts(capacity={"const": "unlimited"}))

    capacity: PositiveCount | None = Field(
        default=None,
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
    """Lets the named firms, destinations or exporters' customers ship the listed materials
    without per-shipment review from `start` for `validity` (all controlled materials when
    `materials` is empty).

    An exporter's general licence covers the importers it supplies (a buyer's `exporters`); when
    it names only some of its customers (`customer_share` below 1), each importer is covered with
    that probability, drawn once per replication from the importer's own stream. Background
    applications with a covered destination are not filed while it is in force.
    """

    firms: tuple[str, ...] = Field(default=(), description="Firms it covers, by id.")
    destinations: tuple[str, ...] = Field(
        default=(), description="Destinations it covers: every firm whose `country` is listed."
    )
    exporters: tuple[str, ...] = Field(
        default=(), description="Exporters whose customers it covers, by id."
    )
    customer_share: Share = Field(
        default=1.0, description="Share of the exporters' customers it names."
    )
    materials: tuple[str, ...] = Field(
        default=(), description="Materials it covers; empty for all controlled materials."
    )
    start: DateValue = Field(description="First day it is in force.")
    validity: DurationValue = Field(
        default=Duration(12.0, "mo"), description="How long it is in force from `start`."
    )
    source: str = Field(default="", description="Where it comes from (citation, free text).")

    @model_validator(mode="after")
    def _names_someone(self) -> GeneralLicence:
        if not self.firms and not self.destinations and not self.exporters:
            raise ValueError(
                "expected firms, destinations or exporters for a general licence, got none"
            )
        return self


def _shares_at_most_one(shares: dict[str, float], what: str) -> dict[str, float]:
    total = sum(shares.values())
    if total > 1.0 + 1e-9:
        raise ValueError(f"expected {what} shares summing to at most 1, got {total:g}")
    return shares


class Background(Model):
    """Applications from everyone else: a Poisson stream that loads the review queue.

    Each application has a destination, an end use and a material, drawn by the given shares
    (what the shares leave is destination `other`, end use `civil`, and goods not modelled).
    Outcome rules, controls and general licences act on it as on any application: one whose
    material is not controlled for its destination, or that a general licence covers, is not
    filed at all, so a truce or a general licence thins the queue for everyone else.
    """

    rate_per_day: ArrivalsPerDay = Field(
        default=0.0,
        description="Mean applications per calendar day from firms not modelled; 0 for none.",
    )
    destinations: dict[Destination, Share] = Field(
        default={}, description="Share of applications per destination; the rest go to `other`."
    )
    end_uses: dict[EndUse, Share] = Field(
        default={}, description="Share of applications per end use; the rest are `civil`."
    )
    materials: dict[str, Share] = Field(
        default={},
        description="Share of applications per modelled material; the rest are for goods not "
        "modelled, always controlled.",
    )

    @field_validator("destinations", "end_uses", "materials")
    @classmethod
    def _at_most_one(cls, shares: dict[str, float]) -> dict[str, float]:
        return _shares_at_most_one(shares, "background")


class Authority(Model):
    """The exporting state's licensing authority."""

    name: Label = Field(default="licensing authority", description="Display name.")
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
        if last.destinations is not None or last.end_uses is not None or last.exporters is not None:
            raise ValueError(
                "expected the last outcome rule to have no destinations/end_uses/exporters filter, "
                "got a filtered rule"
            )
        return rules

    def is_controlled(self, material: str, destination: str) -> bool:
        rule = self.controls.get(material, False)
        return rule if isinstance(rule, bool) else destination in rule


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
    """Planned output (drawn once per replication when given as a distribution), split into
    product lines that stop in order of priority when material runs short."""

    units_per_day: NumberDistribution = Field(
        description="Planned units produced per calendar day."
    )
    lines: dict[Id, Line] = Field(
        default={},
        description="Product lines by id; omit for one line that stops when any material is out.",
    )
    reserve_step: DurationValue = Field(
        default=Duration(2.0, "w"),
        description="Default reserve per priority step: a line of priority p stops when stock "
        "falls to (p - 1) x this (days of the firm's full use).",
    )
    restart_lag: DurationValue = Field(
        default=Duration(0.0, "d"),
        description="Time a stopped line takes to restart once its material is back.",
    )

    _cover = field_validator("reserve_step")(cover_duration)

    @model_validator(mode="after")
    def _line_shares(self) -> Production:
        total = sum(line.share for line in self.lines.values())
        if self.lines and abs(total - 1.0) > 1e-9:
            raise ValueError(f"expected line shares summing to 1, got {total:g}")
        return self


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
    review_phase: ReviewPhase = Field(
        default="staggered",
        description="When in the review period each importer reviews: `staggered` spreads a "
        "population's importers evenly (a lone importer reviews at the start), `random` draws "
        "each one's phase, or a duration fixes it.",
    )
    warm_start: bool = Field(
        default=False,
        description="Start in steady state: the orders of the past review periods are in "
        "transit at the start (on top of the stockpile), as if the firm had been ordering all along.",
    )
    restock: Restock | None = Field(
        default=None, description="Precautionary restocking after a disruption; omit for none."
    )
    prestock: Prestock | None = Field(
        default=None,
        description="Ordering ahead of announced timeline events; omit for none.",
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

    name: Label = Field(default="", description="Display name.")
    country: Destination = Field(
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
    applicants: Population = Field(
        default=Population(),
        description="Importers it stands for, each applying and stocking for itself; a number "
        "is the count.",
    )
    exporters: dict[str, Share] = Field(
        default={},
        description="Share of its importers supplied by each exporter (who files their "
        "applications); the rest file through exporters not modelled.",
    )

    @field_validator("exporters")
    @classmethod
    def _exporter_shares(cls, shares: dict[str, float]) -> dict[str, float]:
        return _shares_at_most_one(shares, "exporter")

    @model_validator(mode="after")
    def _line_needs(self) -> Firm:
        lines = self.production.lines
        if not lines:
            return self
        for material in self.needs:
            total = sum(line.needs.get(material, line.share) for line in lines.values())
            if abs(total - 1.0) > 1e-9:
                raise ValueError(
                    f"expected the lines' shares of the {material} need to sum to 1, got {total:g}"
                )
        return self


class Producer(Model):
    """A supplier outside the controlling state: capacity per material, shared by its buyers."""

    capacity: dict[str, RateKgPerDay] = Field(
        min_length=1, description="Output per material, shared by all its buyers."
    )
    lead_time: DurationDistribution = Field(description="Time from order to delivery.")
    premium: NonNegativeNumber = Field(
        default=0.0,
        description="Price premium over licensed exports; not used by the simulation yet.",
    )
    available_from: DateValue | None = Field(
        default=None, description="First day it can ship; omit for from the start."
    )
    emergency_below: DurationValue | None = Field(
        default=None,
        description="Emergency supply (spot buying, air freight): buyers order from it only "
        "while their stock on hand covers less than this; omit for a regular supplier.",
    )
    source: str = Field(default="", description="Where the numbers come from (citation).")

    _cover = field_validator("emergency_below")(cover_duration)


class Channel(Model):
    """A gray route (e.g. transshipment via a third country).

    Each shipment is seized whole with probability ``1 - (1 - interdiction) ** enforcement``;
    when `capacity_scales_with_enforcement`, capacity is divided by the enforcement level.
    """

    capacity: dict[str, RateKgPerDay] = Field(
        min_length=1, description="Throughput per material, shared by all its users."
    )
    delay: DurationDistribution = Field(description="Time from order to delivery (or seizure).")
    premium: NonNegativeNumber = Field(
        default=0.0,
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

    enforcement: NonNegativeNumber = Field(
        default=1.0, description="Enforcement level: 1 is nominal, 0 is none."
    )
    channels: dict[Id, Channel] = Field(
        default={}, description="Gray channels by id; firms name them in `suppliers`."
    )


class PolicyEvent(Model):
    """A dated change of parameters, each set by dotted path."""

    # Annotated, not `= Field(...)`: a value assigned to `date` would shadow the type `date`.
    date: Annotated[
        DateValue,
        Field(description="Day it takes effect, from `start` to the last day simulated."),
    ]
    name: Name = Field(description="Short label, shown in results.")
    announced: Day | None = Field(
        default=None,
        description="Day it was announced, on or before `date`; importers with `prestock` "
        "order ahead in between.",
    )
    source: str = Field(default="", description="Where it comes from (citation, free text).")
    set: dict[str, Any] = Field(
        min_length=1, description="Dotted path -> new value, applied in the order written."
    )

    @model_validator(mode="after")
    def _announced_before(self) -> PolicyEvent:
        if self.announced is not None and self.announced > self.date:
            raise ValueError(
                f"expected an announcement on or before the date {self.date}, got {self.announced}"
            )
        return self


class Exporter(Model):
    """A firm in the controlling state that exports and files licence applications for its
    customers (e.g. a magnet maker applying for named foreign end users)."""

    name: Label = Field(default="", description="Display name.")
    source: str = Field(default="", description="Where it comes from (citation, free text).")


class Reporting(Model):
    """Choices about what the results report."""

    approvals_since: Day | None = Field(
        default=None,
        description="First filing date counted in the approval curves (`applications.*."
        "approved_share`); omit for the first day any material is controlled.",
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

    model_config = ConfigDict(json_schema_extra=also_accepts(calendar={"enum": ["china", "none"]}))

    name: Name = Field(description="Short identifier, shown in results.")
    description: str = Field(default="", description="Free text for readers.")
    start: DateValue = Field(description="First day simulated.")
    end: DateValue | None = Field(
        default=None, description="Last day simulated (included); give this or `horizon`."
    )
    horizon: HorizonValue | None = Field(
        default=None,
        description="Length of the run from `start`, in d, w, mo or y; give this or `end`.",
    )
    calendar: CalendarConfig = Field(
        default=CalendarConfig(), description="Working days, for `wd` durations."
    )
    materials: dict[Id, Material] = Field(min_length=1, description="Materials by id.")
    authority: Authority = Field(description="The licensing authority.")
    firms: dict[Id, Firm] = Field(min_length=1, description="Buying firms by id.")
    producers: dict[Id, Producer] = Field(
        default={}, description="Alternative producers outside the controlling state, by id."
    )
    smuggling: Smuggling = Field(default=Smuggling(), description="Gray channels.")
    exporters: dict[Id, Exporter] = Field(
        default={}, description="Exporters that file applications for their customers, by id."
    )
    timeline: tuple[PolicyEvent, ...] = Field(default=(), description="Dated policy changes.")
    uncertainties: dict[Id, Uncertainty] = Field(
        default={}, description="Ranges of uncertain parameters, for sweeps, by id."
    )
    reporting: Reporting = Field(default=Reporting(), description="What results report.")

    @model_validator(mode="after")
    def _one_horizon(self) -> Scenario:
        if (self.end is None) == (self.horizon is None):
            raise ValueError(
                "expected exactly one of end or horizon, got "
                + ("both" if self.end is not None else "neither")
            )
        if self.end is not None and self.end < self.start:
            raise ValueError(f"expected end on or after start {self.start}, got {self.end}")
        problem = last_day_problem(self.start, self.horizon_days)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def horizon_days(self) -> float:
        if self.end is not None:
            return float((self.end - self.start).days + 1)  # the end date is included
        assert self.horizon is not None
        return self.horizon.calendar_days()
