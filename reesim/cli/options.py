"""Options that several commands share, declared once so they read and check the same way."""

from __future__ import annotations

from typing import Annotated

import typer

from reesim.limits import MAX_SEED, MAX_WORKERS

Jobs = Annotated[
    int,
    typer.Option(
        "-j",
        "--jobs",
        min=1,
        max=MAX_WORKERS,
        help="Worker processes (1 runs in this process).",
    ),
]
"""``-j N``: worker processes for the replications (1, the default, runs in this process)."""

Seed = Annotated[int, typer.Option("--seed", min=0, max=MAX_SEED, help="Root seed.")]
"""``--seed S``: the root seed every replication's random streams derive from."""
