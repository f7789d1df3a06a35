"""The `reesim` command's entry point: the one place where a `ReesimError` becomes a message on
stderr and an exit code.

Exit codes, for every command: 0 success; 1 a gate failed; 2 invalid input or usage;
3 a simulation run failed; 4 an internal error (a bug: REESIM_TRACEBACK=1 shows where);
130 interrupted (Ctrl-C, SIGINT); 141 stdout closed early (a pipe such as ``| head``);
143 terminated (SIGTERM).

This module imports nothing heavy at load time: the console script imports it before `main`
runs, so an interrupt during the imports below lands inside `main`'s handler (no traceback),
and a worker process that re-imports the script (spawned workers do) pays almost nothing.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any

from reesim.errors import Terminated

EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
EXIT_TERMINATED = 143


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Further SIGTERMs during cleanup are ignored: the cleanup itself is bounded.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    """The first Ctrl-C interrupts; later ones are ignored, so they cannot break the (bounded)
    cleanup that records what was saved. A pool shutting down takes them as "hurry"."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


class StdoutClosed(BaseException):
    """stdout's reader went away. A BaseException, so that neither click (which would exit 1,
    the code of a failed gate) nor rich (likewise) turns it into an exit of its own."""


class _GuardedStdout:
    """sys.stdout, with a closed pipe raised as `StdoutClosed`."""

    def __init__(self, stream: Any):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except BrokenPipeError:
            raise StdoutClosed() from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise StdoutClosed() from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning reesim's errors into messages and exit codes."""
    stdout = sys.stdout
    previous = signal.getsignal(signal.SIGTERM)
    previous_int = signal.getsignal(signal.SIGINT)
    try:  # from the first moment: an interrupt anywhere below is handled, never a traceback
        signal.signal(signal.SIGTERM, _on_sigterm)
        signal.signal(signal.SIGINT, _on_sigint)
        sys.stdout = _GuardedStdout(stdout)
        return _main(argv)
    except KeyboardInterrupt:  # during the imports, before the app could handle it
        _say("interrupted")
        return EXIT_INTERRUPTED
    except Terminated:
        _say("terminated")
        return EXIT_TERMINATED
    except (StdoutClosed, BrokenPipeError):
        return _broken_pipe(stdout)
    except Exception as err:  # noqa: BLE001 - raised while the commands were being imported
        return _unexpected(err)
    finally:
        sys.stdout = stdout
        if signal.getsignal(signal.SIGINT) is _on_sigint:
            # Not interrupted: give the caller its handlers back. Interrupted, the process is
            # about to exit with its message said; a late Ctrl-C must not turn that into a
            # death by signal.
            signal.signal(signal.SIGINT, previous_int)
            signal.signal(signal.SIGTERM, previous)
        if argv is None:
            # Run as the program (the console script passes no argv): the process ends now.
            # Its objects go to the collector's permanent generation, so the interpreter's
            # last collection does not walk the whole heap (~0.1 s of CPU once the output is
            # written); the operating system frees the memory. In-process callers pass argv.
            gc.freeze()


COMMANDS = (
    "calibrate",
    "compare",
    "discover",
    "init",
    "plot",
    "report",
    "run",
    "schema",
    "solve",
    "sweep",
    "validate",
)
"""The command modules of `reesim.cli`, one per command, named as the command."""


def register_commands(argv: Sequence[str] = ()) -> None:
    """Import the command modules: importing one registers its command on `app`; each
    imports only typer and rich at load time, and what its command needs when it runs.

    When `argv` starts with a command's name, only that command is registered: it is the only
    one the invocation can reach, and typer reads the signature of every registered command
    each time the app starts (~0.06 s for all of them, before any work). Anything else (help,
    completion, a mistyped name that gets suggestions) registers them all."""
    if argv and argv[0] in COMMANDS:
        importlib.import_module(f"reesim.cli.{argv[0]}")
        return
    from reesim.cli import (  # noqa: F401
        calibrate,
        compare,
        discover,
        init,
        plot,
        report,
        run,
        schema,
        solve,
        sweep,
        validate,
    )


