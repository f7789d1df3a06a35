"""How a buyer is made up and how it responds to scarcity: populations, lines, restocking.

- `Population`: a buyer may stand for many importers (a country aggregate, a supplier base).
  Each importer is an applicant of its own: its own stock, orders, applications and licences.
- `Line`: production split into product lines with priorities. When a material runs low, the
  lowest-priority lines stop first (each keeps a `reserve` of stock for the lines above it), so
  output falls in steps rather than from full to nothing.
- `Restock`: precautionary restocking, a target cover that rises after a disruption and decays.
- `Prestock`: ordering ahead between a rule's announcement and its effective date.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from reesim.scenario.base import Model
from reesim.scenario.fields import DurationValue, Share, StockValue
from reesim.scenario.numbers import Bounded, as_real
from reesim.scenario.units import Duration


def cover_duration(value: Duration | None) -> Duration | None:
    """Days of cover are calendar time: a working-day count has no stock meaning."""
    if value is not None and value.is_working_days:
        raise ValueError(f"expected days of cover in d, w or mo, got '{value}'")
    return value


MAX_APPLICANTS = 100_000
"""Most importers one buyer may stand for (memory stays small; events scale with activity)."""

MAX_CONTRACTS = 20
"""Most supply contracts (suppliers filing at once) per importer and material."""


class Population(Model):
    """The importers a buyer stands for. ``applicants: 40`` is short for ``{count: 40}``.

    The buyer's needs, stockpile, ordering levels and quantities are split among its importers
    in proportion to their sizes; each importer then orders, applies and is decided on by itself.
    Sizes are equal unless `size_cv` spreads them (a lognormal spread, drawn once per
    replication from the buyer's own stream and normalised to the buyer's total).

    `contracts` is how many suppliers each importer buys a controlled material from. Each
    supplier files its own application for its share of the importer's need, so up to
    `contracts` applications per importer and material are pending at once, and any licence
    granted serves the importer's one stock: a large buyer does not stop because one
    supplier's application was returned.
    """

    count: Annotated[int, Bounded(ge=1, le=MAX_APPLICANTS, whole=True)] = Field(
        default=1, description="Importers (applicants) behind the buyer."
    )
    size_cv: Annotated[float, Bounded(ge=0.0, le=10.0)] = Field(
        default=0.0,
        description="Spread of importer sizes (coefficient of variation); 0 for equal sizes.",
    )
    contracts: Annotated[int, Bounded(ge=1, le=MAX_CONTRACTS, whole=True)] = Field(
        default=1,
        description="Suppliers each importer buys a controlled material from, each applying "
        "for its share of the need; the importer's stock is one.",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_count(cls, value: Any) -> Any:
        if as_real(value) is not None:  # a number (or its text) is the count
            return {"count": value}
        return value


class Line(Model):
    """A product line: a share of the planned output, a priority, and the material it uses.

    A line runs while every material it uses stands above the line's `reserve`, the stock kept
    back for higher-priority lines (days of the firm's full planned use). The reserve defaults to
    ``(priority - 1) x production.reserve_step``: priority 1 lines run until the stock is gone.
    """

    share: Share = Field(description="Share of the firm's planned output made on this line.")
    priority: Annotated[int, Bounded(ge=1, le=100, whole=True)] = Field(
        default=1, description="1 is the most important; higher numbers stop first."
    )
    reserve: DurationValue | None = Field(
        default=None,
        description="Stock (days of the firm's full use) below which this line stops; omit for "
        "(priority - 1) x production.reserve_step.",
    )
    needs: dict[str, Share] = Field(
        default={},
        description="Per material, the share of the firm's need used by this line; materials "
        "not listed use `share`.",
    )

    _cover = field_validator("reserve")(cover_duration)

    @model_validator(mode="after")
    def _positive_share(self) -> Line:
        if self.share <= 0:
            raise ValueError(f"expected a share > 0, got {self.share:g}")
        return self


class Restock(Model):
    """Precautionary restocking: after a disruption an importer raises its target cover.

    The order-up-to level (or reorder point) rises by `raise` at once and falls back linearly
    over `decay`. A new disruption while raised starts the raise again from its full height.
    """

    raise_: StockValue = Field(
        alias="raise", description="Extra cover (days, or kg) added to the level at a disruption."
    )
    decay: DurationValue = Field(
        default=Duration(26.0, "w"), description="Time for the raise to fall back to nothing."
    )
    on_shortage: bool = Field(
        default=True, description="Raise when a line stops for lack of material."
    )
    on_refusal: bool = Field(
        default=True, description="Raise when an application is denied or returned."
    )
    on_events: tuple[str, ...] = Field(
        default=(), description="Timeline events (by name) that raise it on their date."
    )


class Prestock(Model):
    """Ordering ahead of an announced rule: between a timeline event's `announced` date and its
    effective `date`, importers that see it coming raise their target cover by `raise` (their
    budget) and order at once from whoever can ship; the raise ends on the effective date."""

    raise_: StockValue = Field(
        alias="raise", description="Extra cover (days, or kg) ordered ahead of an announced rule."
    )
    aware_share: Share = Field(
        default=1.0, description="Share of the importers that see announcements coming."
    )


ReviewPhase = Literal["staggered", "random"] | DurationValue
