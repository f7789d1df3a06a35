"""Read scenario YAML into plain Python values, remembering where every value was written.

This is the only module of the scenario layer that imports ``yaml``. It composes YAML's node
tree with the safe loader and builds the Python values itself, so that

* every value node's position is recorded under its `Key` (the path into the document, e.g.
  ``("authority", "outcomes", 0, "approve")``), and every mapping key's position too, which lets
  a validation error point at the exact line and column;
* nothing but plain data can come out: mappings, lists, str, int, float, bool, None and
  `datetime.date`. A tag the safe loader would not know (``!!python/object/apply:...``) or one
  that makes something else (``!!binary``, ``!!set``, ``!!omap``) is a `Problem`; no object is
  ever constructed from a tag.

Scalars resolve as with ``yaml.safe_load`` (YAML 1.1: ``yes``/``no``/``on``/``off`` are booleans),
except that a timestamp with a time of day is kept as the text written: scenarios deal in dates,
and that numbers read as written, as in YAML 1.2: ``1:30`` is text (YAML 1.1 reads 90, base 60,
so ``transit: 1:30`` would silently be 90 days) and ``010`` is 10 (YAML 1.1 reads 8, octal).
Mapping keys are kept as the text written (``2025:`` and ``no:`` give ``"2025"`` and ``"no"``),
since every key of the scenario format is a name; a key that is a list or mapping is a Problem.
Anchors and aliases work. Merge keys (``<<: *defaults``) work as in ``yaml.safe_load``: the
mapping's own keys win over merged ones, and an earlier merged mapping wins over a later one; a
merged value's position is where it was written, under the anchor.

Everything wrong with a document is reported at once, as a `ScenarioError`; with
``partial=True`` problems with single values (a bad tag, an invalid date, a repeated key) come
back in `Document.problems` instead, the value replaced by None, so that a loader can report them
together with what later checks find in the rest of the document.

What is read is capped: files of at most `MAX_INPUT_BYTES`, regular files only (a FIFO or a
device is refused before it is read), at most `MAX_NODES` YAML nodes and `MAX_VALUES` values,
counting every alias and every entry a merge key brings in.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reesim.errors import Problem, ScenarioError
from reesim.files import MAX_INPUT_BYTES, FileProblem, read_input
from reesim.scenario.dotted import Key, dotted

MAX_VALUES = 100_000
"""Most values a document may expand to (aliases and merge keys can multiply a small file
exponentially); merged entries count as values."""
MAX_NODES = 200_000
"""Most YAML nodes composed from a text: bounds the time spent on a large file."""

_TAG = "tag:yaml.org,2002:"
_MERGE = _TAG + "merge"
_SCALARS: dict[str, Callable[[SafeConstructor, ScalarNode], Any]] = {
    _TAG + "null": SafeConstructor.construct_yaml_null,
    _TAG + "bool": SafeConstructor.construct_yaml_bool,
    _TAG + "int": SafeConstructor.construct_yaml_int,
    _TAG + "float": SafeConstructor.construct_yaml_float,
    _TAG + "str": SafeConstructor.construct_yaml_str,
    _TAG + "timestamp": SafeConstructor.construct_yaml_timestamp,
    # '<<' and '=' written as values rather than keys are just text.
    _MERGE: SafeConstructor.construct_yaml_str,
    _TAG + "value": SafeConstructor.construct_yaml_str,
}
_BASE_60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
"""YAML 1.1's sexagesimal numbers (``1:30`` is 90), which YAML 1.2 dropped."""
_OCTAL = re.compile(r"[-+]?0[0-7_]+")
"""YAML 1.1's octal integers (``010`` is 8), decimal in YAML 1.2."""
_KINDS = {_TAG + "int": "integer", _TAG + "float": "number", _TAG + "timestamp": "date"}


@dataclass(frozen=True)
class Mark:
    """A 1-based position in a source."""

    line: int
    col: int


@dataclass(frozen=True, eq=False)
class Document:
    """A parsed scenario file: its plain data and the position of every node in it.

    `marks` maps the Key of each value (the whole document under ``()``) to where the value
    starts; `key_marks` maps the Key of each mapping entry to where its key is written.
    """

    source: str
    data: Any
    marks: Mapping[Key, Mark] = field(repr=False)
    key_marks: Mapping[Key, Mark] = field(repr=False)
    problems: tuple[Problem, ...] = field(default=(), repr=False)
    """Problems with single values, when parsed with ``partial=True`` (else raised)."""
    text: str = field(default="", repr=False)
    """The text parsed."""

    def mark_for(self, key: Key) -> Mark | None:
        """The position of the value at `key`, else of its deepest ancestor that has one."""
        for end in range(len(key), -1, -1):
            mark = self.marks.get(key[:end])
            if mark is not None:
                return mark
        return None


