"""The dotted-path language that names a parameter of a scenario document:
``authority.outcomes[0].approve``, or ``timeline[3].set["authority.review.capacity"]`` for a key
that holds dots itself. A path is a `Key`, the tuple of its names and indexes; `dotted` writes
one and `parse_dotted` reads it back. Every problem message names its parameter this way."""

from __future__ import annotations

import re

Key = tuple[str | int, ...]
"""A document path: ``("authority", "outcomes", 0, "approve")``; the document itself is ``()``."""

_NAME = r"[^.\[\]\"]+"
_QUOTED = r'\["(?:[^"\\]|\\.)*"\]'  # a key holding dots itself, e.g. a timeline entry's path
_PATH = re.compile(rf"(?:{_NAME}|\[[0-9]+\]|{_QUOTED})(?:\.{_NAME}|\[[0-9]+\]|{_QUOTED})*")
_SEGMENT = re.compile(rf'\.?({_NAME})|\[([0-9]+)\]|\["((?:[^"\\]|\\.)*)"\]')
_ESCAPED = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.DOTALL)


def _unescape(match: re.Match[str]) -> str:
    code = match[1]
    return chr(int(code[1:], 16)) if len(code) > 1 else code


def _escape_invisible(c: str) -> str:
    if c.isprintable():
        return c
    return f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"


_PLAIN = re.compile(_NAME)


def dotted(key: Key) -> str:
    """The dotted path of `key`: ``("authority", "outcomes", 0, "approve")`` ->
    ``"authority.outcomes[0].approve"``; the document itself, ``()``, is ``""``."""
    parts: list[str] = []
    for segment in key:
        if isinstance(segment, int) and not isinstance(segment, bool):
            parts.append(f"[{segment}]")
        elif not _PLAIN.fullmatch(str(segment)) or not str(segment).isprintable():
            escaped = str(segment).replace("\\", "\\\\").replace('"', '\\"')
            # Invisible characters are shown as escapes: a path in a message must be legible.
            escaped = "".join(map(_escape_invisible, escaped))
            parts.append(f'["{escaped}"]')
        else:
            parts.append(f".{segment}" if parts else str(segment))
    return "".join(parts)


def parse_dotted(path: str) -> Key:
    """The Key that `path` names, the inverse of `dotted` (``""`` is the document, ``()``).

    Names are any text without ``.``, ``[``, ``]`` or ``"``; indexes are non-negative integers;
    a key that itself holds dots is quoted in brackets: ``timeline[3].set["authority.review.capacity"]``.
    Invisible characters are written as escapes inside quotes (``["a\\u200bb"]``).
    """
    if path == "":
        return ()
    if not _PATH.fullmatch(path) or not path.isprintable():
        raise ValueError(f"expected a dotted path like 'authority.review.capacity', got {path!r}")
    return tuple(
        int(index) if index else (name or _ESCAPED.sub(_unescape, quoted))
        for name, index, quoted in _SEGMENT.findall(path)
    )


def join_paths(prefix: str, path: str) -> str:
    """`path` appended to the dotted path `prefix`."""
    if not prefix or not path:
        return prefix or path
    return prefix + path if path.startswith("[") else f"{prefix}.{path}"
