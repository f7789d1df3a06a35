"""`reesim sweep`: many design points of a scenario, on local processes or a Dask cluster."""

from __future__ import annotations

import math
import shlex
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from reesim.cli.app import app, stderr_console, stdout_console, warn_before_running
from reesim.cli.executor_choice import (
    DaskLocal,
    LocalJobs,
    Scheduler,
    TlsCa,
    TlsCert,
    TlsKey,
    choose_executor,
)
from reesim.cli.output import check_dir
from reesim.errors import Interrupted, SimulationError, UsageError, interrupted_exit_code
from reesim.limits import MAX_REPLICATIONS, MAX_SEED
from reesim.report.words import counted

if TYPE_CHECKING:  # the sweep machinery (pyarrow, SALib) loads only when a sweep runs
    from reesim.experiment.sweep import ProgressCallback, SweepProgress
    from reesim.experiment.sweepfile import SweepPlan
    from reesim.experiment.sweepsummary import SweepOutcome

PLAIN_EVERY_S = 10.0
"""Seconds between progress lines when stderr is not a terminal (CI logs)."""
DESIGN_NAMES = "grid, zip, random, lhs, sobol"
"""`reesim.experiment.design.DESIGNS`, spelt out so --help need not import numpy (a test checks
they agree)."""


@app.command()
def sweep(
    target: Annotated[
        Path,
        typer.Argument(
            help="A sweep file, or a scenario to sweep with --vary (or its uncertainties)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
    jobs: LocalJobs = None,
    scheduler: Scheduler = None,
    tls_ca: TlsCa = None,
    tls_cert: TlsCert = None,
    tls_key: TlsKey = None,
    dask_local: DaskLocal = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the sweep in --out (or start it).")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="With --resume: resume although the sweep or reesim changed. Without: replace "
            "the sweep in --out.",
        ),
    ] = False,
    max_failures: Annotated[
        int | None,
        typer.Option("--max-failures", min=1, help="Stop once N replications have failed."),
    ] = None,
    sort_by: Annotated[
        str | None, typer.Option("--sort-by", help="KPI to rank points by (default: the first).")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Points shown at each end.")] = 5,
    batch_size: Annotated[
        int | None,
        typer.Option("--batch-size", min=1, help="Replications per task (default: automatic)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
    vary: Annotated[
        list[str] | None,
        typer.Option(
            "--vary",
            help="Scenario only: a factor, PATH=a,b,c or a range PATH=low:high[:N][:log] (N levels; default 5 in a grid).",
        ),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option(
            "-n",
            "--replications",
            min=1,
            max=MAX_REPLICATIONS,
            help="Scenario only: replications per point (default 20).",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=0, max=MAX_SEED, help="Scenario only: root seed (default 1)."),
    ] = None,
    design: Annotated[
        str | None,
        typer.Option("--design", help=f"Scenario only: {DESIGN_NAMES} (default grid)."),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples", min=1, help="Scenario only: points (random, lhs), base samples (sobol)."
        ),
    ] = None,
    kpi: Annotated[
        list[str] | None, typer.Option("--kpi", help="Scenario only: KPIs to keep (globs).")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Scenario only: override PATH=VALUE.")
    ] = None,
) -> None:
    """Run a design of points over a scenario: a sweep file, or --vary factors on a scenario.

    Writes sweep.json, parts/*.parquet, points.parquet/.csv, sensitivity.csv; exit 3 on failures.
    """
    from reesim.experiment.sweep import SweepInterrupted, check_sort_by, execute_sweep
    from reesim.experiment.sweepfile import adhoc_plan, is_sweep_document, load_sweep
    from reesim.scenario.yamlsource import read_document

    doc = read_document(target)
    adhoc = {
        "--vary": vary,
        "-n": replications,
        "--seed": seed,
        "--design": design,
        "--samples": samples,
        "--kpi": kpi,
        "--set": set_,
    }
    plan: SweepPlan
    sweep_file = is_sweep_document(doc)
    if sweep_file:
        given = [name for name, value in adhoc.items() if value]
        if given:
            raise UsageError(
                f"{', '.join(given)} apply to a scenario; {target} is a sweep file: write them in it"
            )
        plan = load_sweep(target, doc)
    else:
        plan = adhoc_plan(
            target,
            vary or (),
            set_ or (),
            replications=replications or 20,
            seed=1 if seed is None else seed,
            design=design or "grid",
            samples=samples,
            kpis=kpi or (),
            command=_command(target, adhoc),
            doc=doc,
        )
    if sort_by is not None:
        check_sort_by(plan, sort_by)
    warn_before_running(plan.base, quiet)
    check_dir(out)
    try:
        with ExitStack() as stack:
            executor, workers, name = choose_executor(
                stack, jobs, scheduler, dask_local, tls_ca, tls_cert, tls_key
            )
            bar = stack.enter_context(_SweepProgress(quiet))
            outcome = execute_sweep(
                plan,
                out,
                executor,
                workers=workers,
                executor_name=name,
                resume=resume,
                force=force,
                max_failures=max_failures,
                batch_size=batch_size,
                progress=bar.callback,
                notice=_notice,
            )
    except SweepInterrupted as stop:
        raise Interrupted(
            f"interrupted: {stop.done} of {stop.total} replications are saved in {out}; "
            f"finish the sweep with: {_resume_command(target, out, None if sweep_file else adhoc)}",
            interrupted_exit_code(stop.cause),
        ) from None
    if not quiet:
        _report(plan, outcome, sort_by, top)
    if outcome.failed:
        first = outcome.failures[0] if outcome.failures else {}
        raise SimulationError(
            f"{outcome.failed} of {counted(outcome.done, 'replication')} failed (all in "
            f"{outcome.out_dir / 'failures.csv'}); first: point {first.get('point')}, replication "
            f"{first.get('replication')}: {first.get('error')}; replay it with: {first.get('replay')}",
            replication=first.get("replication"),
            seed=first.get("seed"),
        )


def _notice(text: str) -> None:
    stderr_console().print(text, markup=False)


def _resume_command(target: Path, out: Path, adhoc: dict[str, Any] | None) -> str:
    """The command that finishes this sweep, as it can be pasted."""
    words = shlex.split(_command(target, adhoc)) if adhoc else ["reesim", "sweep", str(target)]
    return shlex.join([*words, "-o", str(out), "--resume"])


def _command(target: Path, options: dict[str, Any]) -> str:
    words = ["reesim", "sweep", str(target)]
    for name, value in options.items():
        for v in value if isinstance(value, list) else [value]:
            if v is not None:
                words += [name, str(v)]
    return shlex.join(words)


class _SweepProgress:
    """A rich bar on a terminal; a plain line every PLAIN_EVERY_S seconds otherwise."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.bar: Progress | None = None
        self.task: Any = None
        self.last = 0.0
        self.latest: SweepProgress | None = None

    def __enter__(self) -> _SweepProgress:
        if not self.quiet and self.tty:
            self.bar = Progress(
                TextColumn("points {task.fields[points]}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("replications, {task.fields[rate]} /s"),
                TimeRemainingColumn(),
                console=stderr_console(),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("sweep", total=None, points="", rate="-")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
        elif not self.quiet and self.latest is not None and self.last:
            self._line(self.latest)

    @property
    def callback(self) -> ProgressCallback | None:
        return None if self.quiet else self._update

    def _update(self, p: SweepProgress) -> None:
        self.latest = p
        rate = p.ran / p.elapsed_s if p.elapsed_s > 0 else 0.0
        if self.bar is not None:
            self.bar.update(
                self.task,
                completed=p.replications_done,
                total=p.replications,
                points=f"{p.points_done}/{p.points}",
                rate=f"{rate:,.1f}",
            )
            return
        now = time.monotonic()
        if not self.last:
            self.last = now
        elif now - self.last >= PLAIN_EVERY_S:
            self.last = now
            self._line(p)

    def _line(self, p: SweepProgress) -> None:
        rate = p.ran / p.elapsed_s if p.elapsed_s > 0 else 0.0
        left = p.replications - p.replications_done
        eta = _duration(left / rate) if rate > 0 else "?"
        failed = f" ({p.failed} failed)" if p.failed else ""
        stderr_console().print(
            f"sweep: {p.points_done}/{p.points} points, {p.replications_done}/{p.replications} "
            f"replications{failed}, {rate:,.1f}/s, ETA {eta}",
            markup=False,
        )


def _duration(seconds: float) -> str:
    s = int(math.ceil(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def _report(plan: SweepPlan, outcome: SweepOutcome, sort_by: str | None, top: int) -> None:
    from reesim.report.sweep_tables import outcome_line, sweep_renderables

    console = stdout_console()
    console.print(outcome_line(plan.name, plan.design.kind, plan.replications, outcome))
    if not outcome.kpis:
        return
    from reesim.experiment.store import read_sweep

    summary = read_sweep(outcome.out_dir)
    kpi = sort_by or outcome.kpis[0]
    for renderable in sweep_renderables(summary, outcome, kpi, top, plan.design.kind == "sobol"):
        console.print(renderable)
