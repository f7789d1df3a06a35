"""How close to a level counts as reaching it."""

from __future__ import annotations

EPS_KG = 1e-6
"""Below this a stock counts as empty: float rounding at a computed stockout instant."""


TICK_DAYS = 1e-9
"""Instants closer than this (under 0.1 ms) are one instant. A level that stock would reach
within one tick counts as reached: float time cannot always advance by less (at day 36,000 the
clock's resolution is ~7e-12 days), and a wake-up that does not advance the clock would be woken
again and again without end."""
