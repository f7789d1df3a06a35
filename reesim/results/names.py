"""What KPI and series names say: their units, and whether a series is daily.

KPI and series names are flat dotted paths (``firms.tesla.stockout_days``); the unit follows
from the name. Kept apart from `metrics` (which computes them, with numpy) so that the command
line can read names without loading the numerical stack.
"""

from __future__ import annotations

KPI_UNITS = (
    ("_days", "d"),
    ("_day", "d"),
    ("_kg", "kg"),
    ("_units", "units"),
    ("_pct", "%"),
    ("_probability", "share"),
    ("_share", "share"),
    ("utilization", "share"),
)


def kpi_unit(name: str) -> str:
    return next((unit for suffix, unit in KPI_UNITS if name.endswith(suffix)), "count")


DAILY = "_daily"
"""Suffix of a series with one value per simulated day (its value at the day's end); every
other series has one value per month."""


def is_daily(name: str) -> bool:
    return name.endswith(DAILY)


def series_unit(name: str) -> str:
    name = name.removesuffix(DAILY)
    if name.startswith(("exports.", "smuggled.", "seized.")):
        return "t"
    if name.endswith("cover_days"):
        return "d"
    if name.endswith("lost_units"):
        return "units"
    if name.endswith("_pct"):
        return "%"
    if name.endswith("_share"):
        return "share"
    return "count"
