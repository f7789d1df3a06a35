"""Command-line conventions: clean help, -V, completion, one -j default, arguments checked
before any work, counts in words, sweeps named after their scenario."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from reesim.cli.app import app
from reesim.cli.main import main, register_commands

ROOT = Path(__file__).resolve().parent.parent
QUEUE = ROOT / "scenarios/examples/licence-queue.yaml"
register_commands()
COMMANDS = sorted(
    c.name
    for c in typer.main.get_command(app).commands.values()  # type: ignore[attr-defined]
)


def test_every_command_is_listed() -> None:
    assert set(COMMANDS) >= {
        "run", "validate", "schema", "sweep", "compare", "plot", "report", "solve",
        "calibrate", "discover", "init",
    }  # fmt: skip


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_uses_plain_metavars(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [command, "--help"] if command else ["--help"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    for typer_label in ("<bool>", "<int", "<float", "<list[", "<path>", "<str>", "{"):
        assert typer_label not in text, f"reesim {command} --help shows {typer_label!r}"
    assert "…" not in text  # nothing cut


def test_run_help_names_values(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--help"]) == 0
    text = capsys.readouterr().out
    assert "Usage: reesim run [OPTIONS] SCENARIO" in text
    for shown in ("-n, --replications N", "--set PATH=VALUE", "--series GLOB", "-q, --quiet  "):
        assert shown in text


def test_version_short_and_long(capsys: pytest.CaptureFixture[str]) -> None:
    from reesim import __version__

    for flag in ("-V", "--version"):
        assert main([flag]) == 0
        assert capsys.readouterr().out == f"reesim {__version__}\n"


def test_shell_completion_completes_commands() -> None:
    env = {
        **os.environ,
        "_REESIM_COMPLETE": "complete_bash",
        "COMP_WORDS": "reesim sw",
        "COMP_CWORD": "1",
    }
    script = "from reesim.cli.main import main; main()"
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert out.stdout.split() == ["sweep"]
    shown = subprocess.run(
        [sys.executable, "-c", script, "--show-completion", "bash"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
    )
    assert "_REESIM_COMPLETE" in shown.stdout


def test_every_command_defaults_to_one_worker() -> None:
    group = typer.main.get_command(app)
    defaults = {}
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        for param in command.params:
            if "--jobs" in getattr(param, "opts", ()):
                defaults[name] = param.default
    assert set(defaults) >= {"run", "sweep", "compare", "solve", "calibrate"}
    assert set(defaults.values()) <= {1, None}, defaults  # None: sweep's "not given", meaning 1


def test_one_replication_is_singular(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(QUEUE), "-n", "1"]) == 0
    out = capsys.readouterr().out
    assert "licence-queue: 1 replication, seed 1" in out
    assert main(["run", str(QUEUE), "-n", "2"]) == 0
    assert "licence-queue: 2 replications, seed 1" in capsys.readouterr().out


def test_sweep_is_named_after_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "my-copy.yaml"
    copy.write_text(QUEUE.read_text())
    argv = ["sweep", str(copy), "--vary", "authority.review.capacity=2,3", "-n", "1"]
    assert main([*argv, "-o", str(tmp_path / "s")]) == 0
    assert capsys.readouterr().out.startswith(
        "licence-queue: grid design, 2 points x 1 replication;"
    )
    manifest = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert "licence-queue" in json.dumps(manifest) and "my-copy" not in manifest.get("name", "")


@pytest.mark.parametrize("quiet", [[], ["-q"]])
def test_an_unknown_sort_kpi_is_refused_before_the_sweep(
    quiet: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    argv = [
        "sweep",
        str(QUEUE),
        "--vary",
        "authority.review.capacity=2,3",
        "-n",
        "2",
        "-o",
        str(out),
    ]
    assert main([*argv, "--sort-by", "authority.utilisation", *quiet]) == 2
    err = capsys.readouterr().err
    assert "--sort-by: expected a KPI of this sweep, got 'authority.utilisation'" in err
    assert "did you mean authority.utilization" in err
    assert not out.exists()  # nothing ran


def test_an_unknown_series_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.json"
    assert (
        main(["run", str(QUEUE), "-n", "3", "--series", "authority.pendng*", "-o", str(out)]) == 2
    )
    err = capsys.readouterr().err
    assert "no series matches authority.pendng*; there are:" in err
    assert "authority.pending_applications" in err and "_daily" not in err
    assert not out.exists()  # refused before anything ran or was written
