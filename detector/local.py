"""The local scan: CloudTrail log files on disk, loaded into DuckDB, queried with the Athena SQL.

Files are found and pruned by the date in their path before anything is opened, then read
in batches; a batch that fails is read again file by file, so one corrupt file is reported
and skipped while the rest is still scanned.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from detector import queries
from detector.engines import DuckDBEngine
from detector.findings import Finding, Report, SkippedFile
from detector.schema import duckdb_record_type, duckdb_records_type, duckdb_select_list, format_log_date, parse_log_path
from detector.window import Window

TABLE = "cloudtrail"
LOG_SUFFIXES = (".json.gz", ".json")
MAX_OBJECT_BYTES = 1 << 30
"""Each log file is one JSON object: DuckDB's 16 MB default would reject large files."""

BATCH_FILES = 64
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
    """A DuckDB database holding the `cloudtrail` view over the loaded log files."""

    def __init__(self, connection: duckdb.DuckDBPyConnection | None = None) -> None:
        self.connection = connection or duckdb.connect()
        self.records_type = duckdb_records_type()
        self.connection.execute(
            "CREATE TEMP TABLE log_files (filename VARCHAR, account VARCHAR, region VARCHAR, log_date VARCHAR)"
        )
        self.connection.execute(f"CREATE TEMP TABLE raw_events (filename VARCHAR, r {duckdb_record_type()})")
        self.connection.execute(
            f"""CREATE TEMP VIEW {TABLE} AS
            SELECT {duckdb_select_list("e.r")},
              coalesce(f.account, e.r."recipientAccountId") AS account,
              coalesce(f.region, e.r."awsRegion") AS region,
              coalesce(f.log_date, replace(substr(e.r."eventTime", 1, 10), '-', '/')) AS log_date
            FROM raw_events AS e JOIN log_files AS f USING (filename)"""
        )
        self.files_scanned = 0
        self.events_scanned = 0
        self.skipped: list[SkippedFile] = []

    def load(self, files: Sequence[LogFile], on_progress: Callable[[int], None] = lambda n: None) -> None:
        if not files:
            return
        self.connection.executemany(
            "INSERT INTO log_files VALUES (?, ?, ?, ?)",
            [[f.path, f.account, f.region, format_log_date(f.log_date) if f.log_date else None] for f in files],
        )
        for start in range(0, len(files), BATCH_FILES):
            batch = files[start : start + BATCH_FILES]
            try:
                self._load_batch([f.path for f in batch])
            except duckdb.Error:
                for log_file in batch:
                    try:
                        self._load_batch([log_file.path])
                    except duckdb.Error as error:
                        self.skipped.append(SkippedFile(log_file.path, describe_error(error)))
            on_progress(len(batch))

    def _load_batch(self, paths: list[str]) -> None:
        """Reads the files once into a staging table; counts, checks and keeps their records."""
        connection = self.connection
        connection.execute("BEGIN")
        try:
            connection.execute(
                f"""CREATE TEMP TABLE staged AS
                SELECT filename, Records FROM read_json(?, columns = {{'Records': '{self.records_type}'}},
                  records = true, format = 'unstructured', filename = true,
                  maximum_object_size = {MAX_OBJECT_BYTES})""",
                [paths],
            )
            per_file = connection.execute("SELECT filename, Records IS NULL, len(Records) FROM staged").fetchall()
            connection.execute(
                "INSERT INTO raw_events SELECT filename, unnest(Records) FROM staged WHERE Records IS NOT NULL"
            )
            connection.execute("DROP TABLE staged")
            connection.execute("COMMIT")
        except duckdb.Error:
            connection.execute("ROLLBACK")
            raise
        seen = set()
        for filename, missing, count in per_file:
            seen.add(filename)
            if missing:
                self.skipped.append(SkippedFile(filename, NOT_CLOUDTRAIL))
            else:
                self.files_scanned += 1
                self.events_scanned += count
        self.skipped.extend(SkippedFile(path, EMPTY_FILE) for path in paths if path not in seen)

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
    catalog = LocalCatalog()
    catalog.load(files, on_progress)
    rows = catalog.run(queries.DETECTION, window) if catalog.files_scanned else []
    return Report(
        window=window,
        files_scanned=catalog.files_scanned,
        events_scanned=catalog.events_scanned,
        files_skipped=sorted(catalog.skipped, key=lambda skipped: skipped.path),
        findings=[Finding.from_row(row) for row in rows],
    )


def total_bytes(files: Iterable[LogFile]) -> int:
    return sum(f.size for f in files)
