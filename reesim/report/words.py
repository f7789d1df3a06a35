"""Counts in words people read: "1 replication", "2 replications", "1,000 replications"."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun, singular for exactly one."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
