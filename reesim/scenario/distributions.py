"""Typed probability distributions for uncertain scenario parameters.

A scenario writes an uncertain value as a mapping tagged by `dist`::

    {dist: lognormal, mean: 40, cv: 0.4}
    {dist: triangular, low: 2, mode: 3, high: 6}

or as a plain number, shorthand for `{dist: fixed, value: <number>}` (use `NumberDistribution`
as the field type to get the shorthand). Each model knows its analytic `mean()` and
`variance()` and draws from a `numpy.random.Generator` that the caller owns, so replications
are reproducible from their seed. Every distribution has non-negative support: they model times,
quantities and rates, and a negative draw would be a silent bug downstream (SimPy, for one,
refuses a negative timeout).

Durations carry a unit on every parameter (`mean: 45wd`); `DurationDistribution` parses those,
checks they agree, and wraps a plain distribution over numbers in that unit.

Errors are located at the parameter as written in the scenario: a bad `cv` is reported at
``...time.cv``, not at pydantic's internal ``...time.dist.lognormal.cv``. Messages read
``expected <what>, got <repr of input>`` like those of `units`.
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cached_property
from statistics import NormalDist
from typing import Annotated, Any, Literal, TypeAlias, get_args, overload

import numpy as np
import numpy.typing as npt
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails

from reesim.scenario import units
from reesim.scenario.numbers import Bounded, as_real
from reesim.scenario.units import Duration, DurationUnit

_STANDARD_NORMAL = NormalDist()

Size: TypeAlias = int | tuple[int, ...] | None
Loc: TypeAlias = tuple[str | int, ...]


MAX_PARAMETER = 1e9
"""Largest value of a distribution parameter (in its own unit)."""
MAX_CV = 10.0
"""Largest coefficient of variation of a lognormal: beyond it nearly all the mass sits near 0
and a few draws are astronomically large."""
UPPER_TAIL = 1e-6
"""`upper_bound` is the value draws exceed with at most this probability."""

NonNegative = Annotated[float, Bounded(ge=0.0, le=MAX_PARAMETER)]
Positive = Annotated[float, Bounded(gt=0.0, le=MAX_PARAMETER)]


class _Dist(BaseModel):
    """Common behaviour: `sample` returns a float for size=None and an array otherwise."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def mean(self) -> float:
        raise NotImplementedError

    def variance(self) -> float:
        raise NotImplementedError

    def upper_bound(self) -> float:
        """The greatest value drawn, or for an unbounded distribution the value exceeded with
        probability `UPPER_TAIL`: what checks of a run's magnitudes take as its largest draw."""
        return self.quantile(1.0 - UPPER_TAIL)

    def _draw(self, rng: np.random.Generator, size: Size) -> Any:
        raise NotImplementedError

    def quantile(self, u: float) -> float:
        """The inverse distribution function at `u` in (0, 1): the value below which a share
        `u` of draws fall. The engine draws by feeding it uniforms from keyed streams, so one
        uniform always gives one value, whatever else is drawn (common random numbers)."""
        raise NotImplementedError

    @overload
    def sample(self, rng: np.random.Generator, size: None = None) -> float: ...
    @overload
    def sample(
        self, rng: np.random.Generator, size: int | tuple[int, ...]
    ) -> npt.NDArray[np.float64]: ...
    def sample(
        self, rng: np.random.Generator, size: Size = None
    ) -> float | npt.NDArray[np.float64]:
        drawn = self._draw(rng, size)
        return float(drawn) if size is None else np.asarray(drawn, dtype=np.float64)


