"""Daily series fold beside the monthly ones: their own length, summarised over the first
`DAILY_LIMIT` replications (a daily series has too many cells to sketch each past that)."""

from __future__ import annotations

import numpy as np
import pytest

from reesim.results.metrics import ReplicationMetrics
from reesim.results.result import DAILY_LIMIT, Provenance, ResultFold


def metrics(r: int) -> ReplicationMetrics:
    return ReplicationMetrics(
        r,
        {"firms.a.stockout_days": float(r)},
        {
            "firms.a.cover_days": np.array([float(r), 2.0 * r]),  # two months
            "firms.a.cover_days_daily": np.full(60, float(r)),  # sixty days
        },
        10,
    )


def test_daily_series_keep_their_length_and_use_the_first_replications() -> None:
    n = DAILY_LIMIT + 100
    fold = ResultFold(60.0)
    for r in range(n):
        fold.add(metrics(r))
    provenance = Provenance("0", "s", "s.yaml", "x", (), 1, range(n), 0.0, "")
    result = fold.result(("2025-01", "2025-02"), provenance)
    monthly = result.series["firms.a.cover_days"]
    daily = result.series["firms.a.cover_days_daily"]
    assert len(monthly.mean) == 2 and len(daily.mean) == 60
    assert monthly.mean[0] == pytest.approx((n - 1) / 2)  # every replication
    assert daily.mean[0] == pytest.approx((DAILY_LIMIT - 1) / 2)  # the first DAILY_LIMIT
    assert daily.unit == "d"
