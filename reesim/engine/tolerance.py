"""How close to a level counts as reaching it."""

from __future__ import annotations

EPS_KG = 1e-6
"""Below this a stock counts as empty: float rounding at a computed stockout instant."""


def tolerance_kg(level_kg: float) -> float:
    """How close to a level counts as reaching it: float rounding grows with the magnitude."""
    return EPS_KG + 1e-12 * abs(level_kg)
