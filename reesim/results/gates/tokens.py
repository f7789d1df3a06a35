"""The gate language's tokenizer, and `GateError`, the error of a malformed expression."""

from __future__ import annotations

import re
from dataclasses import dataclass

KEYWORDS = ("and", "or", "not", "true", "false")
MAX_LENGTH = 2000


class GateError(ValueError):
    """A malformed gate expression; `offset` is 0-based in the expression text."""

    def __init__(self, message: str, offset: int):
        self.message = message
        self.offset = offset
        super().__init__(message)


# --- tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # number, name, op, keyword, end
    text: str
    start: int
    end: int
    value: str = ""
    """A name's text without backticks."""


_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")
_OPS = ("<=", ">=", "==", "!=", "<", ">", "+", "-", "*", "/", "(", ")", ",", "%")
_MISTAKES = {
    "&&": "and",
    "||": "or",
    "=": "==",
    "!": "not",
    "&": "and",
    "|": "or",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
}


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise GateError(f"expected an expression of at most {MAX_LENGTH} characters", MAX_LENGTH)
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        m = _NUMBER.match(text, i)
        if m:
            if m.end() < len(text) and (text[m.end()].isalpha() or text[m.end()] == "_"):
                got = _NAME.match(text, m.end())
                suffix = got.group() if got else text[m.end()]
                raise GateError(
                    "expected a number without a unit (gates compare in the KPI's own unit), "
                    f"got {m.group() + suffix!r}",
                    i,
                )
            tokens.append(Token("number", m.group(), i, m.end()))
            i = m.end()
            continue
        m = _NAME.match(text, i)
        if m:
            word = m.group()
            if m.end() < len(text) and text[m.end()] == ".":
                raise GateError(
                    f"expected a name after '.', got {_describe_at(text, m.end() + 1)}", m.end()
                )
            kind = "keyword" if word in KEYWORDS else "name"
            tokens.append(Token(kind, word, i, m.end(), word))
            i = m.end()
            continue
        if ch == "`":
            close = text.find("`", i + 1)
            if close < 0:
                raise GateError("expected a closing '`' for the quoted name", i)
            name = text[i + 1 : close]
            if not name.strip():
                raise GateError("expected a KPI name between the backticks, got nothing", i)
            end = close + 1
            stat = re.compile(r"\.[A-Za-z0-9_]+").match(text, end)  # `name`.p95
            if stat:
                name, end = name + stat.group(), stat.end()
            tokens.append(Token("name", text[i:end], i, end, name))
            i = end
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op is not None:
            tokens.append(Token("op", op, i, i + len(op)))
            i += len(op)
            continue
        bad = next(
            (b for b in sorted(_MISTAKES, key=len, reverse=True) if text.startswith(b, i)), None
        )
        if bad is not None:
            raise GateError(f"expected '{_MISTAKES[bad]}', got {bad!r}", i)
        raise GateError(f"expected an operator, a number or a name, got {ch!r}", i)
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


def _describe_at(text: str, i: int) -> str:
    return repr(text[i]) if i < len(text) else "the end of the expression"
