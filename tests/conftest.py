"""Shared fixtures: a minimal valid scenario as text, for tests that edit it."""

from __future__ import annotations

import pytest

MINIMAL = """\
name: minimal
start: 2025-01-06
horizon: 90d
materials:
  magnet: {}
authority:
  controls: {magnet: false}
  review:
    capacity: 2
    time: 10wd
  outcomes:
    - {approve: 1, deny: 0, return: 0}
firms:
  acme:
    country: us
    production: {units_per_day: 100}
    needs: {magnet: {per_unit: 1 kg}}
    stockpile: {magnet: 30d}
    ordering: {policy: order_up_to, review_period: 1w, level: 40d}
    transit: 2w
timeline:
  - date: 2025-02-03
    name: controls on
    source: test
    set: {authority.controls.magnet: true}
"""


@pytest.fixture
def minimal_text() -> str:
    return MINIMAL
