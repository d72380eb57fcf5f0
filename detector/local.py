"""The local scan: CloudTrail log files on disk, loaded into DuckDB, queried with the Athena SQL.

Files are found and pruned by the date in their path before anything is opened, then read
in batches; a batch that fails is read again file by file, so one corrupt file is reported
and skipped while the rest is still scanned. Only the fields the query names are read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from detector import queries
from detector.clients import sql_string
from detector.engines import DuckDBEngine
from detector.findings import Finding, Report, SkippedFile
from detector.schema import (
    COLUMNS,
    JSON_TEXT,
    Array,
    Field,
    Struct,
    duckdb_type,
    format_log_date,
    parse_log_path,
)
from detector.window import Window

TABLE = "cloudtrail"
LOG_SUFFIXES = (".json.gz", ".json")
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
DIGESTS = "CloudTrail-Digest"
"""The folder beside `CloudTrail/` that holds log file validation digests: JSON without Records, never scanned.

Source: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
"""


class UsageError(ValueError):
    """A problem with what the user asked for, not with the logs."""


@dataclass(frozen=True)
class LogFile:
    path: str
    account: str | None
    region: str | None
    log_date: date | None
    size: int


def find_log_files(paths: Sequence[str | os.PathLike[str]], window: Window) -> tuple[list[LogFile], int]:
    """The log files under `paths` whose path date can hold events of the window, and how many were pruned."""
    candidates: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.name.endswith(LOG_SUFFIXES) and DIGESTS not in p.parts
            )
            if not found:
                raise UsageError(
                    f"{path}: no CloudTrail log files (*.json.gz or *.json) in this folder; "
                    "point at a downloaded log tree, e.g. aws s3 sync s3://BUCKET/AWSLogs ./AWSLogs"
                )
            candidates.extend(found)
        elif path.is_file():
            candidates.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    files: list[LogFile] = []
    pruned = 0
    for path in dict.fromkeys(p.resolve() for p in candidates):
        location = parse_log_path(str(path))
        if location and not window.includes_log_date(location.log_date):
            pruned += 1
            continue
        files.append(
            LogFile(
                path=str(path),
                account=location.account if location else None,
                region=location.region if location else None,
                log_date=location.log_date if location else None,
                size=path.stat().st_size,
            )
        )
    return files, pruned


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
            SELECT {_select_list(fields, "e.r")},
              coalesce(f.account, e.r."recipientAccountId") AS account,
              coalesce(f.region, e.r."awsRegion") AS region,
              coalesce(f.log_date, replace(substr(e.r."eventTime", 1, 10), '-', '/')) AS log_date
            FROM raw_events AS e JOIN log_files AS f USING (filename)"""
        )
        self.files_scanned = 0
        self.events_scanned = 0
        self.skipped: list[SkippedFile] = []
        self._batches = 0
        self._streamed: dict[str, dict[str, int]] = {format_: {} for format_ in JSON_FORMATS}
        """Per JSON format, the files that queries read again, with their JSON size."""

    def load(self, files: Sequence[LogFile], on_progress: Callable[[int], None] = lambda n: None) -> None:
        if not files:
            return
        self.connection.execute(
            "INSERT INTO log_files SELECT unnest(?), unnest(?), unnest(?), unnest(?)",
            [
                [f.path for f in files],
                [f.account for f in files],
                [f.region for f in files],
                [format_log_date(f.log_date) if f.log_date else None for f in files],
            ],
        )
        sizes = {f.path: json_size(f.path) for f in files}
        keep = sum(sizes.values()) <= self.keep_json_bytes
        paths = list(sizes)
        for start in range(0, len(paths), BATCH_FILES):
            batch = {path: sizes[path] for path in paths[start : start + BATCH_FILES]}
            try:
                self._load_batch(batch, keep)
            except duckdb.Error:
                for path, size in batch.items():
                    try:
                        self._load_batch({path: size}, keep)
                    except duckdb.Error as error:
                        self.skipped.append(SkippedFile(path, describe_error(error)))
            on_progress(len(batch))
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
            return

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
        paths = ", ".join(sql_string(path) for path in files)
        limit = max(MIN_OBJECT_BYTES, 1 << (max(files.values()) + 1).bit_length())
        return f"""read_json([{paths}], columns = {{'Records': '{self.records_type}'}}, records = true,
            format = '{format_}', filename = true, maximum_object_size = {limit})"""

    def run(self, name: str, window: Window) -> list[dict[str, object]]:
        return DuckDBEngine(self.connection).run(queries.render(name, TABLE), window.parameters())


_DUCKDB_NOISE = re.compile(r"^(?:IO|Invalid Input|Conversion|Binder) Error: ")
_JSON_TRANSFORM = re.compile(r'^JSON transform error in file ".*", in record/value \d+: ')


