"""The `reesim` command's entry point: the one place where a `ReesimError` becomes a message on
stderr and an exit code.

Exit codes, for every command: 0 success; 1 a gate failed; 2 invalid input or usage;
3 a simulation run failed; 130 interrupted.
"""

from __future__ import annotations

import typer

# Importing a command module registers its command on `app`.
from reesim.cli import (  # noqa: F401
    calibrate,
    compare,
    discover,
    plot,
    report,
    run,
    schema,
    solve,
    sweep,
    validate,
)
from reesim.cli.app import app, stderr_console
from reesim.errors import ReesimError, ScenarioError


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning reesim's errors into messages and exit codes."""
    try:
        rc = app(args=argv, standalone_mode=False)
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
        return exit_.exit_code
    except typer.Abort:
        stderr_console().print("aborted")
        return 130
    except KeyboardInterrupt:
        stderr_console().print("interrupted")
        return 130
    except typer.TyperException as err:  # usage errors, which typer formats itself
        show = getattr(err, "show", None)
        if show is not None:
            show()
        else:
            stderr_console().print(str(err), markup=False)
        return 2
    return rc if isinstance(rc, int) else 0