class _HasMean(_Dist):
    """Base for distributions with a `mean` parameter.

    The parameter is stored as `mean_value` because `mean()` is the method every distribution
    has; it is read and written as `mean`, so scenario files and dumps never see the alias.
    """

    mean_value: Positive = Field(alias="mean")

    @model_serializer(mode="wrap")
    def _dump_mean_as_mean(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        dumped: dict[str, Any] = handler(self)
        renamed = {("mean" if key == "mean_value" else key): v for key, v in dumped.items()}
        # `mean` is declared before the subclass's `dist`; put the tag first, as people write it.
        return {**({"dist": renamed.pop("dist")} if "dist" in renamed else {}), **renamed}

    def mean(self) -> float:
        return self.mean_value


class Fixed(_Dist):
    """No uncertainty: always `value`."""

    dist: Literal["fixed"] = "fixed"
    value: NonNegative

    def mean(self) -> float:
        return self.value

    def variance(self) -> float:
        return 0.0

    def upper_bound(self) -> float:
        return self.value

    def _draw(self, rng: np.random.Generator, size: Size) -> Any:
        return self.value if size is None else np.full(size, self.value)

    def quantile(self, u: float) -> float:
        return self.value


class Exponential(_HasMean):
    """Memoryless waiting time with the given mean (sd equals the mean)."""

    dist: Literal["exponential"] = "exponential"

    def variance(self) -> float:
        return self.mean_value**2

    def _draw(self, rng: np.random.Generator, size: Size) -> Any:
        return rng.exponential(self.mean_value, size)

    def quantile(self, u: float) -> float:
        return -self.mean_value * math.log1p(-u)


class Lognormal(_HasMean):
    """Right-skewed positive value given by its own mean and spread, not those of its log.

    Exactly one of `cv` (sd / mean) or `sd` is given. With X = exp(N(mu, sigma^2)):
    cv^2 = exp(sigma^2) - 1 and mean = exp(mu + sigma^2 / 2), which `sigma` and `mu` invert.
    A zero spread is a fixed value.
    """

    dist: Literal["lognormal"] = "lognormal"
    cv: NonNegative | None = None
    sd: NonNegative | None = None

    @model_validator(mode="after")
    def _one_spread(self) -> Lognormal:
        if (self.cv is None) == (self.sd is None):
            got = "neither" if self.cv is None else f"cv={self.cv!r} and sd={self.sd!r}"
            raise ValueError(f"expected exactly one of cv or sd, got {got}")
        if self.cv_value > MAX_CV:
            got = (
                f"cv={self.cv!r}"
                if self.cv is not None
                else f"sd={self.sd!r} (cv {self.cv_value:.3g})"
            )
            raise ValueError(f"expected a spread of at most cv={MAX_CV:g}, got {got}")
        return self

    @property
    def cv_value(self) -> float:
        return self.cv if self.cv is not None else self.sd / self.mean_value  # type: ignore[operator]

    @cached_property
    def sigma(self) -> float:
        return math.sqrt(math.log1p(self.cv_value**2))

    @cached_property
    def mu(self) -> float:
        return math.log(self.mean_value) - self.sigma**2 / 2

    def variance(self) -> float:
        return (self.cv_value * self.mean_value) ** 2

    def _draw(self, rng: np.random.Generator, size: Size) -> Any:
        if self.cv_value == 0:
            # exp(log(m)) need not equal m in floating point; a fixed value should be exact.
            return self.mean_value if size is None else np.full(size, self.mean_value)
        return rng.lognormal(self.mu, self.sigma, size)

    def quantile(self, u: float) -> float:
        if self.cv_value == 0:
            return self.mean_value
        return math.exp(self.mu + self.sigma * _STANDARD_NORMAL.inv_cdf(u))


class Triangular(_Dist):
    """Three-point estimate: least, most likely and greatest value."""

    dist: Literal["triangular"] = "triangular"
    low: NonNegative
    mode: NonNegative
    high: NonNegative

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            got = f"low={self.low!r}, mode={self.mode!r}, high={self.high!r}"
            raise ValueError(f"expected low <= mode <= high with low < high, got {got}")
        return self

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def upper_bound(self) -> float:
        return self.high

    def _draw(self, rng: np.random.Generator, size: Size) -> Any:
        return rng.triangular(self.low, self.mode, self.high, size)

    def quantile(self, u: float) -> float:
        a, c, b = self.low, self.mode, self.high
        split = (c - a) / (b - a)
        if u < split:
            return a + math.sqrt(u * (b - a) * (c - a))
        return b - math.sqrt((1.0 - u) * (b - a) * (b - c))


class Uniform(_Dist):
    """Every value between `low` and `high` equally likely."""

    dist: Literal["uniform"] = "uniform"
    low: NonNegative
    high: NonNegative

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError(f"expected low < high, got low={self.low!r}, high={self.high!r}")
        return self

    def mean(self) -> float:
        return (self.low + self.high) / 2

    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def upper_bound(self) -> float:
        return self.high

    def _draw(self, rng: np.random.Generator, size: Size) -> Any:
        return rng.uniform(self.low, self.high, size)

    def quantile(self, u: float) -> float:
        return self.low + u * (self.high - self.low)


class Empirical(_Dist):
    """Observed values, drawn with probability proportional to `weights` (equal if omitted)."""

    dist: Literal["empirical"] = "empirical"
    values: list[NonNegative]
    weights: list[NonNegative] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Empirical:
        if not self.values:
            raise ValueError("expected at least one value, got []")
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"expected {len(self.values)} weights, one per value, got {self.weights!r}"
                )
            if sum(self.weights) <= 0:
                raise ValueError(f"expected weights with a positive sum, got {self.weights!r}")
        return self

    def probabilities(self) -> npt.NDArray[np.float64]:
        if self.weights is None:
            return np.full(len(self.values), 1 / len(self.values))
        weights = np.asarray(self.weights, dtype=np.float64)
        shares: np.ndarray[Any, np.dtype[np.float64]] = weights / weights.sum()
        return shares

    def mean(self) -> float:
        return float(self.probabilities() @ np.asarray(self.values))

    def variance(self) -> float:
        # Centred form: E[(X - m)^2] does not cancel catastrophically like E[X^2] - m^2.
        return float(self.probabilities() @ (np.asarray(self.values) - self.mean()) ** 2)

    def upper_bound(self) -> float:
        return max(v for v, p in zip(self.values, self.probabilities(), strict=True) if p > 0)

    def _draw(self, rng: np.random.Generator, size: Size) -> Any:
        return rng.choice(np.asarray(self.values, dtype=np.float64), size, p=self.probabilities())

    @cached_property
    def _cumulative(self) -> list[float]:
        return [float(x) for x in np.cumsum(self.probabilities())]

    def quantile(self, u: float) -> float:
        cumulative = self._cumulative
        i = bisect.bisect_right(cumulative, u)
        return float(self.values[min(i, len(self.values) - 1)])


