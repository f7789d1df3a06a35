"""Help text that follows the usual command-line conventions, for every command at once.

Typer labels values by their Python type (``<int range>``, ``<list[str]>``, ``<bool>`` beside a
flag, ``{scenario}`` for an argument). `ConventionalGroup` relabels them when the app is built:
arguments by their name in capitals (``SCENARIO``), options by what the value is
(`METAVARS`, then by type: ``N`` for a whole number, ``PATH`` for a file), and flags with
nothing. A command module declares a metavar of its own only where these do not fit.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup

METAVARS: dict[str, str] = {
    "--set": "PATH=VALUE",
    "--vary": "PATH=LEVELS",
    "--series": "GLOB",
    "--kpi": "GLOB",
    "--sort-by": "KPI",
    "--seed": "SEED",
    "--replay": "R",
    "--fail-if": "EXPR",
    "--gates": "FILE",
    "--param": "PATH",
    "--range": "LOW:HIGH",
    "--target": "EXPR",
    "--data": "FILE",
    "--scheduler": "ADDRESS",
    "--tls-ca": "FILE",
    "--tls-cert": "FILE",
    "--tls-key": "FILE",
    "--report": "FILE",
}
"""Option -> what its value is, where its type alone would not say."""

_BY_TYPE = {"integer": "N", "integer range": "N", "float": "X", "float range": "X", "path": "PATH"}


def _no_type(ctx: Any) -> None:
    return None


def tidy_param(param: Any) -> None:
    """Relabel one click parameter (typer's or click's) by the conventions above."""
    if param.param_type_name == "argument":
        name = param.metavar or param.name.upper()
        param.metavar = name
        suffix = "..." if param.nargs != 1 else ""
        # Typer wraps a required argument in braces and adds its type; the name says enough.
        param._usage_display_name = lambda: name + suffix
        param.display_type_rich = _no_type
        return
    if param.param_type_name != "option":
        return
    if param.is_flag:
        param.metavar = ""
        param.display_type_rich = _no_type
        return
    if param.metavar is not None:
        return
    longest = max(param.opts, key=len)
    param.metavar = METAVARS.get(longest) or _by_type(param) or longest.lstrip("-").upper()


def _by_type(param: Any) -> str | None:
    """``N``, ``X``, ``PATH`` or the choices, from typer's type descriptor or click's type."""
    desc = getattr(param, "type_descriptor", None)
    if desc is not None:
        if desc.choices:
            return "|".join(str(getattr(c, "value", c)) for c in desc.choices)
        if desc.is_path:
            return "PATH"
        return {int: "N", float: "X"}.get(desc.annotation)
    kind: Any = getattr(param, "type", None)
    choices = getattr(kind, "choices", None)
    if choices:
        return "|".join(str(c) for c in choices)
    return _BY_TYPE.get(getattr(kind, "name", ""))


def tidy_command(command: Any) -> None:
    for param in command.params:
        tidy_param(param)
    make_help = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = make_help(ctx)
        if option is not None:
            tidy_param(option)
        return option

    command.get_help_option = get_help_option


class ConventionalGroup(TyperGroup):
    """The app's command group, with every command's help relabelled (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tidy_command(self)
        for command in self.commands.values():
            tidy_command(command)

    def get_params(self, ctx: Any) -> Any:
        # Typer adds --install-completion and --show-completion after the group is made.
        params = super().get_params(ctx)
        for param in params:
            tidy_param(param)
        return params
