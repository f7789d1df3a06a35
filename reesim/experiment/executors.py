"""Where work runs: one small protocol, `map(fn, items)`, and its implementations.

Executors yield results as they complete, in any order; callers that need order sort by the
index they put in the items. Nothing here knows what the work is.

`ProcessExecutor` is a pool of local worker processes, started once and reused by every `map`
while it is open (``with ProcessExecutor(2) as ex: ...``); used without ``with``, each `map`
starts and stops its own. Its guarantees:

- **Start method.** ``fork`` on Linux when the parent runs no other Python thread (start the
  pool before a progress bar's thread), so a worker starts in milliseconds with what the
  parent imported; ``spawn`` otherwise, and everywhere else, where a worker imports only the
  module of the function it runs (for reesim's batches: the engine and the metrics).
  ``REESIM_START_METHOD`` forces one.
- **Workers die with their parent.** On Linux each worker asks the kernel for SIGKILL when its
  parent dies (``PR_SET_PDEATHSIG``), even by ``kill -9``; elsewhere a watchdog thread notices
  the parent is gone within a second. A worker also exits when its pipe to the parent closes.
- **Interrupts belong to the parent.** Workers ignore SIGINT (a terminal sends Ctrl-C to the
  whole process group); the parent decides, and stops them.
- **Bounded shutdown, no zombies.** Closing asks idle workers to exit, then sends SIGTERM, then
  SIGKILL, each after a short wait, and reaps every process. On an exception (Ctrl-C, SIGTERM,
  an error) running tasks are not waited for. A second Ctrl-C during shutdown skips straight
  to SIGKILL instead of raising in the middle of it.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from types import FrameType, TracebackType
from typing import Any, Protocol, Self, TypeVar

from reesim.errors import SimulationError

T = TypeVar("T")
R = TypeVar("R")

STOP_WAIT_S = 2.0
"""How long a closing pool waits for idle workers to exit, and then for SIGTERM to work."""
WATCHDOG_EVERY_S = 1.0
PR_SET_PDEATHSIG = 1


class Executor(Protocol):
    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]: ...


class SerialExecutor:
    """Runs everything in this process, in order: for tests, debugging and ``-j 1``."""

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        for item in items:
            yield fn(item)

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class Pool:
    """An executor with workers to start and stop: started on entering a ``with`` block,
    closed on leaving it (after an error or an interrupt, without waiting for running tasks)."""

    def start(self) -> None:
        raise NotImplementedError

    def close(self, wait: bool = True) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(wait=exc is None)


def start_method() -> str:
    """``fork`` where it is safe (Linux, no other Python thread), else ``spawn``."""
    forced = os.environ.get("REESIM_START_METHOD")
    if forced:
        return forced
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    return "spawn"


class ProcessExecutor(Pool):
    """Runs work in `workers` local processes (see the module docstring)."""

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.method = ""
        self._procs: list[Any] = []
        self._conns: list[Connection] = []
        self._busy: dict[int, int] = {}  # worker -> task id it is running
        self._next_task = 0

    # -- lifetime -----------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        return bool(self._procs)

    def start(self) -> None:
        """Start the workers (once; later calls do nothing)."""
        if self._procs:
            return
        self.method = start_method()
        context: Any = multiprocessing.get_context(self.method)
        parent = os.getpid()
        if self.method == "fork":
            # Forked workers share the parent's objects copy-on-write; frozen, the workers'
            # garbage collector never walks (and so never copies) that inherited heap.
            gc.freeze()
        with warnings.catch_warnings():
            # Python >= 3.12 warns about fork() whenever the process has other OS threads; we
            # fork only without other Python threads, and numpy's OpenBLAS pool (the usual
            # other thread) registers fork handlers that make it safe.
            warnings.filterwarnings("ignore", "This process .* is multi-threaded", Warning)
            for i in range(self.workers):
                ours, theirs = context.Pipe(duplex=True)
                # A forked worker inherits the parent's ends of the pipes made so far; it closes
                # them, so that each pipe has one process at each end and EOF means "gone".
                inherited = [c.fileno() for c in self._conns] if self.method == "fork" else []
                proc = context.Process(
                    target=_worker_main,
                    args=(theirs, parent, inherited),
                    name=f"reesim-worker-{i}",
                    daemon=True,
                )
                proc.start()
                theirs.close()
                self._procs.append(proc)
                self._conns.append(ours)
        if self.method == "fork":
            gc.unfreeze()

    def close(self, wait: bool = True) -> None:
        """Stop every worker and reap it, within a bounded time (see the module docstring).
        `wait` False (after an error or interrupt) does not wait for running tasks."""
        if not self._procs:
            return
        procs, conns = self._procs, self._conns
        self._procs, self._conns, self._busy = [], [], {}
        hurry = threading.Event()
        restore = _on_second_interrupt(hurry)
        try:
            for conn in conns:
                with contextlib.suppress(OSError, ValueError):
                    conn.send(None)  # "exit when idle"
            if wait:
                _join_all(procs, STOP_WAIT_S, hurry)
            for proc in procs:
                if proc.is_alive() and not hurry.is_set():
                    with contextlib.suppress(OSError):
                        proc.terminate()
            _join_all(procs, STOP_WAIT_S, hurry)
            for proc in procs:
                if proc.is_alive():
                    with contextlib.suppress(OSError):
                        proc.kill()
            for proc in procs:
                proc.join()  # reaps it: no defunct child is left behind
        finally:
            restore()
            for conn in conns:
                conn.close()
            for proc in procs:
                with contextlib.suppress(ValueError):
                    proc.close()

    # -- work ---------------------------------------------------------------------------------
    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Results as tasks complete; one task in flight per worker, so a long stream of items
        never piles up in memory. The workers get their first tasks when `map` is called, not
        when the first result is asked for, so the caller can prepare what it does with the
        results while they work. Used outside ``with``, the pool lives for this call only."""
        results = self._results(fn, items)
        next(results)  # starts the pool and hands out the first tasks
        return results

    def _results(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[Any]:
        owned = not self._procs
        ok = False
        try:
            self.start()
            source = iter(items)
            for worker in range(len(self._conns)):
                if not self._feed(worker, fn, source):
                    break
            yield None  # the first tasks are out (see `map`)
            yield from self._collect(fn, source)
            ok = True
        finally:
            if owned or self._busy:
                # Ours, or stopped early with tasks still running (an error, an interrupt, a
                # caller that stopped reading): their results must not reach the next map, so
                # the workers go; a later map starts new ones.
                self.close(wait=ok)

    def _collect(self, fn: Callable[[T], R], source: Iterator[T]) -> Iterator[R]:
        while self._busy:
            ready = wait([self._conns[w] for w in self._busy])
            for conn in ready:
                worker = self._conns.index(conn)  # type: ignore[arg-type]
                ok, value = self._receive(worker)
                if not ok:
                    raise SimulationError(f"a worker process raised: {value}")
                # The worker gets its next task before the caller sees this result: what the
                # caller does with it (folding a batch of replications) would otherwise be
                # time the worker sits idle.
                self._feed(worker, fn, source)
                yield value

    def _feed(self, worker: int, fn: Callable[[Any], Any], source: Iterator[Any]) -> bool:
        """Send `worker` the next item, if there is one; whether there was."""
        item = next(source, _END)
        if item is _END:
            return False
        self._send(worker, fn, item)
        return True

    def _send(self, worker: int, fn: Callable[[Any], Any], item: Any) -> None:
        self._next_task += 1
        try:
            self._conns[worker].send((fn, item))
        except (OSError, ValueError):
            raise SimulationError(self._died(worker)) from None
        self._busy[worker] = self._next_task

    def _receive(self, worker: int) -> tuple[bool, Any]:
        try:
            ok, value = self._conns[worker].recv()
        except (EOFError, OSError):
            raise SimulationError(self._died(worker)) from None
        del self._busy[worker]
        return ok, value

    def _died(self, worker: int) -> str:
        proc = self._procs[worker]
        proc.join(timeout=1.0)
        code = proc.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit {code}"
        return (
            f"worker process {proc.pid} died while running a task ({how}); "
            "if memory ran out, use fewer workers (-j)"
        )


_END = object()


def _join_all(procs: list[Any], within_s: float, hurry: threading.Event) -> None:
    deadline = time.monotonic() + within_s
    for proc in procs:
        while proc.is_alive() and not hurry.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            proc.join(timeout=min(0.05, left))


def _on_second_interrupt(hurry: threading.Event) -> Callable[[], None]:
    """While a pool shuts down, Ctrl-C means "faster" (SIGKILL now), not an exception in the
    middle of the cleanup. Returns what restores the previous handler."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        hurry.set()

    previous = signal.signal(signal.SIGINT, handler)

    def restore() -> None:
        signal.signal(signal.SIGINT, previous)

    return restore


# --- the worker side --------------------------------------------------------------------------
def _worker_main(conn: Connection, parent: int, inherited: list[int]) -> None:
    """A worker's life: run (fn, item) tasks until told to stop, the pipe closes or the
    parent dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for fd in inherited:
        with contextlib.suppress(OSError):
            os.close(fd)
    _die_with_parent(parent)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if task is None:
            return
        fn, item = task
        try:
            reply: tuple[bool, Any] = (True, fn(item))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
            reply = (False, "".join(traceback.format_exception_only(exc)).strip())
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the request above took effect
        os._exit(1)
    if not sys.platform.startswith("linux"):

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(WATCHDOG_EVERY_S)
            os._exit(1)

        threading.Thread(target=watch, name="reesim-parent-watchdog", daemon=True).start()


def local_executor(workers: int | None) -> SerialExecutor | ProcessExecutor:
    """`-j 1` runs in process; otherwise a pool of `workers` (default: all cores)."""
    if workers == 1:
        return SerialExecutor()
    return ProcessExecutor(workers)
