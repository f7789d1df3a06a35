"""reesim: a discrete-event simulator of export-licence scenarios for critical minerals.

The Python API (`reesim.api`, documented in docs/python.md)::

    import reesim
    result = reesim.run("scenarios/examples/licence-queue.yaml", replications=50, seed=7)
    result.kpi_frame()

Names are imported on first use, so ``import reesim`` (and the ``reesim`` command) stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reesim.version import __version__

__all__ = [
    "Compared",
    "Result",
    "ScenarioError",
    "SimulationError",
    "SweepResult",
    "UsageError",
    "__version__",
    "compare",
    "load",
    "run",
    "sweep",
]

if TYPE_CHECKING:
    from reesim.api import Compared, Result, SweepResult, compare, load, run, sweep
    from reesim.errors import ScenarioError, SimulationError, UsageError

_API = {"Compared", "Result", "SweepResult", "compare", "load", "run", "sweep"}
_ERRORS = {"ScenarioError", "SimulationError", "UsageError"}


def __getattr__(name: str) -> Any:
    if name in _API:
        from reesim import api

        return getattr(api, name)
    if name in _ERRORS:
        from reesim import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'reesim' has no attribute {name!r}")
