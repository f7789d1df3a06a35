"""Output files of the commands: checked before any work, written atomically, never lost.

A destination that cannot be written (a directory or a device in its place, a path under a
file, no permission, a wrong suffix) is refused before a run starts. A write that fails after
the work is done (a full disk, ``ulimit -f``) is reported with the path, and the finished result
is kept in a temporary file whose path the message gives, so an hour of simulation is not lost
to a typo in ``--out``.
"""

from __future__ import annotations

from pathlib import Path

from reesim.errors import OutputError
from reesim.files import (
    FileProblem,
    atomic_write_bytes,
    check_output,
    check_output_dir,
    save_aside,
)


def check_file(path: Path | None, suffixes: tuple[str, ...]) -> None:
    """OutputError now if `path` (when given) cannot be written later."""
    if path is None:
        return
    try:
        check_output(path, suffixes)
    except FileProblem as err:
        raise OutputError(f"{path}: {err}") from None


def check_dir(path: Path) -> None:
    """OutputError now if files cannot be written into the directory `path` later."""
    try:
        check_output_dir(path)
    except FileProblem as err:
        raise OutputError(f"{path}: {err}") from None


class Outputs:
    """Writes a command's files, going on after a failure and reporting them all at the end."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def write(self, path: Path, content: str | bytes, what: str = "the result") -> bool:
        """Write `content` (text is UTF-8) to `path` atomically; on failure keep it aside and
        note why."""
        data = content.encode("utf-8") if isinstance(content, str) else content
        try:
            atomic_write_bytes(path, data)
        except FileProblem as err:
            aside = save_aside(data, path.name)
            kept = f"; {what} is kept in {aside}" if aside else f"; {what} could not be kept"
            self.failures.append(f"{path}: {err}{kept}")
            return False
        return True

    def failed(self, path: Path, err: FileProblem) -> None:
        self.failures.append(f"{path}: {err}")

    def raise_failures(self) -> None:
        if self.failures:
            raise OutputError("\n".join(self.failures))
