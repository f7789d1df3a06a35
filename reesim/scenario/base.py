"""The base of every scenario model: frozen, unknown keys refused, names usable by alias."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def also_accepts(**shorthands: dict[str, Any]) -> Any:
    """A json_schema_extra that adds the shorthands a before-validator accepts (``rest``,
    ``unlimited``, ``calendar: none``) to the JSON Schema, so editors do not flag valid files."""

    def extra(schema: dict[str, Any]) -> None:
        for name, alternative in shorthands.items():
            prop = schema["properties"][name]
            keep = {k: prop.pop(k) for k in ("description", "default", "title") if k in prop}
            schema["properties"][name] = {"anyOf": [prop, alternative], **keep}

    return extra