def read_document(
    path: str | Path, *, partial: bool = False, what: str = "a readable scenario file"
) -> Document:
    """Read and parse the file at `path`; the Document's source is `path` as given. `what` is
    what the file was expected to be, in messages."""
    source = str(path)
    try:
        raw = read_input(path, what)
    except FileProblem as exc:
        raise _error(source, str(exc)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        col = len(raw[start : exc.start].decode("utf-8", errors="replace")) + 1
        message = f"expected UTF-8 text, got byte 0x{raw[exc.start]:02x}"
        raise ScenarioError([Problem(source, line, col, "", message)]) from None
    return parse_document(text, source, partial=partial)


def parse_document(text: str, source: str, *, partial: bool = False) -> Document:
    """Parse `text` as a document whose top level must be a mapping.

    With `partial`, problems with single values are returned in the Document (their values
    None) rather than raised; problems with the whole text (syntax, size) are always raised.
    """
    if len(text) > MAX_INPUT_BYTES:
        raise _error(source, f"expected at most {MAX_INPUT_BYTES:,} characters, got {len(text):,}")
    root = _compose(text, source)
    if root is None:
        raise _error(source, "expected a mapping at the top level, got an empty document")
    if not isinstance(root, MappingNode):
        got = "a list" if isinstance(root, SequenceNode) else _kind_of_scalar(root.tag)
        mark = _mark(root)
        message = f"expected a mapping at the top level, got {got}"
        raise ScenarioError([Problem(source, mark.line, mark.col, "", message)])
    builder = _Builder(source)
    data = builder.build_root(root, partial=partial)
    return Document(source, data, builder.marks, builder.key_marks, tuple(builder.problems), text)


def _kind_of_scalar(tag: str) -> str:
    """What a scalar is, without its text: a top level that is not a mapping is often some
    other file entirely (/etc/passwd), whose contents must not be echoed."""
    return "text" if tag == _TAG + "str" else "a single value"


class _FlowDumper(yaml.SafeDumper):
    """One line of flow-style YAML; text that cannot stand plain, and every text key, is
    double-quoted (as JSON would quote it), so values read the same in any context."""

    def choose_scalar_style(self) -> str:
        style: str = super().choose_scalar_style()
        text = self.event is not None and self.event.tag == _TAG + "str"  # type: ignore[attr-defined]
        return "" if style == "" and not (text and self.simple_key_context) else '"'


def flow_text(value: Any) -> str:
    """`value` as one line of YAML that `parse_scalar` reads back as an equal value: how a
    factor value is written in a ``--set`` override, a saved design and messages
    (``30wd``, ``0.1``, ``[us, de]``, ``"yes"``)."""
    try:
        text = yaml.dump(
            value,
            Dumper=_FlowDumper,
            default_flow_style=True,
            width=float("inf"),
            allow_unicode=True,
            sort_keys=False,
        )
    except yaml.YAMLError:
        raise ValueError(f"expected plain YAML data, got {type(value).__name__}") from None
    return text.removesuffix("\n...\n").rstrip("\n")


def parse_scalar(text: str, source: str = "--set") -> Any:
    """Parse a ``--set`` value as YAML: ``60wd`` -> ``"60wd"``, ``0.6`` -> 0.6, ``true`` -> True,
    ``[us, de]`` -> ``["us", "de"]``, ``2025-04-04`` -> a date; empty text is None, as in YAML.

    Problems are reported against `source` (e.g. ``--set[1]``), positioned within `text`.
    """
    root = _compose(text, source)
    return None if root is None else _Builder(source).build_root(root)


class _Builder:
    """Turns composed nodes into plain values, recording marks and collecting problems."""

    def __init__(self, source: str):
        self.source = source
        self.marks: dict[Key, Mark] = {}
        self.key_marks: dict[Key, Mark] = {}
        self.problems: list[Problem] = []
        self._open: set[int] = set()  # ids of the collection nodes being built, to catch cycles
        self._count = 0
        self._constructor = SafeConstructor()

    def build_root(self, root: Node, partial: bool = False) -> Any:
        """Build the value of `root`; raise ScenarioError listing every problem found (with
        `partial`, only those that leave no value to return)."""
        try:
            value = self._build(root, ())
        except _TooBig:
            raise _error(self.source, _TOO_BIG) from None
        except RecursionError:
            raise _error(self.source, "expected valid YAML, got too deep nesting") from None
        if self.problems and not partial:
            raise ScenarioError(self.problems)
        return value

    def _tick(self, n: int = 1) -> None:
        self._count += n
        if self._count > MAX_VALUES:
            raise _TooBig

    def _build(self, node: Node, key: Key) -> Any:
        self._tick()
        self.marks[key] = _mark(node)
        if isinstance(node, ScalarNode):
            return self._scalar(node, key)
        expected = _TAG + ("seq" if isinstance(node, SequenceNode) else "map")
        if node.tag != expected:
            return self._bad_tag(node, key)
        if id(node) in self._open:
            return self._problem(node, key, "expected a finite value, got an alias to itself")
        self._open.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, key)
            return [self._build(item, (*key, i)) for i, item in enumerate(node.value)]
        finally:
            self._open.discard(id(node))

    def _scalar(self, node: ScalarNode, key: Key) -> Any:
        construct = _SCALARS.get(node.tag)
        if construct is None:
            return self._bad_tag(node, key)
        if node.tag in (_TAG + "int", _TAG + "float") and _BASE_60.fullmatch(node.value):
            return node.value  # text; a number field then says it is not a number
        if node.tag == _TAG + "int" and _OCTAL.fullmatch(node.value):
            return int(node.value.replace("_", ""), 10)
        try:
            value = construct(self._constructor, node)
        except (ValueError, OverflowError, yaml.YAMLError):
            kind = _KINDS.get(node.tag, "value")
            return self._problem(node, key, f"expected a valid {kind}, got {_short(node.value)!r}")
        return node.value if isinstance(value, datetime.datetime) else value

    def _mapping(self, node: MappingNode, key: Key) -> dict[str, Any]:
        winners: dict[str, tuple[Node, Node]] = {}  # later entries win, merged ones come first
        own: dict[str, Mark] = {}  # where each of the mapping's own keys was first written
        for key_node, value_node, explicit in self._entries(node, key):
            name = self._key(key_node, key)
            if name is None:
                continue
            if explicit and name in own:
                first = own[name].line
                again = f"expected each key once, got {name!r} again (first on line {first})"
                self._problem(key_node, (*key, name), again)
                continue
            if explicit:
                own[name] = _mark(key_node)
            winners[name] = (key_node, value_node)
        result: dict[str, Any] = {}
        for name, (key_node, value_node) in winners.items():
            self.key_marks[(*key, name)] = _mark(key_node)
            result[name] = self._build(value_node, (*key, name))
        return result

    def _entries(self, node: MappingNode, key: Key) -> list[tuple[Node, Node, bool]]:
        """The (key, value, explicit) entries of `node`, merged ones first and in the order in
        which later ones win: merged entries, then the mapping's own (explicit) entries."""
        merged: list[tuple[Node, Node, bool]] = []
        own: list[tuple[Node, Node, bool]] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE:
                own.append((key_node, value_node, True))
                continue
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in reversed(sources):  # an earlier merged mapping wins over a later one
                if not isinstance(source, MappingNode) or source.tag != _TAG + "map":
                    self._problem(source, key, "expected a mapping to merge, got something else")
                elif id(source) in self._open:
                    self._problem(source, key, "expected a finite value, got an alias to itself")
                else:
                    self._open.add(id(source))
                    try:
                        entries = self._entries(source, key)
                        self._tick(len(entries))  # a merge bomb multiplies entries, not values
                        merged += [(k, v, False) for k, v, _ in entries]
                    finally:
                        self._open.discard(id(source))
        return merged + own

    def _key(self, node: Node, parent: Key) -> str | None:
        if not isinstance(node, ScalarNode):
            kind = "a list" if isinstance(node, SequenceNode) else "a mapping"
            self._problem(node, parent, f"expected a name as mapping key, got {kind}")
            return None
        if node.tag not in _SCALARS:
            self._bad_tag(node, parent)
            return None
        return str(node.value)

    def _bad_tag(self, node: Node, key: Key) -> None:
        tag = "!!" + node.tag.removeprefix(_TAG) if node.tag.startswith(_TAG) else node.tag
        return self._problem(node, key, f"expected plain YAML data, got tag {tag}")

    def _problem(self, node: Node, key: Key, message: str) -> None:
        mark = _mark(node)
        self.problems.append(Problem(self.source, mark.line, mark.col, dotted(key), message))
        return None


