"""From pydantic errors to `file:line:col: dotted.path: expected ..., got ...`."""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from reesim.errors import Problem
from reesim.scenario.dotted import dotted, join_paths, parse_dotted
from reesim.scenario.problems import problems_from_validation
from reesim.scenario.yamlsource import Document, parse_document

# -- dotted paths ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ((), ""),
        (("name",), "name"),
        (("authority", "review", "capacity"), "authority.review.capacity"),
        (("authority", "outcomes", 0, "approve"), "authority.outcomes[0].approve"),
        (("m", 1, 2), "m[1][2]"),
        ((3, "a"), "[3].a"),
        (("firms", "acme-gmbh", "needs"), "firms.acme-gmbh.needs"),
    ],
)
def test_dotted_and_back(key: tuple[str | int, ...], path: str):
    assert dotted(key) == path
    assert parse_dotted(path) == key


@pytest.mark.parametrize(
    "path",
    ["a..b", ".a", "a.", "a[", "a[0", "a]", "a[x]", "a[-1]", "a[]", "a[0]b", "[0]]", "a.[0]", "."],
)
def test_malformed_dotted_paths(path: str):
    with pytest.raises(ValueError) as err:
        parse_dotted(path)
    assert str(err.value) == (
        f"expected a dotted path like 'authority.review.capacity', got {path!r}"
    )


SEGMENTS = st.one_of(
    st.text(st.characters(blacklist_characters=".[]", blacklist_categories=["Cs"]), min_size=1),
    st.integers(min_value=0, max_value=10**6),
)


@given(st.lists(SEGMENTS, max_size=6).map(tuple))
def test_dotted_round_trip(key: tuple[str | int, ...]):
    assert parse_dotted(dotted(key)) == key


@given(st.text(max_size=20))
def test_parse_dotted_never_raises_anything_but_value_error(text: str):
    try:
        key = parse_dotted(text)
    except ValueError:
        return
    assert dotted(key) == text


def test_join_paths():
    assert join_paths("", "a.b") == "a.b"
    assert join_paths("a", "") == "a"
    assert join_paths("a", "b[0]") == "a.b[0]"
    assert join_paths("a", "[0].b") == "a[0].b"


# -- a small model tree ----------------------------------------------------------------------


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Review(Model):
    capacity: int = Field(gt=0)
    time: float


class Lognormal(Model):
    kind: Literal["lognormal"]
    mu: float
    sigma: float = Field(gt=0)


class Fixed(Model):
    kind: Literal["fixed"]
    value: float


Dist = Annotated[Lognormal | Fixed, Field(discriminator="kind")]


class Outcome(Model):
    approve: float = Field(ge=0, le=1)
    return_: float = Field(0.0, alias="return")
    mode: Literal["decide", "escalate"] = "decide"

    @model_validator(mode="after")
    def _at_most_one(self) -> Outcome:
        if self.approve + self.return_ > 1:
            raise ValueError(f"expected approve + return <= 1, got {self.approve + self.return_:g}")
        return self


class Authority(Model):
    review: Review
    outcomes: list[Outcome] = Field(min_length=1)
    delays: dict[str, Dist] = {}
    countries: tuple[str, ...] = ()
    by_year: dict[int, float] = {}
    backup: Review | None = None


class Scenario(Model):
    name: str
    start: datetime.date
    authority: Authority

    @field_validator("name")
    @classmethod
    def _not_bad(cls, value: str) -> str:
        if value == "bad":
            raise ValueError("expected a better name, got 'bad'")
        return value


def rendered(text: str, model: type[BaseModel] = Scenario, **kwargs: Any) -> list[str]:
    doc = parse_document(text, "s.yaml")
    with pytest.raises(pydantic.ValidationError) as err:
        model.model_validate(doc.data)
    return [str(p) for p in problems_from_validation(err.value, doc, model, **kwargs)]


VALID = """\
name: demo
start: 2025-04-04
authority:
  review:
    capacity: 3
    time: 2.5
  outcomes:
    - approve: 0.5
"""


def test_valid_document_validates():
    scenario = Scenario.model_validate(parse_document(VALID, "s.yaml").data)
    assert scenario.name == "demo" and scenario.start == datetime.date(2025, 4, 4)
    assert scenario.authority.review.capacity == 3
    assert [o.approve for o in scenario.authority.outcomes] == [0.5]


