"""The package's own metadata: `make install` (and so `make run`) prints no build warnings."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _apply(path: Path) -> Any:
    """Apply pyproject.toml to a setuptools Distribution, as the build backend does."""
    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    return apply_configuration(Distribution(), path)


def test_pyproject_reads_without_deprecation_warnings() -> None:
    # setuptools warns ("project.license as a TOML table is deprecated") while building the
    # editable install; applying the configuration with warnings as errors catches it here.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dist = _apply(ROOT / "pyproject.toml")
    assert dist.metadata.license_expression == "MIT"


def test_an_old_license_table_would_be_caught(tmp_path: Path) -> None:
    # The check above can fail: the deprecated form does warn under this setuptools.
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    old = tmp_path / "pyproject.toml"
    old.write_text(text.replace('license = "MIT"', 'license = { text = "MIT" }'), "utf-8")
    (tmp_path / "reesim").mkdir()
    (tmp_path / "reesim" / "__init__.py").write_text('__version__ = "0"\n', "utf-8")
    (tmp_path / "README.md").write_text("x\n", "utf-8")
    with warnings.catch_warnings(), pytest.raises(Warning, match="license"):
        warnings.simplefilter("error")
        _apply(old)