Distribution = Annotated[
    Fixed | Exponential | Lognormal | Triangular | Uniform | Empirical,
    Field(discriminator="dist"),
]
DIST_NAMES: tuple[str, ...] = tuple(
    get_args(model.model_fields["dist"].annotation)[0]
    for model in (Fixed, Exponential, Lognormal, Triangular, Uniform, Empirical)
)
_NAMES_TEXT = f"{', '.join(DIST_NAMES[:-1])} or {DIST_NAMES[-1]}"


def _invalid(title: str, problems: Iterable[tuple[Loc, object, str]]) -> ValidationError:
    """A ValidationError with one value_error per (loc, input, message).

    Raised from a validator, pydantic prefixes each loc with the validator's own location,
    which is how errors reach the scenario parameter rather than the enclosing mapping.
    """
    return ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(type="value_error", loc=loc, input=x, ctx={"error": ValueError(msg)})
            for loc, x, msg in problems
        ],
    )


def _check_dist_name(data: Mapping[str, Any], title: str) -> str:
    if "dist" not in data:
        raise _invalid(title, [((), data, f"expected a mapping with a 'dist' key, got {data!r}")])
    name = data["dist"]
    if name not in DIST_NAMES:
        raise _invalid(
            title, [(("dist",), name, f"expected dist to be one of {_NAMES_TEXT}, got {name!r}")]
        )
    return str(name)


def _number_distribution(x: object, handler: ValidatorFunctionWrapHandler) -> Any:
    """Accept a number as Fixed, and locate errors as written (without the union's tag)."""
    if isinstance(x, _Dist):
        return handler(x)
    if as_real(x) is not None:  # a number, or its text ('1e3', which YAML 1.1 reads as text)
        x = {"dist": "fixed", "value": x}
    if not isinstance(x, Mapping):
        raise ValueError(f"expected a number or a mapping with a 'dist' key, got {x!r}")
    name = _check_dist_name(x, "Distribution")
    try:
        return handler(x)
    except ValidationError as exc:
        # The discriminated union puts the tag first in every loc ('lognormal', 'cv'); the
        # scenario has no such level, so drop it.
        details = [
            InitErrorDetails(
                type=e["type"],
                loc=e["loc"][1:] if e["loc"][:1] == (name,) else e["loc"],
                input=e["input"],
                ctx=e.get("ctx", {}),
            )
            for e in exc.errors()
        ]
        raise ValidationError.from_exception_data(exc.title, details) from None


NumberDistribution = Annotated[Distribution, WrapValidator(_number_distribution)]
_NUMBER_DISTRIBUTION: TypeAdapter[Any] = TypeAdapter(NumberDistribution)


def as_distribution(x: object) -> Distribution:
    """Validate `x` (a number, a raw mapping or a distribution) into a distribution."""
    distribution: Distribution = _NUMBER_DISTRIBUTION.validate_python(x)
    return distribution


# Parameters that carry the distribution's dimension; cv and weights are ratios.
_DIMENSIONED = ("value", "mean", "sd", "low", "mode", "high")


