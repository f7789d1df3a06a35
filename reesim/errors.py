"""Errors reesim raises on purpose.

    ReesimError                 base: the CLI turns any of these into a message and an exit code
    ├── ScenarioError           invalid input: a scenario file, a --set, a path (exit 2)
    │   │                       carries every Problem found, not just the first
    │   └── ResultError         a saved result that cannot be read (exit 2)
    ├── UsageError              a command used wrongly in a way typer cannot see (exit 2)
    ├── OutputError             an output that cannot be written (exit 2)
    ├── SimulationError         a replication raised while running (exit 3)
    ├── GateFailed              a comparison's gate failed (exit 1), with the numbers
    └── Interrupted             Ctrl-C (exit 130) or SIGTERM (exit 143), with what was saved

    Terminated                  SIGTERM as an exception (a BaseException, like
                                KeyboardInterrupt), so cleanup runs before the exit

Anything else escaping reesim is a bug: the CLI reports it in one line with exit code
`INTERNAL_ERROR` (4), distinct from a failed gate (1), and shows the traceback when the
environment variable `TRACEBACK_VARIABLE` (REESIM_TRACEBACK) is set to 1.
"""

from __future__ import annotations

from dataclasses import dataclass

INTERNAL_ERROR = 4
"""Exit code of an unexpected exception: a bug in reesim, never a verdict on the input."""
TRACEBACK_VARIABLE = "REESIM_TRACEBACK"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can.

    `source` is a file path or a pseudo-source such as ``--set[1]``; `line` and `col` are 1-based
    (0 when unknown); `path` is the dotted path of the offending parameter ('' for the document).
    """

    source: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}:{self.col}" if self.line else self.source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ReesimError(Exception):
    """Base of every error reesim raises on purpose."""

    exit_code = 1


class ScenarioError(ReesimError):
    """An input is invalid; `problems` lists everything found, in file order."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(sorted(set(problems)))
        super().__init__("\n".join(str(p) for p in self.problems))


class ResultError(ScenarioError):
    """A saved result (``reesim run -o x.json``) that cannot be read: missing, not JSON, or not
    shaped like a result reesim wrote. One Problem, located in the file where JSON says where."""

    def __init__(self, source: str, message: str, line: int = 0, col: int = 0):
        super().__init__([Problem(source, line, col, "", message)])


class GateFailed(ReesimError):
    """At least one gate of `reesim compare` failed: exit 1, the code CI reads as a verdict."""

    exit_code = 1


class UsageError(ReesimError):
    """A command was used wrongly (bad option combination, unknown format...)."""

    exit_code = 2


class OutputError(ReesimError):
    """An output file or directory cannot be written (exit 2): refused before the run where it
    can be, else reported with the path, and where the finished work was kept instead."""

    exit_code = 2


class SimulationError(ReesimError):
    """A replication raised; `replication` and `seed` say which, to replay it."""

    exit_code = 3

    def __init__(self, message: str, replication: int | None = None, seed: int | None = None):
        self.replication = replication
        self.seed = seed
        super().__init__(message)


class Interrupted(ReesimError):
    """A command was interrupted; the message says what was saved and how to go on."""

    def __init__(self, message: str, exit_code: int = 130):
        self.exit_code = exit_code
        super().__init__(message)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread (see `reesim.cli.main`) so that cleanup runs as it
    does for Ctrl-C: workers are stopped and a sweep's manifest says it was interrupted."""


def interrupted_exit_code(exc: BaseException) -> int:
    """130 for Ctrl-C, 143 for SIGTERM: 128 + the signal number, as shells report it."""
    return 143 if isinstance(exc, Terminated) else 130
