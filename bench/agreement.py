"""Do a reference model and reesim agree? KPI by KPI, over independent replications.

The reference models draw their own random numbers (Python's `random`), so their replications
are independent of reesim's: each KPI's difference of means is compared with its standard
error (Welch), sqrt(s1^2/n1 + s2^2/n2), giving a z score. `python -m bench.agreement queue 400`
or `... daily 100` prints the table; tests/test_bench_references.py asserts on it.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = {
    "queue": ROOT / "scenarios" / "examples" / "licence-queue.yaml",
    "daily": ROOT / "scenarios" / "controls-2025.yaml",
}


@dataclass(frozen=True)
class Agreement:
    kpi: str
    reesim_mean: float
    reference_mean: float
    standard_error: float
    n_reesim: int
    n_reference: int

    @property
    def difference(self) -> float:
        return self.reference_mean - self.reesim_mean

    @property
    def z(self) -> float:
        """Difference in standard errors (0 when both sides are the same constant)."""
        if self.standard_error > 0:
            return self.difference / self.standard_error
        return 0.0 if abs(self.difference) <= 1e-9 * max(1.0, abs(self.reesim_mean)) else math.inf

    @property
    def relative(self) -> float:
        scale = max(abs(self.reesim_mean), 1e-12)
        return self.difference / scale


def _moments(values: Iterable[float]) -> tuple[float, float, int]:
    xs = [v for v in values if not math.isnan(v)]
    n = len(xs)
    if n == 0:
        return math.nan, math.nan, 0
    mean = math.fsum(xs) / n
    var = math.fsum((x - mean) ** 2 for x in xs) / (n - 1) if n > 1 else 0.0
    return mean, var, n


def agreement(
    reesim_runs: list[dict[str, float]], reference_runs: list[dict[str, float]]
) -> list[Agreement]:
    """Each KPI the reference reports, against reesim's KPI of the same name."""
    out = []
    for kpi in reference_runs[0]:
        m1, v1, n1 = _moments(r[kpi] for r in reesim_runs)
        m2, v2, n2 = _moments(r[kpi] for r in reference_runs)
        se = math.sqrt(v1 / n1 + v2 / n2) if n1 and n2 else math.nan
        out.append(Agreement(kpi, m1, m2, se, n1, n2))
    return out


def reesim_runs(
    which: str, replications: int, seed: int = 1, overrides: tuple[str, ...] = ()
) -> list[dict[str, float]]:
    from reesim.engine.run import simulate
    from reesim.results.metrics import measure
    from reesim.scenario.load import load_scenario

    resolved = load_scenario(SCENARIOS[which], overrides)
    return [
        measure(simulate(resolved, seed, r), resolved.scenario).kpis for r in range(replications)
    ]


def reference_runs(which: str, replications: int, seed: int = 1) -> list[dict[str, float]]:
    replicate: Callable[[int], dict[str, float]]
    if which == "queue":
        from bench.reference_queue import replicate
    else:
        from bench.reference_daily_tick import load
        from bench.reference_daily_tick import replicate as daily

        doc = load()

        def replicate(s: int) -> dict[str, float]:
            return daily(s, doc)

    # Seeds far from reesim's replication indices only for tidiness: the generators differ.
    return [replicate(1_000_003 * seed + r) for r in range(replications)]


def main(argv: list[str]) -> None:
    which = argv[0] if argv else "queue"
    n = int(argv[1]) if len(argv) > 1 else 200
    rows = agreement(reesim_runs(which, n), reference_runs(which, n))
    print(f"{'KPI':46s} {'reesim':>12s} {'reference':>12s} {'rel':>7s} {'z':>6s}")
    for a in rows:
        print(
            f"{a.kpi:46s} {a.reesim_mean:12.5g} {a.reference_mean:12.5g} "
            f"{100 * a.relative:6.1f}% {a.z:6.2f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
