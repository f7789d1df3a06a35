"""`reesim init`: a new scenario file from a few answers, or a copy of a shipped one."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from reesim.cli.app import app, stdout_console
from reesim.errors import UsageError

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "scenarios"
"""The repository's scenarios (a clone, or an editable install)."""


def shipped_scenarios() -> dict[str, Path]:
    """Shipped scenarios by name (file stem): ``controls-2025``, ``licence-queue`` …"""
    if not SHIPPED_DIR.is_dir():
        return {}
    return {p.stem: p for p in sorted(SHIPPED_DIR.rglob("*.yaml"))}


@app.command()
def init(
    out: Annotated[
        Path, typer.Argument(help="The scenario file to write ('-' for stdout).", metavar="FILE")
    ],
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="NAME",
            help="Copy a shipped scenario with its comments (e.g. controls-2025) instead.",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="The scenario's name (default: the file's stem).", metavar="NAME"),
    ] = None,
    firm: Annotated[str, typer.Option(help="The firm's id.", metavar="ID")] = "my_firm",
    material: Annotated[
        str, typer.Option(help="The material's id.", metavar="ID")
    ] = "ndfeb_magnet",
    annual_use: Annotated[
        str, typer.Option(help="Quantity used a year, e.g. '120 t'.", metavar="QUANTITY")
    ] = "120 t",
    units_per_day: Annotated[
        float, typer.Option(help="Units produced a day.", metavar="NUMBER")
    ] = 1000.0,
    stock: Annotated[
        str, typer.Option(help="Stock at the start: days of cover or a quantity.", metavar="STOCK")
    ] = "90d",
    destination: Annotated[
        str, typer.Option(help="Where the firm imports to (its country).", metavar="NAME")
    ] = "us",
    lead_time: Annotated[
        str, typer.Option(help="Shipping time once licensed, e.g. 4w.", metavar="DURATION")
    ] = "4w",
    controlled: Annotated[
        bool, typer.Option(help="Whether exports of the material need a licence.")
    ] = True,
    review_time: Annotated[
        str, typer.Option(help="Mean licence review time, e.g. 45wd.", metavar="DURATION")
    ] = "45wd",
    approve: Annotated[
        float, typer.Option(help="Share of applications approved.", metavar="SHARE")
    ] = 0.75,
    start: Annotated[
        str, typer.Option(help="First day simulated (YYYY-MM-DD).", metavar="DATE")
    ] = "2025-04-04",
    horizon: Annotated[
        str, typer.Option(help="Length of the run, e.g. 1y.", metavar="DURATION")
    ] = "1y",
    end_use: Annotated[
        str, typer.Option(help="civil, dual or defense.", metavar="END_USE")
    ] = "civil",
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Write a new scenario: one firm, one material, a licensing authority, with comments; it
    validates as written, and its ordering level covers the demand over the lead time."""
    from reesim.results.io import atomic_write_text
    from reesim.scenario import scaffold
    from reesim.scenario.load import load_text

    to_stdout = str(out) == "-"
    if not to_stdout and out.exists() and not force:
        raise UsageError(f"{out} exists; choose another file or replace it with --force")
    scenario_name = name or (None if to_stdout else out.stem)
    if from_ is not None:
        text = _copy(from_, scenario_name)
    else:
        try:
            first_day = date.fromisoformat(start)
        except ValueError:
            raise UsageError(f"--start: expected a date YYYY-MM-DD, got {start!r}") from None
        answers = scaffold.Answers(
            name=scenario_name or "my-scenario",
            firm=firm,
            material=material,
            annual_use=annual_use,
            units_per_day=units_per_day,
            stock=stock,
            destination=destination,
            lead_time=lead_time,
            controlled=controlled,
            review_time=review_time,
            approve=approve,
            start=first_day,
            horizon=horizon,
            end_use=end_use,
        )
        found = scaffold.problems(answers)
        if found:
            raise UsageError("\n".join(found))
        text = scaffold.scenario_text(answers)
    load_text(text, str(out))  # what init writes always validates: a failure here is a bug
    if to_stdout:
        sys.stdout.write(text)
        return
    atomic_write_text(out, text)
    stdout_console().print(f"wrote {out}; run it with: reesim run {out}", markup=False)


def _copy(source: str, name: str | None) -> str:
    from reesim.scenario import scaffold

    shipped = shipped_scenarios()
    path = shipped.get(source) or shipped.get(Path(source).stem if source.endswith(".yaml") else "")
    if path is None and Path(source).is_file():
        path = Path(source)
    if path is None:
        names = ", ".join(shipped) or "none found"
        raise UsageError(f"--from: expected a shipped scenario ({names}) or a file, got {source!r}")
    try:
        return scaffold.copied_text(path, name)
    except ValueError as err:
        raise UsageError(f"--from: {err}") from None