class _TooBig(Exception):
    """Raised when a document has more than MAX_NODES nodes or MAX_VALUES values."""


_TOO_BIG = (
    f"expected at most {MAX_VALUES:,} values and {MAX_NODES:,} YAML nodes, got more "
    "(aliases or merge keys expanding?)"
)


class _CountingLoader(yaml.SafeLoader):
    """The safe loader, stopping once it has composed MAX_NODES nodes."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._nodes = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _TooBig
        return super().compose_node(parent, index)


def _compose(text: str, source: str) -> Node | None:
    """Compose `text` into a node tree with the safe loader; YAML errors become Problems."""
    try:
        return yaml.compose(text, Loader=_CountingLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = (exc.problem or exc.context or "a syntax error").removeprefix("but ")
        found = re.fullmatch(r"expected (.+), but (?:found|got) (.+)", what, re.DOTALL)
        if found:  # the parser's own "expected <token>, but found <token>"
            what = f"{found[2]} where {found[1]} should be"
        if exc.problem and exc.context:
            what += f" ({exc.context})"
        problem = Problem(source, line, col, "", f"expected valid YAML, got {what}")
        raise ScenarioError([problem]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character
        message = f"expected printable text, got {char!r}"
        raise ScenarioError([Problem(source, line, col, "", message)]) from None
    except yaml.YAMLError as exc:
        raise _error(source, f"expected valid YAML, got {exc}") from None
    except RecursionError:
        raise _error(source, "expected valid YAML, got too deep nesting") from None
    except _TooBig:
        raise _error(source, _TOO_BIG) from None


def _mark(node: Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _error(source: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(source, 0, 0, "", message)])
