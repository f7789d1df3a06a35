"""`reesim compare`: scenarios or saved results against a baseline, with CI gates.

Scenario files are run here, all with the same root seed and replication indices, so their
differences are paired (common random numbers). When saved results are given too and
``--seed``/``-n`` are not, scenario files are run with the first saved result's seed and
replications, so they pair with it.

Exit codes: 0 all gates pass (or none); 1 a gate fails; 2 a malformed input or gate; 3 a run
failed.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from reesim.cli.app import app
from reesim.limits import MAX_REPLICATIONS, MAX_SEED, MAX_WORKERS

DEFAULT_REPLICATIONS = 100
DEFAULT_SEED = 1


class Format(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"


class Adjust(StrEnum):
    none = "none"
    holm = "holm"


@app.command()
def compare(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Two or more scenario files (.yaml) or saved results (.json); the first is "
            "the baseline.",
            show_default=False,
        ),
    ],
    replications: Annotated[
        int | None,
        typer.Option(
            "-n",
            "--replications",
            min=1,
            max=MAX_REPLICATIONS,
            help=f"Replications per scenario file (default {DEFAULT_REPLICATIONS}, or those of "
            "the first saved result).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            min=0,
            max=MAX_SEED,
            help=f"Root seed for scenario files (default {DEFAULT_SEED}, or that of the first "
            "saved result).",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "-j",
            "--jobs",
            min=1,
            max=MAX_WORKERS,
            help="Worker processes (1 runs in this process).",
        ),
    ] = 1,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a parameter in every scenario file: PATH=VALUE."),
    ] = None,
    gate_files: Annotated[
        list[Path] | None,
        typer.Option("--gate", help="A gates YAML file (a 'gates' list of name, fail_if)."),
    ] = None,
    fail_if: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-if",
            help="A gate: fail when this is true, e.g. 'delta(firms.ford.production_lost_pct) > 2'.",
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output on stdout.")] = Format.table,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Also write the comparison to a .json or .md file."),
    ] = None,
    kpi: Annotated[
        list[str] | None,
        typer.Option("--kpi", help="Show KPIs matching a glob, e.g. 'firms.*.stockout_days'."),
    ] = None,
    changed_only: Annotated[
        bool, typer.Option("--changed-only", help="Hide KPIs identical in every scenario.")
    ] = False,
    adjust: Annotated[
        Adjust, typer.Option("--adjust", help="Multiple-comparison adjustment across KPIs.")
    ] = Adjust.none,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only errors and failed gates.")
    ] = False,
) -> None:
    """Compare scenarios against the first (baseline): Δ with 95% intervals, paired when run
    with the same seed; what differs in the inputs; gates for CI (exit 1 when one fails)."""
    from reesim.cli.comparing import compare_command

    compare_command(
        inputs,
        replications=replications,
        seed=seed,
        jobs=jobs,
        set_=set_,
        gate_files=gate_files,
        fail_if=fail_if,
        fmt=fmt.value,
        out=out,
        kpi=kpi,
        changed_only=changed_only,
        adjust=None if adjust is Adjust.none else adjust.value,
        quiet=quiet,
    )