def _main(argv: list[str] | None) -> int:
    import typer

    register_commands(sys.argv[1:] if argv is None else argv)
    from reesim.cli.app import app, stderr_console
    from reesim.errors import Interrupted, ReesimError, ScenarioError
    from reesim.files import FileProblem

    try:
        rc = app(args=argv, standalone_mode=False, prog_name="reesim")
    except Interrupted as err:
        stderr_console().print(str(err), markup=False)
        return err.exit_code
    except ReesimError as err:
        console = stderr_console()
        lines = [str(p) for p in err.problems] if isinstance(err, ScenarioError) else [str(err)]
        for line in lines:
            console.print(line, markup=False)
        if isinstance(err, ScenarioError):
            console.print(
                f"{len(lines)} problem{'s' if len(lines) != 1 else ''} found", style="red"
            )
        return err.exit_code
    except typer.Exit as exit_:
        if exit_.exit_code == EXIT_INTERRUPTED:  # typer's own form of a KeyboardInterrupt
            stderr_console().print("interrupted")
        return exit_.exit_code
    except typer.Abort:
        stderr_console().print("interrupted")
        return EXIT_INTERRUPTED
    except typer.TyperException as err:  # usage errors, which typer formats itself
        show = getattr(err, "show", None)
        if show is not None:
            show()
        else:
            stderr_console().print(str(err), markup=False)
        return 2
    except FileProblem as err:  # a file no command-specific check caught: still a clear error
        where = f"{err.path}: " if err.path else ""
        stderr_console().print(f"{where}{err}")
        return 2
    except Exception as err:  # noqa: BLE001 - the one place an unexpected error becomes a code
        return _unexpected(err)
    # Flush here, inside the handler: a reader that went away (`| head -1`) surfaces now as a
    # BrokenPipeError rather than at interpreter exit.
    sys.stdout.flush()
    if rc == EXIT_INTERRUPTED:  # typer returns a KeyboardInterrupt as this code
        stderr_console().print("interrupted")
    return rc if isinstance(rc, int) else 0


def _unexpected(err: Exception) -> int:
    """An exception nothing else handled: an interrupt that Python wrapped in another error (a
    Ctrl-C landing in a class body during an import becomes a RuntimeError), or a bug."""
    cause: BaseException | None = err
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, KeyboardInterrupt | Terminated):
            _say("terminated" if isinstance(cause, Terminated) else "interrupted")
            return EXIT_TERMINATED if isinstance(cause, Terminated) else EXIT_INTERRUPTED
        cause = cause.__cause__ or cause.__context__
    return _internal_error(err)


def _internal_error(err: BaseException) -> int:
    """Report a bug in one line (the traceback when REESIM_TRACEBACK=1); exit INTERNAL_ERROR,
    which CI can tell from a failed gate (1) or a bad input (2). Plain stderr: the error may
    have come from importing the modules that print."""
    import traceback

    from reesim.errors import INTERNAL_ERROR, TRACEBACK_VARIABLE

    shown = os.environ.get(TRACEBACK_VARIABLE) == "1"
    if shown:
        _say("".join(traceback.format_exception(err)).rstrip("\n"))
    what = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    hint = "" if shown else f"; {TRACEBACK_VARIABLE}=1 shows where"
    _say(
        f"reesim: internal error ({what}). This is a bug in reesim, not a problem with the input{hint}."
    )
    return INTERNAL_ERROR


def _say(text: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        print(text, file=sys.stderr)


def _broken_pipe(stdout: Any) -> int:
    """stdout's reader is gone: exit quietly, as Unix tools do. Point stdout at /dev/null so
    the interpreter's final flush does not complain on stderr."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
        os.close(devnull)
    return EXIT_BROKEN_PIPE
