"""A new scenario from a few answers (`reesim init`): one firm, one material, one licensing
authority, written as a commented YAML file that validates and runs as it is.

The firm orders up to a level that covers its demand over the whole wait for a delivery (the
licence review, the transit and the review period between orders, plus a safety margin), so
without controls it never runs short between deliveries; and it starts with the orders of the
past weeks in transit (``ordering.warm_start``), as a running business does, so day 0 is no
artificial cliff. Everything else takes the format's defaults, each named in a comment.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reesim.scenario import units
from reesim.scenario.fields import check_name
from reesim.scenario.units import DAYS_PER_MONTH
from reesim.scenario.yamlsource import flow_text

CALENDAR_DAYS_PER_WORKING_DAY = 7.0 / 5.0
SAFETY_DAYS = 14
"""Margin on top of the expected wait: a queue before the review, a late ship."""
REVIEW_PERIOD_DAYS = 7
DAYS_PER_YEAR = 12 * DAYS_PER_MONTH
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Answers:
    """What `reesim init` asks, as written on the command line (values with units)."""

    name: str
    firm: str = "my_firm"
    material: str = "ndfeb_magnet"
    annual_use: str = "120 t"
    units_per_day: float = 1000.0
    stock: str = "90d"
    destination: str = "us"
    lead_time: str = "4w"
    controlled: bool = True
    review_time: str = "45wd"
    approve: float = 0.75
    start: date = date(2025, 4, 4)
    horizon: str = "1y"
    end_use: str = "civil"


def problems(a: Answers) -> list[str]:
    """Every answer that cannot make a valid scenario, as ``--option: expected …, got …``."""
    out = []
    try:
        check_name(a.name)
    except ValueError as err:
        out.append(f"--name: {err}")
    for option, value in (("--firm", a.firm), ("--material", a.material)):
        if not _ID.match(value):
            out.append(
                f"{option}: expected an id of lower-case letters, digits and _, got {value!r}"
            )
    if not a.destination.strip():
        out.append(f"--destination: expected a destination name, got {a.destination!r}")
    checks = (
        ("--annual-use", a.annual_use, units.parse_quantity_kg),
        ("--stock", a.stock, units.parse_stock),
        ("--lead-time", a.lead_time, units.parse_duration),
        ("--review-time", a.review_time, units.parse_duration),
        ("--horizon", a.horizon, units.parse_duration),
    )
    parsed = {}
    for option, text, parse in checks:
        try:
            parsed[option] = parse(text)
        except ValueError as err:
            out.append(f"{option}: {err}")
    use = parsed.get("--annual-use")
    if isinstance(use, float) and use <= 0:
        out.append(f"--annual-use: expected a quantity > 0, got {a.annual_use!r}")
    lead = parsed.get("--lead-time")
    if isinstance(lead, units.Duration) and lead.is_working_days:
        out.append(f"--lead-time: expected a shipping time in d, w or mo, got {a.lead_time!r}")
    horizon = parsed.get("--horizon")
    if isinstance(horizon, units.Duration) and (horizon.is_working_days or horizon.value <= 0):
        out.append(f"--horizon: expected a length > 0 in d, w, mo or y, got {a.horizon!r}")
    if not a.units_per_day > 0:
        out.append(f"--units-per-day: expected a number > 0, got {a.units_per_day!r}")
    if not 0 <= a.approve <= 1:
        out.append(f"--approve: expected a share from 0 to 1, got {a.approve!r}")
    if a.end_use not in ("civil", "dual", "defense"):
        out.append(f"--end-use: expected civil, dual or defense, got {a.end_use!r}")
    return out


def _days(duration: units.Duration) -> float:
    if duration.is_working_days:
        return duration.value * CALENDAR_DAYS_PER_WORKING_DAY
    return duration.calendar_days()


def order_level_days(a: Answers) -> int:
    """Days of cover to order up to: the expected wait for a delivery (licence review if
    controlled, transit), the review period and a margin, rounded up to a week."""
    wait = _days(units.parse_duration(a.lead_time))
    if a.controlled:
        wait += _days(units.parse_duration(a.review_time))
    days = wait + REVIEW_PERIOD_DAYS + SAFETY_DAYS
    return int(math.ceil(days / 7.0) * 7)


def scenario_text(a: Answers) -> str:
    """The commented YAML of the scenario `a` describes (check `problems(a)` first)."""
    kg_per_year = units.parse_quantity_kg(a.annual_use)
    per_day = kg_per_year / DAYS_PER_YEAR
    level = order_level_days(a)
    lead = _days(units.parse_duration(a.lead_time))
    review = _days(units.parse_duration(a.review_time)) if a.controlled else 0.0
    controls = "true" if a.controlled else "false"
    rest = max(0.0, 1.0 - a.approve)
    return f"""\
# {a.name}: one firm importing {a.material}, scaffolded by `reesim init`.
#
# Edit the numbers for your firm; `reesim validate {a.name}.yaml` checks the file and
# `reesim run {a.name}.yaml` runs it. Every key is explained in docs/scenario-format.md
# (and in your editor: `reesim schema`). Numbers here are the answers given to `reesim init`
# or its defaults, not sourced facts: cite your sources in comments as you replace them.

name: {flow_text(a.name)}
description: {a.firm} imports {a.material} ({a.annual_use} a year) under export licensing.
start: {a.start.isoformat()}
horizon: {a.horizon}
calendar: china  # the review clock counts China's working days (weekends, holidays off)

materials:
  {a.material}: {{}}

authority:
  controls: {{{a.material}: {controls}}}  # true: every export of it needs a licence
  review:
    time: {{dist: lognormal, mean: {a.review_time}, cv: 0.5}}  # review time per application
    statutory_limit: 45wd  # a decision is due within 45 working days of filing
  outcomes:
    - {{approve: {a.approve:g}, deny: rest, return: 0}}  # deny: the {rest:.0%} left

firms:
  {a.firm}:
    country: {a.destination}  # the destination that controls and outcome rules match
    end_use: {a.end_use}
    production: {{units_per_day: {a.units_per_day:g}}}
    needs:
      {a.material}: {{rate: {kg_per_year / 1000:g} t/y}}  # about {per_day:,.0f} kg a day while producing
    stockpile: {{{a.material}: {a.stock}}}  # on hand at the start
    transit: {a.lead_time}  # shipping time once licensed
    ordering:
      policy: order_up_to
      review_period: {REVIEW_PERIOD_DAYS}d
      # Covers the demand over the wait for a delivery: licence review (~{review:.0f} d) +
      # transit ({lead:.0f} d) + review period ({REVIEW_PERIOD_DAYS} d) + {SAFETY_DAYS} d margin.
      level: {level}d
      apply_for: 3mo  # one licence covers about a quarter's orders
      warm_start: true  # orders of the past weeks are in transit at the start
"""


def copied_text(source: Path, name: str | None) -> str:
    """A shipped scenario's text with its comments, renamed to `name` when given (ValueError
    if it has no top-level name to rename)."""
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(
            f"expected a scenario in UTF-8 text, got other bytes in {source}"
        ) from None
    if name is not None:
        line = f"name: {flow_text(name)}"
        text, count = re.subn(r"(?m)^name:[ \t]*[^\s#]+", lambda _: line, text, count=1)
        if count != 1:
            raise ValueError(f"expected a scenario with a top-level name, got {source}")
    return f"# Copied from {source.name} by `reesim init --from`.\n{text}"
