"""What the local reader needs of a kind of log, so every source plugs into the same pool, cache and DuckDB view.

A source says how to recognise its files by their content, how to parse one file's bytes into Arrow columns (only the
columns its query reads, derived from the query), and which partition values a file's path gives. CloudTrail is
`detector.local.cloudtrail_reader`, S3 server access logs `detector.local.access_log_reader`. When several sources
are read, each file goes to the one that recognises it; a file none recognises is reported as neither.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa

STRING = pa.dictionary(pa.int32(), pa.string())
"""Every string column: a file's values repeat (agents, ARNs, regions, event seconds), so a dictionary is smaller to
ship between processes and cheaper to build from Python strings than plain strings (measured)."""

HEAD_BYTES = 4096
"""What a source sees of a file to recognise it."""
_BLANK = re.compile(rb"[ \t\r\n]*")
EMPTY_FILE = "empty file: no log records in it"


class BadFile(Exception):
    """A log file that is reported and skipped; `str()` is the reason the report shows beside its path."""


def cannot_open(kind: str, error: OSError) -> str:
    """Why a file or folder could not be opened, without its path (the report names it beside the reason)."""
    reason = error.strerror or type(error).__name__
    return f"cannot open the {kind} ({reason}); check its permissions, or run the scan as a user who can read it"


@dataclass(frozen=True)
class ParsedFile:
    """One file's events as Arrow columns; `events` counts its records.

    `lines_skipped` counts the lines that are not records (a line-based log reads the rest of the file), the first
    few of them in `examples` as `line N: text`, their control characters escaped."""

    events: int
    batch: pa.RecordBatch
    lines_skipped: int = 0
    examples: tuple[str, ...] = ()


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
    def kind(self) -> str:
        """What its files are, for a message: `a CloudTrail log file ({"Records": [...]})`."""
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


def source_of(sources: Sequence[LocalSource], data: bytes) -> LocalSource:
    """The source whose parser reads the file: the only one, or the first that recognises its content.

    Raises BadFile for a file that is empty, or that no source recognises, naming what it should have been."""
    if len(sources) == 1:
        return sources[0]
    head = data[:HEAD_BYTES]
    chosen = next((source for source in sources if source.recognises(head)), None)
    if chosen is not None:
        return chosen
    if _BLANK.fullmatch(data):
        raise BadFile(EMPTY_FILE)
    kinds = " nor ".join(source.kind for source in sources)
    raise BadFile(f"not a log file: neither {kinds}; if it is one, scan it with --source to read it as that log")


def constant_column(value: str | None, length: int) -> pa.Array:
    """`value` repeated: a one-entry dictionary and zero indices, no Python object per row."""
    if value is None:
        return pa.nulls(length, STRING)
    indices = pa.Array.from_buffers(pa.int32(), length, [None, pa.py_buffer(bytes(4 * length))])
    return pa.DictionaryArray.from_arrays(indices, pa.array([value], pa.string()))
