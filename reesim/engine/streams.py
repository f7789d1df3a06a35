"""Named random streams: one numpy Generator per mechanism and replication.

Replication r of a scenario under root seed s draws mechanism M's numbers from
``SeedSequence(s, spawn_key=(r, h(M)))`` where h is a stable hash of the name. So

- replication r is identical whatever the number of workers or the order they run in;
- two scenarios run with the same root seed share every stream their mechanisms have in common
  (common random numbers), which is what makes paired comparisons tight;
- adding a mechanism never shifts the numbers of another.
"""

from __future__ import annotations

import hashlib

import numpy as np


def stream_key(name: str) -> int:
    """A stable 63-bit integer for a stream name (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") >> 1


class Streams:
    """The Generators of one replication, created on first use by name."""

    def __init__(self, root_seed: int, replication: int):
        self.root_seed = root_seed
        self.replication = replication
        self._generators: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        rng = self._generators.get(name)
        if rng is None:
            seq = np.random.SeedSequence(
                self.root_seed, spawn_key=(self.replication, stream_key(name))
            )
            rng = self._generators[name] = np.random.Generator(np.random.PCG64(seq))
        return rng
