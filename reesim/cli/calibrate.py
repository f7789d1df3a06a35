"""`reesim calibrate`: fit a scenario's declared uncertainties to observed data (ABC-SMC)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from reesim.cli.app import app, stderr_console, stdout_console
from reesim.cli.executor_choice import (
    DaskLocal,
    LocalJobs,
    Scheduler,
    TlsCa,
    TlsCert,
    TlsKey,
    choose_executor,
)
from reesim.cli.options import Seed
from reesim.cli.output import check_file
from reesim.errors import UsageError
from reesim.limits import (
    MAX_DRAWS,
    MAX_GENERATIONS,
    MAX_PARTICLES,
    MAX_REPLICATIONS,
)
from reesim.report.words import counted
from reesim.results.names import is_daily

if TYPE_CHECKING:
    pass


class DistanceName(StrEnum):
    squared = "squared"
    absolute = "absolute"


@app.command()
def calibrate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file with uncertainties.")],
    data: Annotated[Path, typer.Option("--data", help="CSV of observations: date,name,value.")],
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Fit only these uncertainties (ids).")
    ] = None,
    holdout_from: Annotated[
        str | None,
        typer.Option("--holdout-from", help="Hold out observations on or after this date."),
    ] = None,
    population: Annotated[
        int, typer.Option("--population", min=4, max=MAX_PARTICLES, help="Particles.")
    ] = 40,
    generations: Annotated[
        int, typer.Option("--generations", min=1, max=MAX_GENERATIONS, help="ABC-SMC rounds.")
    ] = 4,
    replications: Annotated[
        int,
        typer.Option(
            "-n",
            "--replications",
            min=1,
            max=MAX_REPLICATIONS,
            help="Replications per value tried.",
        ),
    ] = 4,
    distance: Annotated[
        DistanceName, typer.Option("--distance", help="squared or absolute standardised error.")
    ] = DistanceName.squared,
    draws: Annotated[
        int,
        typer.Option(
            "--draws", min=2, max=MAX_DRAWS, help="Posterior draws for the predictive bands."
        ),
    ] = 20,
    seed: Seed = 1,
    jobs: LocalJobs = None,
    scheduler: Scheduler = None,
    tls_ca: TlsCa = None,
    tls_cert: TlsCert = None,
    tls_key: TlsKey = None,
    dask_local: DaskLocal = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a parameter: PATH=VALUE.")
    ] = None,
    write: Annotated[
        Path | None, typer.Option("--write", help="Write the calibrated scenario file here.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the fit as JSON.")] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML report.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Fit a scenario's declared uncertainties to observed series or KPIs (ABC-SMC)."""
    check_file(write, (".yaml", ".yml"))
    check_file(out, (".json",))
    check_file(report, (".html", ".htm"))
    total = (population * generations + draws) * replications
    if total > MAX_REPLICATIONS:
        raise UsageError(
            f"expected at most {MAX_REPLICATIONS:,} replications in all ((--population x "
            f"--generations + --draws) x -n), got {total:,}"
        )
    from reesim.questions.calibrate import abc_smc, fit_of, predictive, priors
    from reesim.questions.observations import check_names, read_observations
    from reesim.questions.runs import ScenarioRuns
    from reesim.scenario.yamlsource import read_document

    doc = read_document(scenario)
    runs = ScenarioRuns(doc, tuple(set_ or ()), seed)
    base = runs.resolved([])
    declared = base.scenario.uncertainties
    unknown = [n for n in only or () if n not in declared]
    if unknown or not declared:
        raise UsageError(
            f"expected uncertainties declared in {scenario} ({', '.join(declared) or 'none'}), "
            f"got {', '.join(unknown) or 'none declared'}"
        )
    observations = read_observations(data)
    pilot = runs.run([], [0])
    monthly = {s for s in pilot.series if not is_daily(s)}
    check_names(observations, str(data), monthly, set(pilot.kpis), pilot.months)
    cut = _date(holdout_from)
    fitted = [cut is None or o.date is None or o.date < cut for o in observations]
    if not any(fitted):
        raise UsageError(f"expected observations before --holdout-from {holdout_from}, got none")
    chosen = priors(declared, only or ())
    with ExitStack() as stack:
        executor, _, where = choose_executor(
            stack, jobs, scheduler, dask_local, tls_ca, tls_cert, tls_key
        )
        cal = abc_smc(
            chosen,
            observations,
            fitted,
            runs.resolved,
            seed,
            population,
            generations,
            replications,
            distance.value,
            executor,
        )
        pred = predictive(cal, runs.resolved, seed + 1, draws, executor)
    fits = [
        ("fitted", fit_of(cal, pred, fitted)),
        ("held out", fit_of(cal, pred, [not f for f in fitted])),
    ]
    if write is not None:
        _write(doc, scenario, cal, data, write)
    if out is not None:
        from reesim.results.io import atomic_write_text

        atomic_write_text(out, json.dumps(_as_dict(cal, fits, where), indent=2) + "\n")
    if report is not None:
        from reesim.report.answers_html import calibration_report
        from reesim.report.html import write_report

        write_report(calibration_report(cal, pred, fits, base.name, str(data)), report)
    if quiet:
        return
    console = stdout_console()
    console.print(
        f"{base.name}: ABC-SMC, {len(cal.generations)} generations of {population}, "
        f"{cal.simulations:,} values simulated x {counted(replications, 'replication')}; "
        f"{sum(fitted)} observations fitted, {len(fitted) - sum(fitted)} held out"
    )
    console.print(_posterior_table(cal))
    for name, f in fits:
        if f is not None:
            console.print(
                f"{name}: {f.observations} observations, standardised RMSE "
                f"{f.rmse_standardised:.2f}, {f.coverage_90:.0%} inside the 90% predictive band"
            )
    if write is not None:
        stderr_console().print(f"calibrated scenario written to {write}", style="dim")


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"expected --holdout-from as a date like 2025-07-01, got {text!r}"
        ) from None


