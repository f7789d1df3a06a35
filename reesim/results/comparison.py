"""Several results against the first (the baseline), as one plain value a report shows: each
candidate's comparison, what differs in the inputs, the KPI rows chosen, and the gates' verdicts.

`compare_all` makes the decisions a comparison needs once its results exist: labels, the KPIs
shown (``--kpi`` globs, ``--changed-only``), each KPI's unit taken from every result, and the
gates bound to those units and checked. Running or reading the inputs is
`reesim.experiment.comparison`'s work; drawing it is `reesim.report`'s.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reesim.errors import UsageError
from reesim.results.compare import Comparison, PairFold, compare_results
from reesim.results.gates import Gate, GateReport, bind_gates, check_all
from reesim.results.inputs_diff import InputChange, diff_inputs
from reesim.results.result import RunResult


@dataclass(frozen=True)
class Compared:
    """Everything a comparison report shows."""

    labels: tuple[str, ...]
    """One per scenario, baseline first."""
    sources: tuple[str, ...]
    """What the user named: a scenario file or a saved result."""
    results: tuple[RunResult, ...]
    comparisons: tuple[Comparison, ...]
    """Each candidate (labels[1:]) against the baseline."""
    inputs: tuple[InputChange, ...]
    kpis: tuple[str, ...]
    """The KPI rows to show, in order."""
    gates: GateReport | None = None

    @property
    def missing_inputs(self) -> tuple[str, ...]:
        return tuple(lab for lab, r in zip(self.labels, self.results, strict=True) if not r.inputs)

    @property
    def gates_failed(self) -> bool:
        return self.gates is not None and bool(self.gates.failed)


def labels_of(sources: Sequence[str]) -> list[str]:
    """File names without directory and suffix; a repeated one numbered (``a``, ``a#2``)."""
    from pathlib import PurePath

    labels: list[str] = []
    for source in sources:
        label = PurePath(source).stem or source
        n, unique = 1, label
        while unique in labels:
            n += 1
            unique = f"{label}#{n}"
        labels.append(unique)
    return labels


def compare_all(
    sources: Sequence[str],
    results: Sequence[RunResult],
    *,
    paired: Mapping[int, PairFold] | None = None,
    gates: Sequence[Gate] = (),
    kpis: Sequence[str] = (),
    changed_only: bool = False,
    adjust: str | None = None,
) -> Compared:
    """Each result after the first against the first. `paired` holds, by position, the pair
    folds of candidates run together with the baseline (`runner.run_paired`); `kpis` are globs
    of the KPI rows to show (UsageError when none matches); `changed_only` hides KPIs identical
    in every result."""
    labels = labels_of(sources)
    folds = paired or {}
    comparisons = tuple(
        compare_results(
            results[0],
            r,
            baseline_label=labels[0],
            candidate_label=label,
            adjust=adjust,
            paired=folds.get(i),
        )
        for i, (label, r) in enumerate(zip(labels[1:], results[1:], strict=True), start=1)
    )
    units: dict[str, str] = {}
    for r in results:
        units.update({name: k.unit for name, k in r.kpis.items()})
    report = check_all(bind_gates(list(gates), units), comparisons) if gates else None

    names = list(dict.fromkeys(name for c in comparisons for name in c.kpis))
    if kpis:
        names = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in kpis)]
        if not names:
            raise UsageError(
                f"no KPI matches {', '.join(kpis)}; there are: " + ", ".join(sorted(units))
            )
    if changed_only:
        names = [n for n in names if any(c.kpis[n].changed for c in comparisons if n in c.kpis)]
    return Compared(
        labels=tuple(labels),
        sources=tuple(sources),
        results=tuple(results),
        comparisons=comparisons,
        inputs=tuple(diff_inputs([r.inputs or None for r in results])),
        kpis=tuple(names),
        gates=report,
    )