def test_unknown_key_with_suggestion():
    text = VALID.replace("    capacity: 3\n", "    captity: 3\n")
    assert rendered(text) == [
        "s.yaml:5:5: authority.review.capacity: expected a value for required key 'capacity', "
        "got nothing",
        "s.yaml:5:5: authority.review.captity: expected one of capacity, time, "
        "got unknown key 'captity' (did you mean 'capacity'?)",
    ]


def test_unknown_key_without_suggestion_and_aliases():
    text = VALID + "      zzz: 1\n      retrun: 0.1\n"
    assert rendered(text) == [
        "s.yaml:9:7: authority.outcomes[0].zzz: expected one of approve, return, mode, "
        "got unknown key 'zzz'",
        "s.yaml:10:7: authority.outcomes[0].retrun: expected one of approve, return, mode, "
        "got unknown key 'retrun' (did you mean 'return'?)",
    ]


def test_unknown_top_level_key():
    assert rendered(VALID + "horizn: 1y\n") == [
        "s.yaml:9:1: horizn: expected one of name, start, authority, got unknown key 'horizn'"
    ]


def test_type_errors_read_as_expected_got():
    text = """\
name: bad
start: 2025-13-01x
authority:
  review:
    capacity: -2
    time: abc
  outcomes:
    - approve: 0.5
      mode: forced
    - {}
    - 7
    - approve: 0.9
      return: 0.3
  countries: [us, no, {a: 1}, [x]]
  backup: [1]
"""
    assert rendered(text) == [
        "s.yaml:1:7: name: expected a better name, got 'bad'",
        "s.yaml:2:8: start: expected a date like 2025-04-04, got '2025-13-01x'",
        "s.yaml:5:15: authority.review.capacity: expected a value > 0, got -2",
        "s.yaml:6:11: authority.review.time: expected a number, got 'abc'",
        "s.yaml:9:13: authority.outcomes[0].mode: expected one of 'decide', 'escalate', "
        "got 'forced'",
        "s.yaml:10:7: authority.outcomes[1].approve: expected a value for required key "
        "'approve', got nothing",
        "s.yaml:11:7: authority.outcomes[2]: expected a mapping, got 7",
        "s.yaml:12:7: authority.outcomes[3]: expected approve + return <= 1, got 1.2",
        "s.yaml:14:19: authority.countries[1]: expected text, got false (quote it to mean text)",
        "s.yaml:14:23: authority.countries[2]: expected text, got a mapping",
        "s.yaml:14:31: authority.countries[3]: expected text, got a list",
        "s.yaml:15:11: authority.backup: expected a mapping, got a list",
    ]


def test_discriminated_union_members():
    text = (
        VALID
        + """\
  delays:
    port: {kind: lognormal, mu: 1, sgma: 2}
    ship: {kind: weibull}
    rail: {mu: 1}
    sea: {kind: fixed, value: [1]}
    air: 3
"""
    )
    assert rendered(text) == [
        "s.yaml:10:11: authority.delays.port.sigma: expected a value for required key 'sigma', "
        "got nothing",
        "s.yaml:10:36: authority.delays.port.sgma: expected one of kind, mu, sigma, "
        "got unknown key 'sgma' (did you mean 'sigma'?)",
        "s.yaml:11:18: authority.delays.ship.kind: expected one of 'lognormal', 'fixed', "
        "got 'weibull'",
        "s.yaml:12:11: authority.delays.rail.kind: expected a value for required key 'kind', "
        "got nothing",
        "s.yaml:13:31: authority.delays.sea.value: expected a number, got a list",
        "s.yaml:14:10: authority.delays.air: expected a mapping, got 3",
    ]


def test_unknown_key_in_the_member_that_fits_best():
    text = VALID + "  delays:\n    sea: {kind: fixed, valeu: 1}\n"
    assert rendered(text) == [
        "s.yaml:10:10: authority.delays.sea.value: expected a value for required key 'value', "
        "got nothing",
        "s.yaml:10:24: authority.delays.sea.valeu: expected one of kind, value, "
        "got unknown key 'valeu' (did you mean 'value'?)",
    ]