def _posterior_table(cal: object) -> Table:
    from reesim.questions.calibrate import Calibration

    assert isinstance(cal, Calibration)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="posterior", title_justify="left")
    for name, right in (
        ("uncertainty", False),
        ("prior range", True),
        ("median", True),
        ("90% interval", True),
        ("sd", True),
    ):
        table.add_column(name, justify="right" if right else "left")
    for i, p in enumerate(cal.priors):
        _, sd, q5, q50, q95 = cal.summary(i)
        table.add_row(
            f"{p.name} ({p.axis.path})",
            f"{p.axis.text(p.axis.low)} .. {p.axis.text(p.axis.high)}",
            str(p.axis.text(q50)),
            f"{p.axis.text(q5)} .. {p.axis.text(q95)}",
            f"{sd:.3g}",
        )
    return table


def _write(doc: object, scenario: Path, cal: object, data: Path, path: Path) -> None:
    from reesim.questions.calibrate import Calibration
    from reesim.questions.rewrite import Edit, rewrite
    from reesim.results.io import atomic_write_text
    from reesim.scenario.yamlsource import Document, flow_text

    assert isinstance(cal, Calibration) and isinstance(doc, Document)
    edits = []
    for i, p in enumerate(cal.priors):
        _, _, q5, q50, q95 = cal.summary(i)
        edits.append(
            Edit(
                p.axis.path,
                flow_text(p.axis.text(q50)),
                f"calibrated by reesim calibrate to {data.name}: posterior median; 90% interval "
                f"{p.axis.text(q5)} .. {p.axis.text(q95)}",
            )
        )
    atomic_write_text(path, rewrite(scenario.read_text(encoding="utf-8"), doc, edits))


def _as_dict(cal: object, fits: Sequence[tuple[str, object]], executor: str) -> dict[str, object]:
    from reesim.questions.calibrate import Calibration, Fit

    assert isinstance(cal, Calibration)
    posterior = {}
    for i, p in enumerate(cal.priors):
        mean, sd, q5, q50, q95 = cal.summary(i)
        posterior[p.name] = {
            "path": p.axis.path,
            "prior": [p.axis.text(p.axis.low), p.axis.text(p.axis.high)],
            "mean": mean,
            "sd": sd,
            "p5": q5,
            "median": q50,
            "p95": q95,
            "median_text": p.axis.text(q50),
            "draws": [float(v) for v in cal.values(i)],
            "weights": [float(w) for w in cal.posterior.weights],
        }
    return {
        "method": "abc-smc",
        "distance": cal.distance,
        "replications": cal.replications,
        "simulations": cal.simulations,
        "executor": executor,  # where the simulations ran, as a sweep records it
        "tolerances": [
            g.tolerance if g.tolerance != float("inf") else None for g in cal.generations
        ],
        "posterior": posterior,
        "fit": {name: None if not isinstance(f, Fit) else vars(f) for name, f in fits},
    }
