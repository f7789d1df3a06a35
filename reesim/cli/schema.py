"""`reesim schema`: the JSON Schema of scenario files as written, for editors."""

from __future__ import annotations

import json
import sys

from reesim.cli.app import app


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors: see the README's editor set-up)."""
    from reesim.scenario.editor_schema import editor_schema

    sys.stdout.write(json.dumps(editor_schema(), indent=2) + "\n")
