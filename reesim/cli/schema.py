"""`reesim schema`: the JSON Schema of the scenario format."""

from __future__ import annotations

import json
import sys

from reesim.cli.app import app


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors and linters)."""
    from reesim.scenario.schema import Scenario

    document = Scenario.model_json_schema(by_alias=True)
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "reesim scenario"
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
