"""A bound on how long a block of a test may run: fail instead of hanging the suite."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def watchdog(seconds: int) -> Iterator[None]:
    """Fail, rather than hang the suite, if the block runs away (not a timing assertion: the
    bound is orders of magnitude above what the block needs)."""

    def expire(*_: Any) -> None:
        raise AssertionError(f"still running after {seconds} s: a hang or a runaway run")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
