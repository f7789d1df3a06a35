"""`reesim compare`: scenarios or saved results against a baseline, with CI gates.

The command parses its options, reads and runs the inputs (`reesim.experiment.comparison`:
which seed and replications, paired runs), renders the comparison (`reesim.report
.compare_tables`) and turns a failed gate into `GateFailed`.

Exit codes: 0 all gates pass (or none); 1 a gate fails; 2 a malformed input or gate; 3 a run
failed.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from reesim.cli.app import app
from reesim.cli.options import Jobs
from reesim.limits import (
    COMPARE_REPLICATIONS,
    COMPARE_SEED,
    MAX_REPLICATIONS,
    MAX_SEED,
)


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
            help=f"Replications per scenario file (default {COMPARE_REPLICATIONS}, or those of "
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
            help=f"Root seed for scenario files (default {COMPARE_SEED}, or that of the first "
            "saved result).",
            show_default=False,
        ),
    ] = None,
    jobs: Jobs = 1,
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
    from contextlib import ExitStack

    from reesim.cli.app import progress_bar, stdout_console, warn_before_running
    from reesim.cli.output import Outputs, check_file
    from reesim.errors import GateFailed, Interrupted, Terminated, interrupted_exit_code
    from reesim.experiment.comparison import plan_comparison, run_comparison
    from reesim.experiment.executors import local_executor
    from reesim.report.compare_tables import (
        compare_json,
        compare_markdown,
        compare_renderable,
        gate_failures,
    )

    check_file(out, (".json", ".md"))
    plan = plan_comparison(
        inputs,
        overrides=set_ or (),
        replications=replications,
        seed=seed,
        gate_expressions=fail_if or (),
        gate_files=gate_files or (),
    )
    for resolved in plan.to_run:
        warn_before_running(resolved, quiet)
    try:
        with ExitStack() as stack:
            # The pool starts before the progress bar's thread, so workers can be forked.
            executor = local_executor(jobs) if plan.scenarios else None
            if executor is not None:
                stack.enter_context(executor)
            progress = (
                stack.enter_context(progress_bar(quiet, len(plan.replications)))
                if plan.scenarios
                else None
            )
            compared = run_comparison(
                plan,
                executor,
                jobs,
                progress,
                kpis=kpi or (),
                changed_only=changed_only,
                adjust=None if adjust is Adjust.none else adjust.value,
            )
    except (KeyboardInterrupt, Terminated) as exc:
        raise Interrupted(
            "interrupted: nothing was saved (reesim compare reports when every run is "
            "done); run the command again to start over",
            interrupted_exit_code(exc),
        ) from None
    outputs = Outputs()
    if out is not None:
        json_out = out.suffix.lower() == ".json"
        text = compare_json(compared) if json_out else compare_markdown(compared)
        outputs.write(out, text, "the comparison")
    if not quiet:
        if fmt is Format.json:
            sys.stdout.write(compare_json(compared))
        elif fmt is Format.markdown:
            sys.stdout.write(compare_markdown(compared))
        else:
            stdout_console().print(compare_renderable(compared))
    outputs.raise_failures()
    if compared.gates_failed:
        raise GateFailed(gate_failures(compared))
