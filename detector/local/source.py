"""What the local reader needs of a kind of log, so every source plugs into the same pool, cache and DuckDB view.

A source says how to recognise its files by their content, how to parse one file's bytes into Arrow columns (only the
columns its query reads, derived from the query), and which partition values a file's path gives. CloudTrail is
`detector.local.cloudtrail_reader`; a file no other source recognises is read as CloudTrail, which names what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa


class BadFile(Exception):
    """A log file that is reported and skipped; `str()` is the reason the report shows beside its path."""


def cannot_open(kind: str, error: OSError) -> str:
    """Why a file or folder could not be opened, without its path (the report names it beside the reason)."""
    reason = error.strerror or type(error).__name__
    return f"cannot open the {kind} ({reason}); check its permissions, or run the scan as a user who can read it"


@dataclass(frozen=True)
class ParsedFile:
    """One file's events as Arrow columns; `events` counts its records."""

    events: int
    batch: pa.RecordBatch


class Parser(Protocol):
    """Built once in each worker process from its source; turns one file's bytes into its events."""

    def parse(self, data: bytes, path: str) -> ParsedFile:
        """The file's events; raises BadFile with the reason to report."""
        ...


class LocalSource(Protocol):
    """Picklable: sent to each worker, which builds its parser from it once."""

    @property
    def name(self) -> str:
        """The source's name: its fragment is queries/sources/<name>.sql."""
        ...

    @property
    def table(self) -> str:
        """The view the source's queries read."""
        ...

    @property
    def fingerprint(self) -> str:
        """Changes whenever what the parser produces changes: part of the cache key."""
        ...

    @property
    def arrow_schema(self) -> pa.Schema: ...

    def recognises(self, head: bytes) -> bool:
        """Whether a file whose inflated bytes start with `head` is one of this source's."""
        ...

    def parser(self) -> Parser: ...

    def view_sql(self, relation: str) -> str:
        """`CREATE VIEW <table>` over `relation` (an Arrow table, read_parquet(...), or their union)."""
        ...
