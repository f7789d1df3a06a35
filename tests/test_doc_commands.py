"""Every `reesim …` command quoted in the README and docs/ is one the CLI accepts: its options
exist, its values parse, nothing required is missing (a sweep without --out, say). The commands
are parsed, not run; executed pages (README console blocks, docs/questions.md, docs/python.md)
run theirs in their own tests."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer

from reesim.cli.app import app
from reesim.cli.main import register_commands

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"```(?:sh|console|bash)\n(.*?)```", re.S)
INLINE = re.compile(r"`(reesim [^`]+)`")
register_commands()
COMMAND = typer.main.get_command(app)


def quoted_commands() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        text = page.read_text()
        for block in FENCE.findall(text):
            joined = block.replace("\\\n", " ")
            for line in joined.splitlines():
                line = line.removeprefix("$ ").strip()
                if line.startswith("reesim "):
                    found.append((page.name, line))
        for span in INLINE.findall(text):
            if len(span.split()) > 2 and "…" not in span:
                found.append((page.name, span))
    return found


def _words(command: str) -> list[str]:
    """The command's arguments, without a trailing comment, redirection or pipe."""
    words = shlex.split(command, comments=True)
    for stop in (">", ">>", "|", "2>", "&&", ";"):
        if stop in words:
            words = words[: words.index(stop)]
    return words[1:]


def test_commands_are_found() -> None:
    pages = {page for page, _ in quoted_commands()}
    assert {"README.md", "compare.md", "replay-2025.md", "scenario-format.md"} <= pages


@pytest.mark.parametrize(("page", "command"), quoted_commands())
def test_quoted_command_parses(page: str, command: str) -> None:
    words = _words(command)
    assert words, command
    name, *args = words
    sub = COMMAND.commands.get(name)  # type: ignore[attr-defined]
    assert sub is not None, f"{page}: no command {name!r} in {command!r}"
    try:
        sub.make_context(f"reesim {name}", list(args))
    except Exception as err:  # noqa: BLE001 - click's usage errors, and its --help exit
        if type(err).__name__ == "Exit":
            return
        pytest.fail(f"{page}: {command!r} does not parse: {err}")


def test_the_readme_lists_every_command() -> None:
    text = (ROOT / "README.md").read_text()
    table = text[text.index("## Commands") :]
    table = table[: table.index("\n## ", 1)]
    listed = set(re.findall(r"^\| `reesim ([a-z]+)", table, re.M))
    commands = set(COMMAND.commands)  # type: ignore[attr-defined]
    assert commands == listed, f"missing from the table: {commands - listed}"


def test_the_readme_opens_with_set_up_then_python_then_the_editor() -> None:
    text = (ROOT / "README.md").read_text()
    order = [
        text.index(s) for s in ("make run", "make test", "import reesim", "yaml-language-server")
    ]
    assert order == sorted(order)
