"""Loading log files into DuckDB: each file checked and counted once, bad files reported and skipped.

Files are read in batches; a batch that fails is read again file by file, so one corrupt file is reported and
skipped while the rest is still scanned. Only the fields the query names are read (see `projection`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from detector.core import queries
from detector.core.findings import SkippedFile
from detector.core.sql import quote_literal
from detector.core.window import Window, format_log_date
from detector.local.discovery import LogFile
from detector.local.duckdb_engine import DuckDBEngine
from detector.local.projection import TABLE, select_list
from detector.sources import cloudtrail
from detector.sources.cloudtrail import COLUMNS
from detector.sources.columns import Array, Field, Struct, duckdb_type

MIN_OBJECT_BYTES = 64 << 20
"""Each log file is one JSON object, so DuckDB's `maximum_object_size` must exceed the largest file's JSON.
A read asks for the next power of two above it, at least this: a 1 GB limit doubled the reading time (bench)."""

JSON_FORMATS = ("newline_delimited", "unstructured")
"""CloudTrail writes each file as one line of JSON, and DuckDB reads newline-delimited JSON about twice as fast
as unstructured (bench); a file spread over several lines, or objects run together, still reads as unstructured."""

KEEP_JSON_BYTES = 512 << 20
"""Up to this much JSON, `load` keeps the records in memory (about half the JSON's size) and queries read them there,
once; past it, queries read the files again, which costs a second read but no memory (bench)."""

KEPT_RECORDS = "SELECT filename, r FROM kept_records WHERE r IS NOT NULL"

BATCH_FILES = 256
"""Files checked in one read: few enough to show progress, enough that a read costs no more than one of all files."""
GZIP_MAGIC = b"\x1f\x8b"
GZIP_MIN_BYTES = 18
"""A 10-byte header and an 8-byte trailer: the smallest gzip file."""
NOT_CLOUDTRAIL = "not a CloudTrail log file: no top-level Records array"
EMPTY_FILE = "empty file: no JSON object"


class LocalCatalog:
    """A DuckDB database holding the `cloudtrail` view over the loaded log files.

    `load` reads every file once, to check it and count its records. Up to `keep_json_bytes` of JSON,
    it keeps the records in memory for the queries; past that, queries read the files again, so memory
    stays flat however many events there are. `fields` narrows what is read to what a query needs
    (see `fields_read_by`); the view keeps every column, the others NULL.
    """

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection | None = None,
        *,
        fields: Sequence[Field] = COLUMNS,
        keep_json_bytes: int = KEEP_JSON_BYTES,
    ) -> None:
        self.connection = connection or duckdb.connect()
        self.connection.execute("SET enable_progress_bar = false")  # drawn on stdout, into a report written there
        self.records_type = duckdb_type(Array(Struct(tuple(fields))))
        self.keep_json_bytes = keep_json_bytes
        self._create_view(fields)
        self.files_scanned = 0
        self.events_scanned = 0
        self.skipped: list[SkippedFile] = []
        self._batches = 0
        self._streamed: dict[str, dict[str, int]] = {format_: {} for format_ in JSON_FORMATS}
        """Per JSON format, the files that queries read again, with their JSON size."""

    def _create_view(self, fields: Sequence[Field]) -> None:
        self.connection.execute(
            "CREATE TEMP TABLE log_files (filename VARCHAR, account VARCHAR, region VARCHAR, log_date VARCHAR)"
        )
        self.connection.execute(
            f"""CREATE TEMP TABLE kept_records
            (batch INTEGER, filename VARCHAR, missing BOOLEAN, r {duckdb_type(Struct(tuple(fields)))})"""
        )
        self.connection.execute(f"CREATE TEMP VIEW raw_events AS {KEPT_RECORDS}")
        self.connection.execute(
            f"""CREATE TEMP VIEW {TABLE} AS
            SELECT {select_list(fields, "e.r")},
              coalesce(f.account, e.r."recipientAccountId") AS account,
              coalesce(f.region, e.r."awsRegion") AS region,
              coalesce(f.log_date, replace(substr(e.r."eventTime", 1, 10), '-', '/')) AS log_date
            FROM raw_events AS e JOIN log_files AS f USING (filename)"""
        )

    def load(self, files: Sequence[LogFile], on_progress: Callable[[int], None] = lambda n: None) -> None:
        if not files:
            return
        self._register(files)
        sizes = {f.path: json_size(f.path) for f in files}
        keep = sum(sizes.values()) <= self.keep_json_bytes
        paths = list(sizes)
        for start in range(0, len(paths), BATCH_FILES):
            batch = {path: sizes[path] for path in paths[start : start + BATCH_FILES]}
            self._load_or_split(batch, keep)
            on_progress(len(batch))
        self._stream_the_rest()

    def _register(self, files: Sequence[LogFile]) -> None:
        """Each file's partition values from its path, for the view."""
        self.connection.execute(
            "INSERT INTO log_files SELECT unnest(?), unnest(?), unnest(?), unnest(?)",
            [
                [f.path for f in files],
                [f.account for f in files],
                [f.region for f in files],
                [format_log_date(f.log_date) if f.log_date else None for f in files],
            ],
        )

    def _load_or_split(self, batch: dict[str, int], keep: bool) -> None:
        """The batch at once, or file by file when it fails, so each bad file is named."""
        try:
            self._load_batch(batch, keep)
        except duckdb.Error:
            for path, size in batch.items():
                try:
                    self._load_batch({path: size}, keep)
                except duckdb.Error as error:
                    self.skipped.append(SkippedFile(path, describe_error(error)))

    def _stream_the_rest(self) -> None:
        """Queries read the files not kept in memory straight from disk."""
        streams = [
            f"SELECT filename, unnest(Records) AS r FROM {self._read_json(format_, files)} WHERE Records IS NOT NULL"
            for format_, files in self._streamed.items()
            if files
        ]
        if streams:
            self.connection.execute(
                f"CREATE OR REPLACE TEMP VIEW raw_events AS {' UNION ALL '.join([KEPT_RECORDS, *streams])}"
            )

    def _load_batch(self, files: dict[str, int], keep: bool) -> None:
        """Checks and counts the files' records, trying each JSON format in turn; raises the last format's error."""
        for format_ in JSON_FORMATS:
            try:
                per_file = self._read_batch(format_, files, keep)
            except duckdb.Error:
                if format_ == JSON_FORMATS[-1]:
                    raise
                continue
            self._count(per_file, format_, files, keep)
            return

    def _count(self, per_file: list[tuple[str, bool, int]], format_: str, files: dict[str, int], keep: bool) -> None:
        for filename, missing, count in per_file:
            if missing:
                self.skipped.append(SkippedFile(filename, NOT_CLOUDTRAIL))
                continue
            self.files_scanned += 1
            self.events_scanned += count
            if not keep:
                self._streamed[format_][filename] = files[filename]
        seen = {filename for filename, _missing, _count in per_file}
        self.skipped.extend(SkippedFile(path, EMPTY_FILE) for path in files if path not in seen)

    def _read_batch(self, format_: str, files: dict[str, int], keep: bool) -> list[tuple[str, bool, int]]:
        """(file, no object has Records, records) of each file; with `keep`, the records are kept too."""
        source = self._read_json(format_, files)
        if not keep:
            return self.connection.execute(
                f"SELECT filename, bool_and(Records IS NULL), sum(len(Records)) FROM {source} GROUP BY filename"
            ).fetchall()
        self._batches += 1
        self.connection.execute(
            f"""INSERT INTO kept_records SELECT {self._batches}, filename, Records IS NULL,
              unnest(if(len(Records) > 0, Records, [NULL])) FROM {source}"""
        )
        return self.connection.execute(
            "SELECT filename, bool_and(missing), count(r) FROM kept_records WHERE batch = ? GROUP BY filename",
            [self._batches],
        ).fetchall()

    def _read_json(self, format_: str, files: dict[str, int]) -> str:
        paths = ", ".join(quote_literal(path) for path in files)
        limit = max(MIN_OBJECT_BYTES, 1 << (max(files.values()) + 1).bit_length())
        return f"""read_json([{paths}], columns = {{'Records': '{self.records_type}'}}, records = true,
            format = '{format_}', filename = true, maximum_object_size = {limit})"""

    def run(self, name: str, window: Window) -> list[dict[str, object]]:
        return DuckDBEngine(self.connection).run(
            queries.render(name, TABLE, source=cloudtrail.NAME), window.parameters()
        )


_DUCKDB_NOISE = re.compile(r"^(?:IO|Invalid Input|Conversion|Binder) Error: ")
_JSON_TRANSFORM = re.compile(r'^JSON transform error in file ".*", in record/value \d+: ')
_GZIP_WORDS = ("gzip", "compress", "zlib", "inflate")


def describe_error(error: duckdb.Error) -> str:
    """DuckDB's message, first line, with the likely cause named."""
    message = _DUCKDB_NOISE.sub("", str(error).strip().splitlines()[0])
    lowered = message.lower()
    if any(word in lowered for word in _GZIP_WORDS):
        return f"corrupt or truncated gzip file ({message}); download it again"
    if "malformed json" in lowered or ("json" in lowered and "pars" in lowered):
        return f"not valid JSON ({message})"
    if "transform error" in lowered or "convert" in lowered or "cast" in lowered:
        detail = _JSON_TRANSFORM.sub("", message)
        return f'not a CloudTrail log file: expected {{"Records": [{{...}}, ...]}} ({detail})'
    return message


def json_size(path: str) -> int:
    """The bytes of JSON in a log file: a gzip file ends with them, modulo 4 GiB (RFC 1952, ISIZE)."""
    with Path(path).open("rb") as file:
        size = Path(path).stat().st_size
        if size < GZIP_MIN_BYTES or file.read(2) != GZIP_MAGIC:
            return size
        file.seek(-4, os.SEEK_END)
        return int.from_bytes(file.read(4), "little")
