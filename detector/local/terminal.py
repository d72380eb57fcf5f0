"""How the CLI writes: colour only on a terminal and never under NO_COLOR, and, where no terminal can be measured (a
file, a pipe), a table that cuts no ARN, agent or hint and ends no line in spaces."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import IO

from rich.console import Console
from rich.table import Table

UNWRAPPED_WIDTH = 1_000_000
"""Wide enough for any row at its full width: a file or a pipe has no width to wrap at."""


def no_color() -> bool:
    """NO_COLOR set to anything but the empty string turns colour off (https://no-color.org)."""
    return bool(os.environ.get("NO_COLOR"))


def console(*, stderr: bool = False, file: IO[str] | None = None, width: int | None = None) -> Console:
    """A console that styles only a terminal, and nothing at all under NO_COLOR (not even bold)."""
    return Console(stderr=stderr, file=file, width=width, color_system=None if no_color() else "auto")


def unwrap(table: Table) -> None:
    """Every cell on one line at its full width, so each value can be read, searched and copied whole."""
    for column in table.columns:
        column.no_wrap = True
        column.max_width = None
        column.min_width = None


def plain_text(draw: Callable[[Console], None]) -> str:
    """What `draw` prints on an unmeasured console, each line without the padding after its last cell."""
    buffer = io.StringIO()
    draw(Console(file=buffer, width=UNWRAPPED_WIDTH, color_system=None, soft_wrap=False))
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())