def test_dict_key_errors_point_at_the_key():
    text = VALID + "  by_year:\n    2025: 1\n    soon: 2\n"
    assert rendered(text) == [
        "s.yaml:11:5: authority.by_year.soon: expected a whole number, got 'soon'",
    ]


def test_lengths_and_long_inputs():
    long_name = "x" * 100
    text = VALID.replace("  outcomes:\n    - approve: 0.5\n", "  outcomes: []\n").replace(
        "capacity: 3", f"capacity: {long_name}"
    )
    assert rendered(text) == [
        f"s.yaml:5:15: authority.review.capacity: expected a whole number, got '{'x' * 37}...'",
        "s.yaml:7:13: authority.outcomes: expected at least 1 item(s), got 0",
    ]


def test_missing_section_is_reported_at_its_parent():
    assert rendered("name: demo\nstart: 2025-04-04\n") == [
        "s.yaml:1:1: authority: expected a value for required key 'authority', got nothing"
    ]


def test_prefix_and_path_prefix_locate_a_sub_document():
    text = "scenario:\n  authority:\n    review: {capacity: 0, time: 1, tim: 2}\n"
    doc = parse_document(text, "s.yaml")
    with pytest.raises(pydantic.ValidationError) as err:
        Review.model_validate(doc.data["scenario"]["authority"]["review"])
    problems = problems_from_validation(
        err.value,
        doc,
        Review,
        prefix=("scenario", "authority", "review"),
        path_prefix="authority.review",
    )
    assert [str(p) for p in problems] == [
        "s.yaml:3:24: authority.review.capacity: expected a value > 0, got 0",
        "s.yaml:3:36: authority.review.tim: expected one of capacity, time, "
        "got unknown key 'tim' (did you mean 'time'?)",
    ]


def test_keys_only_in_the_validated_data_are_kept():
    """After a --set the data validated may hold keys the document lacks."""
    doc = parse_document(VALID, "s.yaml")
    data = {**doc.data, "authority": {**doc.data["authority"], "backup": {"time": "x"}}}
    with pytest.raises(pydantic.ValidationError) as err:
        Scenario.model_validate(data)
    assert [str(p) for p in problems_from_validation(err.value, doc, Scenario)] == [
        "s.yaml:4:3: authority.backup.capacity: expected a value for required key 'capacity', "
        "got nothing",
        "s.yaml:4:3: authority.backup.time: expected a number, got 'x'",
    ]


def test_custom_errors_duplicates_and_unknown_types():
    doc = parse_document("a: 1\nb: [x]\n", "s.yaml")
    custom = PydanticCustomError("reesim", "expected a duration like 45wd, got {got}", {"got": "1"})
    err = pydantic.ValidationError.from_exception_data(
        "Thing",
        [
            {"type": custom, "loc": ("a",), "input": 1},
            {"type": custom, "loc": ("a",), "input": 1},
            {"type": "url_parsing", "loc": ("b", 0), "input": "x", "ctx": {"error": "bad"}},
            {"type": "greater_than", "loc": ("b",), "input": ["x"], "ctx": {"gt": 5}},
        ],
    )
    assert [str(p) for p in problems_from_validation(err, doc, BaseModel)] == [
        "s.yaml:1:4: a: expected a duration like 45wd, got 1",
        "s.yaml:2:4: b: expected a value > 5, got a list",
        "s.yaml:2:5: b[0]: expected a valid URL, bad, got 'x'",
    ]


def test_problems_are_problems_with_positions():
    doc = Document("x.yaml", {"a": "s"}, {}, {})  # no marks known: line and column are 0

    class A(Model):
        a: int

    with pytest.raises(pydantic.ValidationError) as err:
        A.model_validate(doc.data)
    assert problems_from_validation(err.value, doc, A) == [
        Problem("x.yaml", 0, 0, "a", "expected a whole number, got 's'")
    ]


def test_too_short_only_when_the_list_is_short():
    """pydantic counts only valid items for a tuple's min_length; failing items speak for
    themselves."""

    class Rules(Model):
        rules: tuple[Review, ...] = Field(min_length=1)

    assert rendered("rules:\n  - {capacity: 1, time: soon}\n", Rules) == [
        "s.yaml:2:25: rules[0].time: expected a number, got 'soon'",
    ]
    assert rendered("rules: []\n", Rules) == [
        "s.yaml:1:8: rules: expected at least 1 item(s), got 0",
    ]
