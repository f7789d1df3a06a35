"""Gates: small, safe expressions that fail a comparison, for CI.

A gate is an expression that is *true when something is wrong*: ``fail_if``. It is read by its
own tokenizer and recursive-descent parser into a tree that only this module evaluates; nothing
is ever handed to Python's ``eval``. Grammar (lowest precedence first)::

    expr     := and ('or' and)*
    and      := not ('and' not)*
    not      := 'not' not | compare
    compare  := sum [('<' | '<=' | '>' | '>=' | '==' | '!=') sum]     (no chains: a < b < c)
    sum      := product (('+' | '-') product)*
    product  := unary (('*' | '/') unary)*
    unary    := '-' unary | primary
    primary  := NUMBER ['%'] | 'true' | 'false' | '(' expr ')' | KPI | FUNC '(' args ')'

Values, for each candidate scenario against the baseline (the first scenario):

``firms.tesla.stockout_days.mean``
    a statistic of the candidate's KPI: ``mean`` (the default when omitted), ``p5``, ``p50``,
    ``p95``, ``std``, ``ci_low``, ``ci_high`` or ``n``. ``firms.ford.stockout_probability`` is a
    KPI itself, a share between 0 and 1, so ``firms.ford.stockout_probability.mean`` (or just the
    name) is the probability of a stockout.
``baseline(KPI[.stat])``
    the same statistic of the baseline.
``delta(KPI)``
    Δ = candidate - baseline, as in the comparison table (paired when the runs are). With a
    statistic, ``delta(KPI.p95)``, the difference of that statistic.
``rel(KPI)``
    the relative change Δ / |baseline|, **as a fraction**: ``rel(x) > 5%`` and ``rel(x) > 0.05``
    are the same gate.
``significant(KPI)``
    true when Δ's 95% interval excludes 0 (or its Holm-adjusted p-value is below 0.05 with
    ``--adjust holm``).
``abs(x)``, ``min(x, y, ...)``, ``max(x, y, ...)``; ``+ - * /``; numbers like ``2``, ``0.5``,
``1e3`` and percentages like ``5%``.

A percentage is read against what it is compared with: against a KPI in percent (``*_pct``) it
is percentage points (``delta(firms.ford.production_lost_pct) > 2%`` means 2 points); against
``rel(...)``, a share KPI or a plain number it is a fraction (5% = 0.05); against a KPI in days,
kg or counts it is an error rather than a silent misreading. So absolute tolerances read
``abs(delta(x)) <= 0.5`` and relative ones ``abs(rel(x)) <= 5%`` or
``abs(delta(x)) <= 5% * baseline(x)``.

KPI names containing characters other than letters, digits and ``_`` are written in backticks:
```firms.eu-supplier.stockout_days`.mean``.

A gate that cannot be evaluated because a value it needs does not exist (a KPI that applies in
no replication, significant() with fewer than two pairs, a division by 0) fails, with the
reason: a gate never passes by not looking. ``and`` and ``or`` evaluate only what they need, so
``firms.x.first_stockout_day.n > 0 and firms.x.first_stockout_day.mean < 60`` is safe. ``rel``
of a change from a baseline of 0 is +inf or -inf, so ``rel(x) > 10%`` holds for any increase
from 0.

Errors are `GateError`s carrying the offset in the expression; `caret` draws where.
"""

from reesim.results.gates.checks import (
    Gate,
    GateOutcome,
    GateReport,
    Origin,
    bind_gates,
    caret,
    check,
    check_all,
    gate_from_text,
    gates_from_options,
    problem,
)
from reesim.results.gates.evaluation import (
    DELTA_STATS,
    PERCENT,
    SHARE,
    STATS,
    Observation,
    bind,
    evaluate,
    observe,
)
from reesim.results.gates.files import GATE_KEYS, load_gates
from reesim.results.gates.parser import (
    COMPARISONS,
    KPI_FUNCTIONS,
    MATH_FUNCTIONS,
    MAX_DEPTH,
    Arith,
    Bool,
    Cmp,
    Func,
    Logic,
    Neg,
    Node,
    Not,
    Num,
    Ref,
    Scale,
    is_condition,
    parse,
    walk,
)
from reesim.results.gates.tokens import KEYWORDS, MAX_LENGTH, GateError, Token, tokenize

__all__ = [
    "COMPARISONS",
    "DELTA_STATS",
    "GATE_KEYS",
    "KEYWORDS",
    "KPI_FUNCTIONS",
    "MATH_FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "PERCENT",
    "SHARE",
    "STATS",
    "Arith",
    "Bool",
    "Cmp",
    "Func",
    "Gate",
    "GateError",
    "GateOutcome",
    "GateReport",
    "Logic",
    "Neg",
    "Node",
    "Not",
    "Num",
    "Observation",
    "Origin",
    "Ref",
    "Scale",
    "Token",
    "bind",
    "bind_gates",
    "caret",
    "check",
    "check_all",
    "evaluate",
    "gate_from_text",
    "gates_from_options",
    "is_condition",
    "load_gates",
    "observe",
    "parse",
    "problem",
    "tokenize",
    "walk",
]
