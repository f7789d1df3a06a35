"""Executed documentation: pages whose console blocks run as tests, and their update mode.

With REESIM_UPDATE_DOCS=1 a test that finds a block's output changed pastes the new output into
the page (and still fails, so the run shows what changed); read the prose around it before
committing, since it may quote the old numbers.
"""

from __future__ import annotations

import os
from pathlib import Path

UPDATE = bool(os.environ.get("REESIM_UPDATE_DOCS"))


def paste(page: Path, command: str, old: list[str], new: list[str]) -> None:
    """Replace the output under `command` in `page`, if the update mode is on."""
    if not UPDATE:
        return
    text = page.read_text()
    before = "\n".join([command, *old]) + "\n"
    assert text.count(before) == 1, f"the block of {command!r} is not unique in {page}"
    page.write_text(text.replace(before, "\n".join([command, *new]) + "\n"))
