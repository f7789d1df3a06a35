"""Start-up and the process edges: what `reesim --help` and `reesim validate` import, an
interrupt while importing, and a reader that closes the pipe early. Every test runs the real
command in its own process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import MINIMAL

HEAVY = (
    "scipy",
    "matplotlib",
    "pyarrow",
    "dask",
    "distributed",
    "SALib",
    "simpy",
    "jinja2",
    "numpy",
    "pydantic",
)
"""Libraries that only running, reporting or sweeping need, and the two that loading a scenario
needs (numpy, pydantic): `reesim --help` imports none of them."""
LOADING = {"numpy", "pydantic"}
"""What a command's own help and `validate` may import (they build on scenario types)."""

PROBE = """
import sys
from reesim.cli.main import main
code = main(sys.argv[1:])
heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))
print("IMPORTED", ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""


def imported(*argv: str, cwd: Path) -> tuple[int, set[str], str]:
    """Run `reesim ARGV` in a fresh interpreter; which heavy libraries it imported."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("IMPORTED"))
    names = {n for n in line.removeprefix("IMPORTED").strip().split(",") if n}
    return proc.returncode, names, proc.stdout


def test_help_imports_no_heavy_library(tmp_path: Path) -> None:
    code, names, out = imported("--help", cwd=tmp_path)
    assert code == 0 and "run" in out and "sweep" in out
    assert names == set()  # a command importing numpy at load once made this cost 0.4 s


@pytest.mark.parametrize(
    "command",
    ["run", "compare", "sweep", "report", "validate", "plot", "solve", "calibrate", "discover"],
)
def test_command_help_imports_no_heavy_library(tmp_path: Path, command: str) -> None:
    code, names, out = imported(command, "--help", cwd=tmp_path)
    assert code == 0 and "Usage" in out
    assert names <= LOADING


def test_a_command_builds_only_its_own_command(tmp_path: Path) -> None:
    # typer reads every registered command's signature as the app starts: a command named on
    # the command line registers only itself; help still lists every command.
    (tmp_path / "s.yaml").write_text(MINIMAL)
    probe = (
        "import sys\n"
        "from reesim.cli.main import COMMANDS, main\n"
        "code = main(sys.argv[1:])\n"
        "print('LOADED', sorted(c for c in COMMANDS if 'reesim.cli.' + c in sys.modules), "
        "file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    for argv, loaded in (
        (["validate", "s.yaml"], "['validate']"),
        (["run", "s.yaml", "-n", "2", "-q"], "['run']"),
        (
            ["--help"],
            "['calibrate', 'compare', 'discover', 'init', 'plot', 'report', 'run', "
            "'schema', 'solve', 'sweep', 'validate']",
        ),
    ):
        proc = subprocess.run(
            [sys.executable, "-c", probe, *argv], capture_output=True, text=True, cwd=tmp_path
        )
        assert proc.returncode == 0, proc.stderr
        assert f"LOADED {loaded}" in proc.stderr, proc.stderr


def test_only_the_program_skips_the_last_collection(tmp_path: Path) -> None:
    # As the program (no argv: the console script), main freezes the heap as the process
    # ends; an in-process caller (argv given) keeps its collector as it was.
    probe = (
        "import gc, sys\n"
        "from reesim.cli.main import main\n"
        "sys.argv = ['reesim', '--version']\n"
        "main(['--version']); given = gc.get_freeze_count()\n"
        "main(); print('FROZEN', given, gc.get_freeze_count() > 0)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path
    )
    assert "FROZEN 0 True" in proc.stdout, proc.stdout + proc.stderr


def test_validate_imports_no_heavy_library(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(MINIMAL)
    code, names, out = imported("validate", "s.yaml", cwd=tmp_path)
    assert code == 0 and out.startswith("ok   s.yaml")
    assert names <= LOADING


def test_run_imports_what_it_needs(tmp_path: Path) -> None:
    """The probe itself can see a heavy import: a run needs simpy (and the statistics scipy)."""
    (tmp_path / "s.yaml").write_text(MINIMAL)
    code, names, _ = imported("run", "s.yaml", "-n", "2", "-q", cwd=tmp_path)
    assert code == 0
    assert "simpy" in names
    assert not names & {"matplotlib", "pyarrow", "dask", "jinja2"}


def test_design_names_in_help_match_the_designs() -> None:
    from reesim.cli.sweep import DESIGN_NAMES
    from reesim.experiment.design import DESIGNS

    assert ", ".join(DESIGNS) == DESIGN_NAMES


def reesim_command() -> list[str]:
    return [sys.executable, "-m", "reesim.cli"]


READY = """
import sys
from reesim.cli.main import main
sys.stderr.write("READY\\n")
sys.stderr.flush()
sys.exit(main(sys.argv[1:]))
"""
"""What the console script does, saying when it is about to call `main`: the interrupt below
lands in reesim's own imports and work, not in the interpreter's start-up (`site`), which no
program can guard."""


@pytest.mark.parametrize("delay_s", [0.005, 0.02, 0.1, 0.3, 0.8])
def test_interrupt_during_start_up_prints_no_traceback(tmp_path: Path, delay_s: float) -> None:
    """SIGINT at several moments (imports, loading, running): never a traceback, exit 130
    and a word saying so (or 0 if the run finished first)."""
    (tmp_path / "s.yaml").write_text(MINIMAL)
    # Enough replications that the last delay still lands in the run, however fast it gets
    # (a signal in the interpreter's own shutdown, after the run, kills it by signal: CPython
    # gives Ctrl-C back to the system there, and no program can guard that).
    proc = subprocess.Popen(
        [sys.executable, "-c", READY, "run", "s.yaml", "-n", "20000"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    assert proc.stderr.readline() == "READY\n"
    time.sleep(delay_s)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert proc.returncode in (130, 0), (proc.returncode, err)
    if proc.returncode == 130:
        assert err.startswith("interrupted"), err


def test_closed_stdout_exits_quietly(tmp_path: Path) -> None:
    """`reesim run … | head -1`: the reader goes away; reesim says nothing and exits 141
    (128 + SIGPIPE, as a shell reports a Unix tool stopped by the pipe), not 1 (a gate)."""
    (tmp_path / "s.yaml").write_text(MINIMAL)
    for fmt in ("table", "csv", "json"):
        read_end, write_end = os.pipe()
        os.close(read_end)  # the reader is gone before anything is written
        proc = subprocess.run(
            [*reesim_command(), "run", "s.yaml", "-n", "3", "-f", fmt],
            cwd=tmp_path,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
        os.close(write_end)
        assert (fmt, proc.stderr) == (fmt, "")
        assert (fmt, proc.returncode) == (fmt, 141)


def test_head_reads_the_first_line(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(MINIMAL)
    command = " ".join(reesim_command())
    shell = f"{command} run s.yaml -n 3 -f csv | head -1; echo rc=${{PIPESTATUS[0]}}"
    proc = subprocess.run(
        ["bash", "-c", shell], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("kpi,unit,mean")
    assert lines[-1] in ("rc=0", "rc=141")  # 0 when all of it fitted in the pipe first
    assert proc.stderr == ""