def describe_error(error: duckdb.Error) -> str:
    """DuckDB's message, first line, with the likely cause named."""
    message = _DUCKDB_NOISE.sub("", str(error).strip().splitlines()[0])
    lowered = message.lower()
    if "gzip" in lowered or "compress" in lowered or "zlib" in lowered or "inflate" in lowered:
        return f"corrupt or truncated gzip file ({message}); download it again"
    if "malformed json" in lowered or ("json" in lowered and "pars" in lowered):
        return f"not valid JSON ({message})"
    if "transform error" in lowered or "convert" in lowered or "cast" in lowered:
        detail = _JSON_TRANSFORM.sub("", message)
        return f'not a CloudTrail log file: expected {{"Records": [{{...}}, ...]}} ({detail})'
    return message


def scan(
    paths: Sequence[str | os.PathLike[str]],
    window: Window,
    on_files: Callable[[int], None] = lambda total: None,
    on_progress: Callable[[int], None] = lambda n: None,
) -> Report:
    """Finds, loads and checks the log files under `paths`; the detection query gives the findings."""
    files, _pruned = find_log_files(paths, window)
    on_files(len(files))
    catalog = LocalCatalog(fields=fields_read_by(queries.render(queries.DETECTION, TABLE)))
    catalog.load(files, on_progress)
    rows = catalog.run(queries.DETECTION, window) if catalog.files_scanned else []
    return Report(
        window=window,
        files_scanned=catalog.files_scanned,
        events_scanned=catalog.events_scanned,
        files_skipped=sorted(catalog.skipped, key=lambda skipped: skipped.path),
        findings=[Finding.from_row(row) for row in rows],
    )


def json_size(path: str) -> int:
    """The bytes of JSON in a log file: a gzip file ends with them, modulo 4 GiB (RFC 1952, ISIZE)."""
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size < GZIP_MIN_BYTES or file.read(2) != GZIP_MAGIC:
            return size
        file.seek(-4, os.SEEK_END)
        return int.from_bytes(file.read(4), "little")


def fields_read_by(sql: str) -> tuple[Field, ...]:
    """The record fields a query over the `cloudtrail` view names, structs narrowed to the sub-fields it names.

    DuckDB converts every declared field of every record, whether a query reads it or not, so declaring
    only these roughly halves the work. Conservative: a bare struct, a `*` over the table, or a name
    that is not a sub-field keeps the whole field. The view's partition columns need three fields.
    """
    tree = sqlglot.parse_one(sql, read="athena")
    for select in tree.find_all(exp.Select):
        star = any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and e.is_star) for e in select.expressions)
        if star and any(table.name.lower() == TABLE for table in select.find_all(exp.Table)):
            return COLUMNS
    paths: list[tuple[str, ...]] = [("recipientaccountid",), ("awsregion",), ("eventtime",)]
    for column in tree.find_all(exp.Column):
        path = [part.name.lower() for part in column.parts]
        node: exp.Expression = column
        while isinstance(node.parent, exp.Dot) and node.parent.this is node:
            node = node.parent
            path.append(node.expression.name.lower())
        paths.append(tuple(path))
    return _narrow(COLUMNS, paths)


def _narrow(fields: Sequence[Field], paths: Sequence[tuple[str, ...]]) -> tuple[Field, ...]:
    """The fields that start one of the name paths (after any table alias), narrowed to the rest of the paths."""
    kept = []
    for field in fields:
        name = field.name.lower()
        rests = [path[path.index(name) + 1 :] for path in paths if name in path]
        if not rests:
            continue
        if isinstance(field.type, Struct) and all(rests):
            narrowed = _narrow(field.type.fields, rests)
            if {f.name.lower() for f in narrowed} >= {rest[0] for rest in rests}:
                field = Field(field.name, Struct(narrowed))
        kept.append(field)
    return tuple(kept)


def _select_list(fields: Sequence[Field], record: str) -> str:
    """Every column of the table from a record of `fields`: JSON objects as text, structs cast back to their
    full type (missing sub-fields NULL), fields not read NULL."""
    read = {field.name: field for field in fields}
    parts = []
    for field in COLUMNS:
        full_type = "VARCHAR" if field.type == JSON_TEXT else duckdb_type(field.type)
        if field.name not in read:
            expr = f"NULL::{full_type}"
        elif read[field.name] != field or field.type == JSON_TEXT:
            expr = f'CAST({record}."{field.name}" AS {full_type})'
        else:
            expr = f'{record}."{field.name}"'
        parts.append(f"{expr} AS {field.name.lower()}")
    return ", ".join(parts)


def total_bytes(files: Iterable[LogFile]) -> int:
    return sum(f.size for f in files)
