"""The layer contracts of docs/architecture.md are enforced: `make lint` runs them
(lint-imports, configured in pyproject.toml), and a probe import that breaks one fails.

Each probe copies the package and pyproject.toml to a temporary directory, adds one module that
imports across a boundary, and runs lint-imports there: it must fail and name the contract."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        # The copy, not the installed package: lint-imports finds `reesim` on the path.
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
        timeout=300,
    )


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("house")
    shutil.copytree(ROOT / "reesim", root / "reesim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_package_keeps_every_contract(copy: Path) -> None:
    done = lint_imports(copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("where", "source", "contract"),
    [
        # A lower layer importing a higher one, even lazily inside a function.
        (
            "engine/probe.py",
            "def f():\n    from reesim.report import tables\n",
            "Data flows one way",
        ),
        ("results/probe.py", "import reesim.cli.app\n", "Data flows one way"),
        # A third-party library outside its layer.
        ("engine/probe.py", "import typer\n", "typer lives in reesim.cli"),
        ("report/plots/probe.py", "import pyarrow.parquet\n", "pyarrow lives in"),
        ("cli/probe.py", "import yaml\n", "yaml lives in reesim.scenario.yamlsource"),
        ("experiment/probe.py", "import matplotlib\n", "matplotlib lives in reesim.report.plots"),
    ],
)
def test_a_probe_import_across_a_boundary_fails(
    copy: Path, where: str, source: str, contract: str
) -> None:
    probe = copy / "reesim" / where
    probe.write_text(source)
    try:
        done = lint_imports(copy)
    finally:
        probe.unlink()
    assert done.returncode != 0
    broken = done.stdout[done.stdout.index("Broken contracts") :]
    assert contract in broken and f"reesim.{where[:-3].replace('/', '.')}" in broken


def test_a_cycle_between_modules_of_a_layer_fails(copy: Path) -> None:
    first, second = copy / "reesim" / "scenario" / "probe_a.py", copy / "reesim/scenario/probe_b.py"
    first.write_text("def f():\n    from reesim.scenario import probe_b\n")
    second.write_text("from reesim.scenario import probe_a\n")
    try:
        done = lint_imports(copy)
    finally:
        first.unlink()
        second.unlink()
    assert done.returncode != 0
    broken = done.stdout[done.stdout.index("Broken contracts") :]
    assert "No import cycles" in broken and "No cycles are allowed in reesim.scenario" in broken
