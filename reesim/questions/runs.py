"""Runs of a scenario at given parameter values, for the questions: the bridge between a
search (which asks for KPI values at a value and some replications) and `run_scenario`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from reesim.experiment.executors import Executor, SerialExecutor
from reesim.experiment.runner import run_scenario
from reesim.results.result import RunResult
from reesim.scenario.load import ResolvedScenario, resolve
from reesim.scenario.yamlsource import Document

Listener = Callable[[str, int], None]
"""Told (the overrides' text, replications run) after each run."""


@dataclass
class ScenarioRuns:
    """Runs `doc` with `base` overrides plus the ones asked for, under one root seed (so every
    value tried shares common random numbers), on one executor."""

    doc: Document
    base: tuple[str, ...]
    root_seed: int
    executor: Executor = field(default_factory=SerialExecutor)
    workers: int = 1
    listener: Listener | None = None
    _resolved: dict[tuple[str, ...], ResolvedScenario] = field(default_factory=dict)

    def resolved(self, overrides: Sequence[str]) -> ResolvedScenario:
        key = (*self.base, *overrides)
        if key not in self._resolved:
            self._resolved[key] = resolve(self.doc, key)
        return self._resolved[key]

    def run(self, overrides: Sequence[str], replications: Sequence[int]) -> RunResult:
        result = run_scenario(
            self.resolved(overrides),
            list(replications),
            self.root_seed,
            self.executor,
            self.workers,
        )
        if self.listener is not None:
            self.listener(" ".join(overrides), len(replications))
        return result

    def kpi_values(
        self, overrides: Sequence[str], replications: Sequence[int], kpis: Sequence[str]
    ) -> Mapping[str, Sequence[float]]:
        if not replications:
            return {k: () for k in kpis}
        result = self.run(overrides, replications)
        return {k: result.kpis[k].values for k in kpis}
