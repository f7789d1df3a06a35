"""Random numbers keyed by what they are about, so common random numbers survive a changed world.

Every uniform the engine uses is a pure function of (root seed, replication, key, index): the key
names the entity and mechanism (``("review", "tesla", 0, "ndfeb_magnet", 3)``: the review of
Tesla's applicant 0's third magnet application) and the index counts draws within it (one per
submission of that application, say). No draw depends on how many other entities exist or in
what order they act. Hence

- adding a firm, or changing another firm's parameters, leaves every draw of this firm's
  applications, shipments and plans unchanged (common random numbers hold across scenarios);
- replication r is identical whatever the number of workers or the order they run in;
- a draw costs a few integer operations (no generator objects per entity).

The generator is counter-based: SplitMix64 (Steele, Lea and Flood 2014) run from a state made of
the key's 64-bit hash plus index times its odd constant, finalised by its mixing function. A
key folds its parts into the replication's base state (strings hashed once with BLAKE2b and
cached) and is scrambled by the same mixer, so different keys give unrelated streams; numbered
children of a key (`Streams.child`) cost one mixing step. SplitMix64 passes BigCrush; two streams
could only overlap if their hashes differed by a multiple of the constant within the few
thousand indices a key uses, a chance of order 2^-40 per replication.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

_M64 = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15
_TO_UNIT = 2.0**-53

KeyPart = str | int


def _mix(z: int) -> int:
    """SplitMix64's finaliser: a bijection on 64-bit integers that scrambles every bit."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def stream_key(name: str) -> int:
    """A stable 63-bit integer for a name (Python's hash() is salted per process); sweep
    designs key their numpy generators with it."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") >> 1


_TEXT_HASHES: dict[str, int] = {}
"""BLAKE2b of each name seen, shared by every replication of the process (it depends on the text
alone)."""


def _text_hash(text: str) -> int:
    found = _TEXT_HASHES.get(text)
    if found is None:
        found = _TEXT_HASHES[text] = int.from_bytes(
            hashlib.blake2b(text.encode(), digest_size=8).digest(), "big"
        )
    return found


def _int_parts(value: int) -> list[int]:
    """A non-negative or negative integer of any size as 64-bit words, sign included."""
    words = [1 if value < 0 else 0]
    value = abs(value)
    while True:
        words.append(value & _M64)
        value >>= 64
        if not value:
            return words


_PRIME = 0x100000001B3  # FNV-1a's 64-bit multiplier: odd, spreads every word over the state
_CHILD = 0xD1B54A32D192ED03  # an odd constant of its own, so children never retrace draws


@lru_cache(maxsize=1024)
def _seed_state(root_seed: int) -> int:
    """The state a root seed folds into, before the replication is folded in: the same for
    every replication of a run, so worked out once."""
    state = 0
    for word in _int_parts(root_seed):
        state = _mix((state + word + _GAMMA) & _M64)
    return state


KEYS_KEPT = 1 << 16
"""Keys whose fold coefficients the process remembers (a world's keys are a few per firm and
importer: mechanisms times entities)."""


@lru_cache(maxsize=KEYS_KEPT)
def _fold(parts: tuple[KeyPart, ...]) -> tuple[int, int]:
    """(multiplier, offset) with fold(base) == base * multiplier + offset (mod 2**64), where
    fold runs ``state = state * _PRIME + word`` over the key's words from `base`: strings as
    their BLAKE2b hash, integers in 0..2**64-1 as value + 1, others as their 64-bit words,
    sign first, each + 1. Depends on the parts alone, not on the seed or replication."""
    multiplier, offset = 1, 0
    for part in parts:
        if isinstance(part, str):
            words = [_text_hash(part)]
        elif 0 <= part <= _M64:
            words = [part + 1]
        else:
            words = [word + 1 for word in _int_parts(part)]
        for word in words:
            multiplier = (multiplier * _PRIME) & _M64
            offset = (offset * _PRIME + word) & _M64
    return multiplier, offset


class Streams:
    """The keyed uniforms of one replication."""

    def __init__(self, root_seed: int, replication: int):
        self.root_seed = root_seed
        self.replication = replication
        state = _seed_state(root_seed)
        for word in (0xA5A5, *_int_parts(replication)):
            state = _mix((state + word + _GAMMA) & _M64)
        self._base = state
        self._keys: dict[tuple[KeyPart, ...], int] = {}

    def key(self, *parts: KeyPart) -> int:
        """The 64-bit stream key of an entity and mechanism, e.g. ``key("transit", "ford", 0)``.

        The parts are folded into the replication's base state polynomially (strings as their
        BLAKE2b hash, integers as 64-bit words) and the result is scrambled once by the mixer.
        The fold is affine in the base state, so its coefficients (`_fold`) are worked out once
        per key in the process and a replication's key costs one multiply-add and the mixer.
        """
        found = self._keys.get(parts)
        if found is None:
            multiplier, offset = _fold(parts)
            state = (self._base * multiplier + offset) & _M64
            found = self._keys[parts] = _mix(state ^ (state >> 29))
        return found

    @staticmethod
    def child(key: int, n: int) -> int:
        """The key of the n-th child of stream `key` (an importer's n-th application, say): one
        mixing step, no hashing, so keys for numbered entities cost nothing to make."""
        return _mix((key + (n + 1) * _CHILD) & _M64)

    @staticmethod
    def uniform(key: int, index: int = 0) -> float:
        """The `index`-th uniform of stream `key`, in the open interval (0, 1)."""
        return uniform(key, index)


def uniform(key: int, index: int = 0) -> float:
    """The `index`-th uniform of stream `key`, in the open interval (0, 1). A module function,
    so hot code can bind it to a local name."""
    z = (key + (index + 1) * _GAMMA) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return (((z ^ (z >> 31)) >> 11) + 0.5) * _TO_UNIT
