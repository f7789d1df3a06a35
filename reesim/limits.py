"""The limits every command applies to the integers it is given, in one place.

    seeds                   0 .. 2**63 - 1     (a signed 64-bit integer: what Parquet stores)
    replications (-n)       1 .. 100,000,000   per run, per scenario compared, per sweep point
    replication index       0 .. 99,999,999    (--replay)
    worker processes (-j)   1 .. 1,024

Memory does not grow with replications (see `reesim.results.fold`), so the cap on -n is about
time and about catching a typo (an extra three zeros), not about memory. The same limits apply
to a sweep file's ``seed`` and ``replications``.
"""

MAX_SEED = 2**63 - 1
MAX_REPLICATIONS = 100_000_000
MAX_WORKERS = 1024

COMPARE_REPLICATIONS = 100
"""Replications per scenario file `reesim compare` runs when neither -n nor a saved result says."""
COMPARE_SEED = 1
"""Root seed of `reesim compare`'s scenario files when neither --seed nor a saved result says."""
