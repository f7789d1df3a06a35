"""Where a command's simulations run: this process, local processes, or a Dask cluster.

`reesim sweep` and `reesim calibrate` take the same options (`-j`, `--scheduler` with its TLS
files, `--dask-local`), declared here once, and choose their executor with `choose_executor`.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reesim.errors import UsageError
from reesim.limits import MAX_WORKERS

if TYPE_CHECKING:
    from reesim.experiment.executors import Executor

LocalJobs = Annotated[
    int | None,
    typer.Option(
        "-j",
        "--jobs",
        min=1,
        max=MAX_WORKERS,
        help="Local worker processes (default 1: runs in this process, as every command).",
    ),
]
Scheduler = Annotated[
    str | None,
    typer.Option("--scheduler", help="Run on the Dask cluster at ADDRESS (tcp:// or tls://)."),
]
TlsCa = Annotated[Path | None, typer.Option("--tls-ca", help="CA certificate (tls://).")]
TlsCert = Annotated[Path | None, typer.Option("--tls-cert", help="Client certificate (tls://).")]
TlsKey = Annotated[Path | None, typer.Option("--tls-key", help="Client key (tls://).")]
DaskLocal = Annotated[
    int | None,
    typer.Option(
        "--dask-local", min=1, max=MAX_WORKERS, help="Run on a local Dask cluster of N workers."
    ),
]


def choose_executor(
    stack: ExitStack,
    jobs: int | None,
    scheduler: str | None,
    dask_local: int | None,
    tls_ca: Path | None,
    tls_cert: Path | None,
    tls_key: Path | None,
) -> tuple[Executor, int, str]:
    """The executor the options ask for, entered on `stack` (started now, stopped with it):
    with its number of workers and how to name it in a record of the run."""
    from reesim.experiment.executors import local_executor

    tls_given = [p for p in (tls_ca, tls_cert, tls_key) if p is not None]
    if scheduler is None and dask_local is None:
        if tls_given:
            raise UsageError("expected --scheduler tls://... with --tls-ca, --tls-cert, --tls-key")
        workers = jobs or 1
        kind = "in-process" if workers == 1 else "local processes"
        local = local_executor(workers)
        stack.enter_context(local)  # the pool starts before any progress thread
        return local, workers, kind
    if scheduler is not None and dask_local is not None:
        raise UsageError("expected --scheduler or --dask-local, not both")
    if jobs is not None:
        raise UsageError("-j applies to local processes; a Dask cluster has its own workers")
    if tls_given and len(tls_given) != 3:
        raise UsageError("expected all of --tls-ca, --tls-cert and --tls-key")
    from reesim.experiment.dask_executor import DaskExecutor, TlsFiles

    for path in tls_given:
        if not path.is_file():
            raise UsageError(f"expected a readable file, got {path}")
    tls = TlsFiles(str(tls_ca), str(tls_cert), str(tls_key)) if tls_given else None
    executor = DaskExecutor(scheduler, local_workers=dask_local, tls=tls)
    stack.enter_context(executor)
    where = f"Dask at {scheduler}" if scheduler else f"Dask LocalCluster ({dask_local})"
    return executor, executor.workers, where
