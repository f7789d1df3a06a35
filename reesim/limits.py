"""The limits every command applies to the integers it is given, in one place.

    seeds                   0 .. 2**63 - 1     (a signed 64-bit integer: what Parquet stores)
    replications (-n)       1 .. 100,000,000   per run, per scenario compared, per sweep point
    replication index       0 .. 99,999,999    (--replay)
    worker processes (-j)   1 .. 1,024

and the limits of the questions (`solve`, `calibrate`), which keep every replication's values
(so memory grows with them) and multiply runs:

    replications at one value (solve -n, --max-replications)   at most 1,000,000
    values tried in cost mode (--points)                       at most 1,000
    particles, generations, posterior draws (calibrate)        at most 100,000, 1,000, 100,000
    replications of a calibration in all                       at most 100,000,000
    costs (--holding-cost, --loss-cost)                        0 .. 10^9 (as any scenario number)

Memory does not grow with replications (see `reesim.results.fold`), so the cap on -n is about
time and about catching a typo (an extra three zeros), not about memory. The same limits apply
to a sweep file's ``seed`` and ``replications``.
"""

MAX_SEED = 2**63 - 1
MAX_REPLICATIONS = 100_000_000
MAX_WORKERS = 1024
MAX_KEPT_REPLICATIONS = 1_000_000
"""Replications at one value of a question that keeps every value (about 200 MB of KPIs)."""
MAX_COST_POINTS = 1000
MAX_PARTICLES = 100_000
MAX_GENERATIONS = 1000
MAX_DRAWS = 100_000
MAX_COST = 1e9
"""Largest cost per kg-day or per unit lost: costs of a run stay far from overflowing."""

COMPARE_REPLICATIONS = 100
"""Replications per scenario file `reesim compare` runs when neither -n nor a saved result says."""
COMPARE_SEED = 1
"""Root seed of `reesim compare`'s scenario files when neither --seed nor a saved result says."""
