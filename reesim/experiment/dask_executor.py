"""The Dask distributed executor: the same `map(fn, items)` on a cluster.

Dask is an optional extra (``pip install 'reesim[dask]'``) and is imported only here, only when
an executor is built. Work is the same picklable task as for local processes (a batch of
replications); the cluster's workers need reesim installed at the same version.

    DaskExecutor(address="tls://scheduler:8786", tls=TlsFiles(ca, cert, key))  # a cluster
    DaskExecutor(local_workers=4)                                              # a LocalCluster

A ``tls://`` address needs the three files: the cluster's CA to trust the scheduler, and a
certificate and key signed by it that the scheduler checks, so a cluster refuses strangers.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from reesim.errors import UsageError
from reesim.experiment.executors import Pool

T = TypeVar("T")
R = TypeVar("R")

MISSING = (
    "the Dask executor needs Dask, which is not installed: pip install 'reesim[dask]' "
    "(or run on local processes with -j N)"
)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise UsageError(MISSING) from None
    return distributed


ADDRESS = re.compile(r"(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[^\s/:\[\]]+)(?::(\d{1,5}))?/?")
"""A scheduler's address: tcp:// or tls://, a host name or IP address (IPv6 in brackets), and
a port (Dask's 8786 if none)."""


def check_address(address: str) -> None:
    """UsageError unless `address` is a scheduler address (`ADDRESS`) with a port Dask could
    use; checked before Dask sees it, as Dask's own error leaves a client that blocks exit."""
    found = ADDRESS.fullmatch(address)
    if found is None or not 1 <= int(found[3] or 8786) <= 65535:
        raise UsageError(
            f"expected a scheduler address like tcp://host:8786 or tls://host:8786, got {address!r}"
        )


@dataclass(frozen=True)
class TlsFiles:
    ca: str
    cert: str
    key: str


class DaskExecutor(Pool):
    """Runs work on a Dask cluster: an existing one at `address`, or a `LocalCluster` of
    `local_workers` single-threaded worker processes started (and stopped) here."""

    def __init__(
        self,
        address: str | None = None,
        *,
        local_workers: int | None = None,
        tls: TlsFiles | None = None,
        connect_timeout: float = 30.0,
    ):
        if (address is None) == (local_workers is None):
            raise UsageError("expected either a scheduler address or a local cluster size")
        if address is not None:
            check_address(address)
        if address is not None and address.startswith("tls://") and tls is None:
            raise UsageError(
                f"expected --tls-ca, --tls-cert and --tls-key for the tls:// scheduler {address}"
            )
        if tls is not None and address is not None and not address.startswith("tls://"):
            raise UsageError(f"expected a tls:// scheduler address with TLS files, got {address}")
        self.address = address
        self.local_workers = local_workers
        self.tls = tls
        self.connect_timeout = connect_timeout
        self._client: Any = None
        self._cluster: Any = None

    # -- lifetime -----------------------------------------------------------------------------
    def start(self) -> None:
        if self._client is not None:
            return
        d = _distributed()
        if self.address is None:
            self._cluster = d.LocalCluster(
                n_workers=self.local_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
            self._client = d.Client(self._cluster, set_as_default=False)
            return
        security = None
        if self.tls is not None:
            from distributed.security import Security

            security = Security(
                tls_ca_file=self.tls.ca,
                tls_client_cert=self.tls.cert,
                tls_client_key=self.tls.key,
                require_encryption=True,
            )
        try:
            self._client = d.Client(
                self.address,
                security=security,
                timeout=self.connect_timeout,
                set_as_default=False,
            )
        except (OSError, TimeoutError) as err:
            raise UsageError(
                f"could not connect to the Dask scheduler at {self.address}: {err}"
            ) from None

    def close(self, wait: bool = True) -> None:
        """Close the client and a local cluster (the scheduler's own workers go on); `wait`
        changes nothing: a cluster's tasks end with their client."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
            _reap_resource_tracker()

    @property
    def workers(self) -> int:
        """Worker threads in the cluster now (at least 1)."""
        self.start()
        info = self._client.scheduler_info(n_workers=-1)
        threads: int = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())
        return max(1, threads)

    # -- work ---------------------------------------------------------------------------------
    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Results as tasks complete; a bounded number in flight (two per worker thread)."""
        self.start()
        d = _distributed()
        client = self._client
        limit = 2 * self.workers
        source = iter(items)
        first = []
        for item in source:
            first.append(client.submit(fn, item, pure=False))
            if len(first) >= limit:
                break
        if not first:
            return
        pending = d.as_completed(first, loop=client.loop)
        try:
            for future in pending:
                result = future.result()
                future.release()
                yield result
                nxt = next(source, None)
                if nxt is not None:
                    pending.add(client.submit(fn, nxt, pure=False))
        finally:
            for future in list(pending.futures):
                future.cancel()


def _reap_resource_tracker() -> None:
    """Stop and reap multiprocessing's resource tracker, which a LocalCluster's spawned workers
    start in this process. Left running, it outlives reesim as an orphan that lingers in the
    process group (a zombie until init gets to it); stopped here, nothing of the run remains.
    A later cluster starts a new one."""
    from multiprocessing import resource_tracker

    tracker = getattr(resource_tracker, "_resource_tracker", None)
    stop = getattr(tracker, "_stop", None)
    if stop is not None:
        with contextlib.suppress(OSError):  # already gone: nothing to reap
            stop()
