"""Reading scenario YAML: plain data, positions of everything, every problem at once."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reesim.errors import ScenarioError
from reesim.files import MAX_INPUT_BYTES
from reesim.scenario.yamlsource import (
    MAX_NODES,
    MAX_VALUES,
    Document,
    Mark,
    parse_document,
    parse_scalar,
    read_document,
)

NESTED = """\
name: demo
authority:
  review:
    capacity: 3
    time: 45wd
  outcomes:
    - approve: 0.6
      deny: rest
    - {approve: 1, deny: 0}
"""


def lines(err: pytest.ExceptionInfo[ScenarioError]) -> list[str]:
    return [str(p) for p in err.value.problems]


def fails(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        parse_document(text, "s.yaml")
    return lines(err)


# -- data and positions ----------------------------------------------------------------------


def test_nested_data_is_plain_python():
    doc = parse_document(NESTED, "s.yaml")
    assert doc.source == "s.yaml"
    assert doc.data == {
        "name": "demo",
        "authority": {
            "review": {"capacity": 3, "time": "45wd"},
            "outcomes": [{"approve": 0.6, "deny": "rest"}, {"approve": 1, "deny": 0}],
        },
    }


def test_value_marks_are_exact_and_one_based():
    doc = parse_document(NESTED, "s.yaml")
    assert doc.marks[()] == Mark(1, 1)
    assert doc.marks[("name",)] == Mark(1, 7)
    assert doc.marks[("authority", "review", "capacity")] == Mark(4, 15)
    assert doc.marks[("authority", "review", "time")] == Mark(5, 11)
    assert doc.marks[("authority", "outcomes", 0)] == Mark(7, 7)
    assert doc.marks[("authority", "outcomes", 0, "approve")] == Mark(7, 16)
    assert doc.marks[("authority", "outcomes", 1)] == Mark(9, 7)
    assert doc.marks[("authority", "outcomes", 1, "deny")] == Mark(9, 26)


def test_key_marks_point_at_the_key():
    doc = parse_document(NESTED, "s.yaml")
    assert doc.key_marks[("authority",)] == Mark(2, 1)
    assert doc.key_marks[("authority", "review", "capacity")] == Mark(4, 5)
    assert doc.key_marks[("authority", "outcomes", 0, "deny")] == Mark(8, 7)
    assert doc.key_marks[("authority", "outcomes", 1, "deny")] == Mark(9, 20)
    assert ("authority", "outcomes", 0) not in doc.key_marks  # a list item has no key


def test_mark_for_falls_back_to_the_deepest_known_ancestor():
    doc = parse_document(NESTED, "s.yaml")
    assert doc.mark_for(("authority", "review", "time")) == Mark(5, 11)
    assert doc.mark_for(("authority", "review", "nope", "deeper")) == Mark(4, 5)
    assert doc.mark_for(("authority", "outcomes", 7)) == Mark(7, 5)
    assert doc.mark_for(("elsewhere",)) == Mark(1, 1)
    empty = Document("x", {}, {}, {})
    assert empty.mark_for(("a",)) is None


def test_scalars_resolve_like_safe_load():
    doc = parse_document(
        "i: 12\nf: 0.5\ne: 1e3\nb: true\nn: ~\ns: '12'\nd: 2025-04-04\nt: 2025-04-04T10:30:00\n"
        "inf: .inf\n",
        "s.yaml",
    )
    assert doc.data == {
        "i": 12,
        "f": 0.5,
        "e": "1e3",  # YAML 1.1 floats need a dot
        "b": True,
        "n": None,
        "s": "12",
        "d": datetime.date(2025, 4, 4),
        "t": "2025-04-04T10:30:00",  # a time of day keeps the text
        "inf": float("inf"),
    }
    assert type(doc.data["d"]) is datetime.date


def test_keys_are_the_text_written():
    doc = parse_document("2025: a\nno: b\n1.5: c\nnull: d\n", "s.yaml")
    assert doc.data == {"2025": "a", "no": "b", "1.5": "c", "null": "d"}


def test_anchors_and_aliases():
    doc = parse_document("base: &b {mu: 1, sigma: 2}\nother: *b\n", "s.yaml")
    assert doc.data["other"] == {"mu": 1, "sigma": 2}
    assert doc.data["other"] is not doc.data["base"]
    assert doc.marks[("other", "sigma")] == Mark(1, 25)  # where the value was written


def test_merge_keys_own_keys_win_then_earlier_merges():
    text = "base: &b {mu: 1, sigma: 2}\nmore: &m {sigma: 5, kind: x}\nd:\n  <<: [*b, *m]\n  mu: 3\n"
    doc = parse_document(text, "s.yaml")
    assert doc.data["d"] == {"mu": 3, "sigma": 2, "kind": "x"}
    assert doc.marks[("d", "mu")] == Mark(5, 7)
    assert doc.key_marks[("d", "sigma")] == Mark(1, 18)


def test_merge_of_a_non_mapping_is_a_problem():
    assert fails("a:\n  <<: 3\n  b: 1\n") == [
        "s.yaml:2:7: a: expected a mapping to merge, got something else"
    ]


# -- problems --------------------------------------------------------------------------------


def test_syntax_error_has_line_and_col():
    assert fails("a: 1\nb: [1, 2\nc: 3\n") == [
        "s.yaml:3:2: expected valid YAML, got ':' where ',' or ']' should be "
        "(while parsing a flow sequence)"
    ]
    assert fails("a:\n  b: 1\n c: 2\n") == [
        "s.yaml:3:2: expected valid YAML, got '<block mapping start>' where <block end> should be "
        "(while parsing a block mapping)"
    ]
    assert fails("a: b: c\n") == [
        "s.yaml:1:5: expected valid YAML, got mapping values are not allowed here"
    ]


def test_tab_and_control_characters():
    assert fails("a:\n\tb: 1\n") == [
        "s.yaml:2:1: expected valid YAML, got found character '\\t' that cannot start any token "
        "(while scanning for the next token)"
    ]
    assert fails("a: 1\nb: x\x07y\n") == ["s.yaml:2:5: expected printable text, got '\\x07'"]


def test_duplicate_keys_are_reported_at_the_second_one():
    assert fails("a: 1\nb:\n  x: 1\n  y: 2\n  x: 3\na: 4\n") == [
        "s.yaml:5:3: b.x: expected each key once, got 'x' again (first on line 3)",
        "s.yaml:6:1: a: expected each key once, got 'a' again (first on line 1)",
    ]
    assert fails("m: {k: 1, k: 2}\n") == [
        "s.yaml:1:11: m.k: expected each key once, got 'k' again (first on line 1)"
    ]


def test_top_level_must_be_a_mapping():
    assert fails("- a\n- b\n") == ["s.yaml:1:1: expected a mapping at the top level, got a list"]
    assert fails("just text\n") == ["s.yaml:1:1: expected a mapping at the top level, got text"]
    assert fails("") == ["s.yaml: expected a mapping at the top level, got an empty document"]
    assert fails("# only a comment\n") == [
        "s.yaml: expected a mapping at the top level, got an empty document"
    ]


def test_several_documents_are_a_problem():
    assert fails("a: 1\n---\nb: 2\n") == [
        "s.yaml:2:1: expected valid YAML, got found another document "
        "(expected a single document in the stream)"
    ]


def test_unknown_tags_are_problems_and_nothing_runs(tmp_path: Path, monkeypatch):
    canary = tmp_path / "canary"
    monkeypatch.chdir(tmp_path)
    text = (
        "a: !!python/object/apply:os.system ['touch canary']\n"
        "b: !!python/object/apply:os.system\n"
        "  args: ['touch canary']\n"
        "c: !!python/name:os.system\n"
        "d: !custom 3\n"
        "e: !!binary aGk=\n"
        "f: !!set {x}\n"
        "!!python/str g: 1\n"
    )
    assert fails(text) == [
        "s.yaml:1:4: a: expected plain YAML data, got tag !!python/object/apply:os.system",
        "s.yaml:2:4: b: expected plain YAML data, got tag !!python/object/apply:os.system",
        "s.yaml:4:4: c: expected plain YAML data, got tag !!python/name:os.system",
        "s.yaml:5:4: d: expected plain YAML data, got tag !custom",
        "s.yaml:6:4: e: expected plain YAML data, got tag !!binary",
        "s.yaml:7:4: f: expected plain YAML data, got tag !!set",
        "s.yaml:8:1: expected plain YAML data, got tag !!python/str",
    ]
    assert not canary.exists()


def test_explicit_standard_tags_are_fine():
    doc = parse_document("a: !!str 12\nb: !!float '1'\nc: !!int '7'\n", "s.yaml")
    assert doc.data == {"a": "12", "b": 1.0, "c": 7}


def test_invalid_scalars_and_complex_keys():
    assert fails("a: 2025-02-30\nb: 0x_\n? [x]\n: 1\n") == [
        "s.yaml:1:4: a: expected a valid date, got '2025-02-30'",
        "s.yaml:2:4: b: expected a valid integer, got '0x_'",
        "s.yaml:3:3: expected a name as mapping key, got a list",
    ]


def test_undefined_and_recursive_aliases():
    assert fails("a: *nope\n") == [
        "s.yaml:1:4: expected valid YAML, got found undefined alias 'nope'"
    ]
    assert fails("a: &x [1, *x]\n") == [
        "s.yaml:1:4: a[1]: expected a finite value, got an alias to itself"
    ]


TOO_BIG = (
    f"s.yaml: expected at most {MAX_VALUES:,} values and {MAX_NODES:,} YAML nodes, got more "
    "(aliases or merge keys expanding?)"
)


def test_alias_bombs_are_refused():
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 7):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    assert fails("\n".join(levels) + "\n") == [TOO_BIG]


def test_deep_nesting_is_a_problem_not_a_crash():
    assert fails("a: " + "[" * 3000 + "]" * 3000 + "\n") == [
        "s.yaml: expected valid YAML, got too deep nesting"
    ]


# -- files -----------------------------------------------------------------------------------


def test_read_document_from_file(tmp_path: Path):
    path = tmp_path / "s.yaml"
    path.write_text("\ufeffa: 1\nb: [x]\n", encoding="utf-8")  # a BOM is fine
    doc = read_document(path)
    assert doc.source == str(path)
    assert doc.data == {"a": 1, "b": ["x"]}
    assert doc.marks[("b", 0)] == Mark(2, 5)
    assert read_document(str(path)).source == str(path)


def test_missing_file_and_directory(tmp_path: Path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError) as err:
        read_document(missing)
    assert lines(err) == [f"{missing}: expected a readable scenario file, got no such file"]
    assert err.value.problems[0].line == 0
    with pytest.raises(ScenarioError) as err:
        read_document(tmp_path)
    assert lines(err) == [f"{tmp_path}: expected a readable scenario file, got a directory"]


def test_non_utf8_bytes_are_located(tmp_path: Path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("a: 1\nname: Müller\n".encode("latin-1"))
    with pytest.raises(ScenarioError) as err:
        read_document(path)
    assert lines(err) == [f"{path}:2:8: expected UTF-8 text, got byte 0xfc"]


def test_syntax_errors_in_files_name_the_file(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("a: [\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        read_document(path)
    assert lines(err)[0].startswith(f"{path}:2:1: expected valid YAML, got ")


# -- --set values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("60wd", "60wd"),
        ("0.6", 0.6),
        ("3", 3),
        ("true", True),
        ("off", False),
        ("null", None),
        ("", None),
        ("unlimited", "unlimited"),
        ("'12'", "12"),
        ("[us, de]", ["us", "de"]),
        ("{mu: 1, sigma: 0.5}", {"mu": 1, "sigma": 0.5}),
        ("2025-04-04", datetime.date(2025, 4, 4)),
        ("2.5 t/mo", "2.5 t/mo"),
    ],
)
def test_parse_scalar(text: str, value: object):
    assert parse_scalar(text) == value
    assert type(parse_scalar(text)) is type(value)


def test_parse_scalar_problems_name_the_source():
    with pytest.raises(ScenarioError) as err:
        parse_scalar("[us, de", source="--set[2]")
    assert lines(err) == [
        "--set[2]:1:8: expected valid YAML, got '<stream end>' where ',' or ']' should be "
        "(while parsing a flow sequence)"
    ]
    with pytest.raises(ScenarioError) as err:
        parse_scalar("!!python/object/apply:os.system [ls]")
    assert lines(err) == [
        "--set:1:1: expected plain YAML data, got tag !!python/object/apply:os.system"
    ]


# -- robustness ------------------------------------------------------------------------------

YAMLISH = st.text(
    alphabet=st.sampled_from(list("ab1:- \n\t[]{},'\"&*!#|>?%@`~.<=\\\x00é")), max_size=60
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), YAMLISH))
def test_any_text_gives_a_document_or_a_scenario_error(text: str):
    try:
        doc = parse_document(text, "s.yaml")
    except ScenarioError as err:
        assert err.problems
        assert all(p.source == "s.yaml" for p in err.problems)
    else:
        assert isinstance(doc.data, dict)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=30), YAMLISH))
def test_any_set_value_gives_a_value_or_a_scenario_error(text: str):
    try:
        parse_scalar(text)
    except ScenarioError as err:
        assert err.problems


# -- what is read is capped ------------------------------------------------------------------


def test_merge_key_bombs_are_refused():
    # Each level merges the previous one twice: 2**20 entries from a 1 kB file.
    levels = ["a0: &a0 {x: 1}"]
    for i in range(1, 21):
        levels.append(f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}]}}")
    assert fails("\n".join(levels) + "\n") == [TOO_BIG]


def test_too_many_nodes_are_refused_before_they_are_built():
    assert fails("a: [" + "1, " * (MAX_NODES + 10) + "1]\n") == [TOO_BIG]


@pytest.mark.parametrize(
    ("make", "got"),
    [
        (lambda p: os.mkfifo(p), "a pipe (FIFO)"),
        (lambda p: p.mkdir(), "a directory"),
        (lambda p: p.symlink_to("/dev/zero"), "a device"),
        (lambda p: p.write_bytes(b"a: 1\n" * (MAX_INPUT_BYTES // 4)), None),
    ],
    ids=["fifo", "directory", "dev-zero", "too-big"],
)
def test_only_regular_files_of_bounded_size_are_read(tmp_path: Path, make, got):
    path = tmp_path / "s.yaml"
    make(path)
    with pytest.raises(ScenarioError) as err:
        read_document(path)  # a FIFO with no writer would block forever if opened plainly
    (line,) = lines(err)
    if got is None:
        assert line.startswith(
            f"{path}: expected a readable scenario file of at most {MAX_INPUT_BYTES:,} bytes"
        )
    else:
        assert line == f"{path}: expected a readable scenario file, got {got}"


def test_partial_documents_keep_their_problems_and_the_rest():
    doc = parse_document("a: 2025-02-30\nb: !!binary aGk=\nc: 3\nc: 4\n", "s.yaml", partial=True)
    assert doc.data == {"a": None, "b": None, "c": 3}
    assert sorted(str(p) for p in doc.problems) == [
        "s.yaml:1:4: a: expected a valid date, got '2025-02-30'",
        "s.yaml:2:4: b: expected plain YAML data, got tag !!binary",
        "s.yaml:4:1: c: expected each key once, got 'c' again (first on line 3)",
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1:30", "1:30"),  # YAML 1.1 reads base 60 (90): text, as in YAML 1.2
        ("1:30.5", "1:30.5"),
        ("190:20:30", "190:20:30"),
        ("010", 10),  # YAML 1.1 reads octal (8): decimal, as in YAML 1.2
        ("-010", -10),
        ("+007", 7),
        ("00", 0),
        ("0x1f", 31),  # written on purpose; unchanged
        ("1_000", 1000),
    ],
)
def test_numbers_mean_what_they_say_not_yaml_1_1_base_60_or_octal(text: str, value: object):
    assert parse_document(f"a: {text}\n", "s.yaml").data == {"a": value}
    assert parse_scalar(text) == value