class DurationDistribution(BaseModel):
    """A distribution of durations: numbers in one duration `unit`.

    Scenario files write it with units on each parameter, e.g. ``45wd`` (fixed),
    ``{dist: lognormal, mean: 45wd, cv: 0.4}`` or ``{dist: triangular, low: 4w, mode: 6w,
    high: 12w}``; plain numbers are days. Every parameter must be in the same unit, since
    mixing working days with calendar time cannot be resolved without a calendar. The parsed
    form ``{unit: wd, dist: {...}}`` (what `model_dump` gives) is accepted too, and `to_raw`
    turns the model back into the scenario form.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit: DurationUnit
    dist: NumberDistribution

    @model_validator(mode="before")
    @classmethod
    def _parse_raw(cls, data: Any) -> Any:
        if isinstance(data, DurationDistribution) or (isinstance(data, Mapping) and "unit" in data):
            return data  # already parsed
        if isinstance(data, Mapping):
            return _parse_raw_mapping(data)
        if isinstance(data, str) or (isinstance(data, numbers.Real) and not isinstance(data, bool)):
            duration = units.parse_duration(data)
            return {"unit": duration.unit, "dist": Fixed(value=duration.value)}
        raise ValueError(
            f"expected {units.DURATION_LIKE} or a mapping with a 'dist' key, got {data!r}"
        )

    @model_validator(mode="after")
    def _draws_within_limits(self) -> DurationDistribution:
        # Durations drawn are converted to calendar time; working days through a table of days
        # that must stay bounded, so even the far tail of the distribution must be a duration.
        top = self.dist.upper_bound()
        if self.unit == "wd":
            limit = units.MAX_WORKING_DAYS
        else:
            limit = units.MAX_DURATION_DAYS / units.CALENDAR_DAYS[self.unit]
        if top > limit:
            raise ValueError(
                f"expected draws of at most {Duration(limit, self.unit)} (but for one in "
                f"{1 / UPPER_TAIL:,.0f}), got a distribution reaching {top:.6g}{self.unit}"
            )
        return self

    def mean(self) -> float:
        return self.dist.mean()

    def variance(self) -> float:
        return self.dist.variance()

    def upper_bound(self) -> float:
        return self.dist.upper_bound()

    @overload
    def sample(self, rng: np.random.Generator, size: None = None) -> float: ...
    @overload
    def sample(
        self, rng: np.random.Generator, size: int | tuple[int, ...]
    ) -> npt.NDArray[np.float64]: ...
    def sample(
        self, rng: np.random.Generator, size: Size = None
    ) -> float | npt.NDArray[np.float64]:
        """Draws in `unit` (working days stay working days)."""
        return self.dist.sample(rng, size)

    def quantile(self, u: float) -> float:
        """The inverse distribution function at `u`, in `unit`."""
        return self.dist.quantile(u)

    def to_raw(self) -> str | dict[str, Any]:
        """The scenario-file form: '45wd' for fixed, else a mapping with unit-suffixed values."""
        if isinstance(self.dist, Fixed):
            return self._text(self.dist.value)
        raw: dict[str, Any] = {}
        for key, value in self.dist.model_dump(exclude_none=True).items():
            if key in _DIMENSIONED:
                raw[key] = self._text(value)
            elif key == "values":
                raw[key] = [self._text(v) for v in value]
            else:
                raw[key] = value
        return raw

    def __str__(self) -> str:
        raw = self.to_raw()
        if isinstance(raw, str):
            return raw
        params = ", ".join(
            f"{key}={'[' + ', '.join(map(str, v)) + ']' if isinstance(v, list) else v}"
            for key, v in raw.items()
            if key != "dist"
        )
        return f"{raw['dist']}({params})"

    def _text(self, value: float) -> str:
        return str(Duration(value, self.unit))


def _parse_raw_mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    """Parse `{dist: ..., mean: 45wd, ...}` into `{unit: 'wd', dist: <Distribution>}`.

    Raises a ValidationError listing every bad parameter at its own key.
    """
    title = DurationDistribution.__name__
    _check_dist_name(data, title)
    problems: list[tuple[Loc, object, str]] = []
    parsed: list[tuple[Loc, object, Duration]] = []
    numeric: dict[str, Any] = dict(data)

    def parse(loc: Loc, x: object) -> float | None:
        try:
            duration = units.parse_duration(x)
        except ValueError as exc:
            problems.append((loc, x, str(exc)))
            return None
        parsed.append((loc, x, duration))
        return duration.value

    for key in data:
        if key in _DIMENSIONED:
            numeric[key] = parse((key,), data[key])
        elif key == "values":
            if isinstance(data[key], list):
                numeric[key] = [parse((key, i), v) for i, v in enumerate(data[key])]
            else:
                msg = f"expected a list of durations, got {data[key]!r}"
                problems.append(((key,), data[key], msg))
    # Blame the minority unit: when one parameter is edited (`--set time.high=20wd`) and the
    # others are in `w`, the error lands on the edited one. Ties go to the unit written first.
    counts = Counter(duration.unit for _, _, duration in parsed)
    unit = counts.most_common(1)[0][0] if counts else "d"
    problems += [
        (loc, x, f"expected every duration in one unit, got {unit!r} and {duration.unit!r}")
        for loc, x, duration in parsed
        if duration.unit != unit
    ]
    if problems:
        keys: list[object] = list(data)  # report in the order written
        raise _invalid(title, sorted(problems, key=lambda p: (keys.index(p[0][0]), p[0][1:])))
    # Validated here, not left to the `dist` field, so its errors are located as written
    # (`time.cv`) rather than under a `dist` level the scenario file does not have.
    return {"unit": unit, "dist": as_distribution(numeric)}
