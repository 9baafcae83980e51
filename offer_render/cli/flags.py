"""Take an InvalidInputError from the library and the command that ran; name its fields as flags.

The library names what a caller passed as the caller's Python names (``jobs``,
``locales[1]``, ``format``); the command line prints them as the flags the user
typed (``--jobs``, ``--locales``, ``--format``). The mapping is read from the
command's own options, so it is per command and needs no upkeep: a field ``x_y``
(optionally indexed, ``x_y[2]``) becomes ``--x-y`` when the command that ran has
that option; every other path (``rectangles[0].font_size``, a file name) is left
as it is. The index is dropped: a flag's value is one comma-separated text, and
the message quotes the entry that is wrong.
"""

from __future__ import annotations

import re
from typing import Any

import click

from offer_render.errors import InvalidInputError

_FIELD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[\d+\])?")


def command_flags(command: click.Command) -> dict[str, str]:
    """Return the long flags of ``command`` by field name: ``{"jobs": "--jobs", ...}``."""
    flags: dict[str, str] = {}
    for param in command.params:
        if isinstance(param, click.Option):
            for opt in param.opts:
                if opt.startswith("--"):
                    flags.setdefault(opt[2:].replace("-", "_"), opt)
    return flags


def with_flags(error: InvalidInputError, command: click.Command) -> InvalidInputError:
    """Return ``error`` with every field ``command`` has a flag for named as that flag."""
    flags = command_flags(command)

    def rename(path: str) -> str:
        match = _FIELD.fullmatch(path)
        return flags.get(match.group(1), path) if match else path

    return error.renamed(rename)


class FlagGroup(click.Group):
    """A command group whose subcommands' InvalidInputErrors name the flags, not the fields.

    Applied where the error leaves the subcommand, because only there is it known
    which command ran; ``main()`` then prints it as one line.
    """

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; rename the fields of an InvalidInputError it raises."""
        try:
            return super().invoke(ctx)
        except InvalidInputError as exc:
            name = ctx.invoked_subcommand
            command = self.get_command(ctx, name) if name else None
            if command is None:
                raise
            raise with_flags(exc, command) from None
