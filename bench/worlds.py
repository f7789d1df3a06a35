"""Generated scenarios for the scaling measurements, built from scenarios/controls-2025.yaml.

- `firms_world(n)`: controls-2025 with n firms, copies of its six in turn (`tesla_0`,
  `tesla_optimus_1`, ...), and everything they share scaled by n / 6: reviewers (also where the
  timeline sets them), background applications, producers' and the gray channel's capacities.
  Each firm therefore meets the same congestion and the same supply as in controls-2025, and
  cost per firm can be compared across sizes. The copies are written compactly (no display
  names, no values equal to their defaults, each transit time fixed at its mode) so that 3,000
  of them fit in the 100,000 values a scenario file may hold (`MAX_VALUES` in
  reesim/scenario/yamlsource.py); every size uses the same compact copies.
- `population_world(n)`: controls-2025's authority, producers, channels and timeline with one
  buyer, Tesla's car plants, standing for n importers (`applicants: n`); reviewers 95 + n/2
  (140 + n/2 after the fast track), so that n importers' applications load the queue about as
  controls-2025's firms do.

Declared uncertainties name the original firms' paths, so generated worlds drop them.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import yaml

from bench.reference_inputs import kg_per_day

CONTROLS = Path(__file__).resolve().parent.parent / "scenarios" / "controls-2025.yaml"
CAPACITY = "authority.review.capacity"


def _base() -> dict[str, Any]:
    doc = yaml.safe_load(CONTROLS.read_text(encoding="utf-8"))
    doc.pop("uncertainties", None)
    return doc


def _scale_reviewers(doc: dict[str, Any], scale) -> None:
    review = doc["authority"]["review"]
    review["capacity"] = scale(review["capacity"])
    for event in doc.get("timeline", ()):
        if CAPACITY in event["set"]:
            event["set"][CAPACITY] = scale(event["set"][CAPACITY])


def firms_world(n: int) -> str:
    doc = _base()
    templates = list(doc["firms"].items())
    factor = n / len(templates)
    doc["name"] = f"controls-2025-x{n}-firms"
    compact = [(name, _compact(spec)) for name, spec in templates]
    doc["firms"] = {
        f"{name}_{k}": copy.deepcopy(spec)
        for k, (name, spec) in ((k, compact[k % len(compact)]) for k in range(n))
    }
    _scale_reviewers(doc, lambda c: max(1, round(c * factor)))
    background = doc["authority"]["background"]
    background["rate_per_day"] = background["rate_per_day"] * factor
    sources = [*doc.get("producers", {}).values(), *doc["smuggling"]["channels"].values()]
    for source in sources:
        source["capacity"] = {m: kg_per_day(v) * factor for m, v in source["capacity"].items()}
    return yaml.safe_dump(doc, sort_keys=False)


def _compact(spec: dict[str, Any]) -> dict[str, Any]:
    """A firm's spec without its display name and defaults, with its transit time fixed at its
    mode: the same firm in fewer YAML values."""
    spec = copy.deepcopy(spec)
    spec.pop("name", None)
    if spec.get("end_use") == "civil":
        del spec["end_use"]
    ordering = spec.get("ordering", {})
    for key, default in (("policy", "order_up_to"), ("review_period", "1w")):
        if ordering.get(key) == default:
            del ordering[key]
    for line in spec["production"].get("lines", {}).values():
        if line.get("priority") == 1:
            del line["priority"]
    transit = spec.get("transit")
    if isinstance(transit, dict) and transit.get("dist") == "triangular":
        spec["transit"] = transit["mode"]
    return spec


def population_world(n: int) -> str:
    doc = _base()
    doc["name"] = f"controls-2025-tesla-{n}-importers"
    tesla = doc["firms"]["tesla"]
    tesla["applicants"] = n
    doc["firms"] = {"tesla": tesla}
    _scale_reviewers(doc, lambda c: c + math.ceil(n / 2))
    return yaml.safe_dump(doc, sort_keys=False)
