"""What the commands print and write, whatever the names and destinations: output errors are
caught before the run or reported with the path (a finished result kept aside), internal errors
have their own exit code, names print literally, charts never overwrite each other, and names in
any script draw without warnings (pytest turns warnings into errors)."""

from __future__ import annotations

import errno
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from reesim.cli.main import main
from reesim.errors import INTERNAL_ERROR
from reesim.report import plots
from tests.conftest import MINIMAL

SHORT = MINIMAL.split("timeline:")[0].replace("horizon: 90d", "horizon: 30d")
"""MINIMAL without its timeline, over 30 days: quick to run."""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("ok.yaml").write_text(SHORT)
    Path("afile").write_text("not a directory\n")
    Path("adir").mkdir()
    Path("dir.json").mkdir()
    Path("null.json").symlink_to(os.devnull)
    return tmp_path


REESIM = "import sys; from reesim.cli.main import main; sys.exit(main(sys.argv[1:]))"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- destinations checked before the run ---------------------------------------------------


@pytest.mark.parametrize(
    ("option", "path", "message"),
    [
        ("--out", "dir.json", "dir.json: expected a writable output file, got a directory"),
        (
            "--out",
            "afile/x.json",
            "afile/x.json: expected a writable output file, got a path under a file",
        ),
        ("--out", "null.json", "null.json: expected a writable output file, got a device"),
        (
            "--out",
            "adir",
            "adir: expected an output file ending in .json, .csv or .xlsx, got 'adir'",
        ),
        ("--report", "afile/r.html", "afile/r.html: expected a writable output file, got a path"),
        ("--report", "r.pdf", "r.pdf: expected an output file ending in .html or .htm"),
    ],
)
def test_unwritable_destinations_are_refused_before_the_run(
    workdir: Path, capsys: pytest.CaptureFixture[str], option: str, path: str, message: str
) -> None:
    # The scenario does not exist: only the destination is reported, so nothing ran.
    code, out, err = run(capsys, "run", "missing.yaml", option, path)
    assert code == 2
    assert err.startswith(message), err
    assert "missing.yaml" not in err and "Traceback" not in err
    assert Path("/dev/null").is_char_device()  # never replaced by a file, even as root


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["compare", "ok.yaml", "ok.yaml", "-n", "2", "-o", "dir.json"],
            "dir.json: expected a writable output file, got a directory",
        ),
        (
            ["compare", "ok.yaml", "ok.yaml", "-o", "x.txt"],
            "x.txt: expected an output file ending in .json or .md",
        ),
        (
            ["plot", "r.json", "-o", "afile"],
            "afile: expected a writable directory, got a file (afile)",
        ),
        (
            ["plot", "r.json", "-o", "afile/charts"],
            "afile/charts: expected a writable directory, got a path under a file",
        ),
        (
            ["report", "r.json", "-o", "adir/x/../r.txt"],
            "expected an output file ending in .html or .htm",
        ),
    ],
)
def test_every_command_checks_its_outputs(
    workdir: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert (code, "Traceback" in err) == (2, False)
    assert message in err, err


def test_a_failed_write_keeps_the_finished_result(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import reesim.files

    real_replace = os.replace

    def disk_full(src: str, dst: str) -> None:
        if str(dst).endswith("result.json"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(reesim.files.os, "replace", disk_full)
    code, out, err = run(
        capsys, "run", "ok.yaml", "-n", "2", "--out", "result.json", "--format", "csv"
    )
    assert code == 2
    assert out.startswith("kpi,unit,mean")  # the run still reports on stdout
    head, _, kept = err.strip().partition("; the result is kept in ")
    assert head == "result.json: expected a writable output file, got no space left on the device"
    saved = json.loads(Path(kept).read_text())
    Path(kept).unlink()
    assert saved["replications"] == 2
    assert not Path("result.json").exists()
    assert [p.name for p in workdir.iterdir() if p.name.startswith(".result")] == []


def test_a_file_size_limit_is_an_error_with_the_path(workdir: Path) -> None:
    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    proc = subprocess.run(
        [sys.executable, "-c", REESIM, "run", "ok.yaml", "-n", "2", "-q", "-o", "r.json"],
        capture_output=True,
        text=True,
        preexec_fn=small_files,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("r.json: expected a writable output file, got a file larger than")
    assert "Traceback" not in proc.stderr
    assert not Path("r.json").exists()


# --- internal errors -----------------------------------------------------------------------


def test_an_internal_error_has_its_own_exit_code(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import reesim.experiment.runner

    def broken(*_: object, **__: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(reesim.experiment.runner, "run_scenario", broken)
    monkeypatch.delenv("REESIM_TRACEBACK", raising=False)
    code, _, err = run(capsys, "run", "ok.yaml", "-n", "1")
    assert code == INTERNAL_ERROR == 4
    assert err == (
        "reesim: internal error (RecursionError: maximum recursion depth exceeded). This is a bug "
        "in reesim, not a problem with the input; REESIM_TRACEBACK=1 shows where.\n"
    )
    monkeypatch.setenv("REESIM_TRACEBACK", "1")
    code, _, err = run(capsys, "run", "ok.yaml", "-n", "1")
    assert code == 4
    assert err.startswith("Traceback (most recent call last):")
    assert "in broken" in err


def test_a_gate_too_deep_is_an_input_error_not_a_failed_gate(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gate = " + ".join(["1"] * 495) + " > 0"
    code, _, err = run(capsys, "compare", "ok.yaml", "ok.yaml", "-n", "2", "--fail-if", gate)
    assert code == 2
    assert "expected at most 100 operations inside one another" in err


# --- names printed literally ---------------------------------------------------------------


def test_names_and_messages_print_literally(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("odd.yaml").write_text(
        SHORT.replace("name: minimal", "name: ':x: [bold]bold[/bold] [/oops]'").replace(
            "  acme:", "  ':x:':"
        )
    )
    code, out, err = run(capsys, "run", "odd.yaml", "-n", "2")
    assert code == 0, err
    assert ":x: [bold]bold[/bold] [/oops]" in out
    assert "firms.:x:" in out and "❌" not in out
    Path("bad.yaml").write_text(
        SHORT.replace("  acme:", "  ':x:':").replace("capacity: 2", "capacity: ':x: [red]'")
    )
    code, _, err = run(capsys, "validate", "bad.yaml")
    assert code == 2
    assert "authority.review.capacity: expected a whole number, got ':x: [red]'" in err
    assert "❌" not in err


# --- charts --------------------------------------------------------------------------------

TWO_FIRMS = (
    SHORT
    + """\
  特斯拉:
    name: "特斯拉 $x$ and $\\\\frac{"
    country: us
    production: {units_per_day: 100}
    needs: {magnet: {per_unit: 1 kg}}
    stockpile: {magnet: 10d}
  福特:
    country: us
    production: {units_per_day: 100}
    needs: {magnet: {per_unit: 1 kg}}
"""
)


def test_ids_in_any_script_get_their_own_charts_without_warnings(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("cjk.yaml").write_text(TWO_FIRMS)
    code, _, err = run(
        capsys, "run", "cjk.yaml", "-n", "2", "-q", "--out", "r.json", "--report", "r.html"
    )
    assert code == 0, err
    code, out, err = run(capsys, "plot", "r.json", "-o", "charts")
    assert code == 0, err
    written = out.split()
    covers = sorted(Path(p).name for p in written if Path(p).name.startswith("cover-"))
    assert len(covers) == 3 and len(set(covers)) == 3  # acme, 特斯拉, 福特: none overwritten
    assert sorted(p.name for p in Path("charts").iterdir()) == sorted(Path(p).name for p in written)
    assert "特斯拉" in Path("r.html").read_text(encoding="utf-8")  # the browser draws it


def test_file_names_differ_even_ignoring_case() -> None:
    class Fake:
        def __init__(self, slug: str) -> None:
            self.slug = slug

    names = plots.file_names(
        [Fake(s) for s in ("cover-A", "cover-a", "cover-福特", "cover-特斯拉")]
    )  # type: ignore[misc]
    assert len({n.lower() for n in names}) == 4
    assert names[:2] == ["cover-A.png", "cover-a-2.png"]


def test_an_interrupt_wrapped_by_python_is_still_an_interrupt(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A Ctrl-C landing in a class body during an import reaches us as a RuntimeError whose
    # cause is the KeyboardInterrupt: exit 130 and "interrupted", not an internal error.
    from reesim.cli.main import _unexpected

    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise RuntimeError("Error calling __set_name__") from interrupt
    except RuntimeError as wrapped:
        assert _unexpected(wrapped) == 130
    assert capsys.readouterr().err == "interrupted\n"
    assert _unexpected(RuntimeError("a bug")) == INTERNAL_ERROR
    assert "internal error (RuntimeError: a bug)" in capsys.readouterr().err
