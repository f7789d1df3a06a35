"""Where work runs: one small protocol, `map(fn, items)`, and its implementations.

Executors yield results as they complete, in any order; callers that need order sort by the
index they put in the items. Nothing here knows what the work is.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]: ...


class SerialExecutor:
    """Runs everything in this process, in order: for tests, debugging and ``-j 1``."""

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        for item in items:
            yield fn(item)


class ProcessExecutor:
    """Runs work in `workers` local processes. Processes are spawned, not forked, so a worker
    starts from a clean interpreter whatever threads the parent has."""

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(self.workers, mp_context=context) as pool:
            pending: set[Future[R]] = set()
            source = iter(items)
            # Keep a bounded number in flight so a long stream of items never piles up.
            for item in source:
                pending.add(pool.submit(fn, item))
                if len(pending) >= 2 * self.workers:
                    break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
                    nxt = next(source, None)
                    if nxt is not None:
                        pending.add(pool.submit(fn, nxt))


def local_executor(workers: int | None) -> Executor:
    """`-j 1` runs in process; otherwise a pool of `workers` (default: all cores)."""
    if workers == 1:
        return SerialExecutor()
    return ProcessExecutor(workers)
