"""Loading log files into DuckDB: each file read once, bad files reported and skipped, the same SQL over the rest.

The files are parsed on one worker process per core (`pool`) into Arrow columns holding only what the query reads
(`projection`, `access_log_reader.columns_read_by`); the main process gathers the batches into one Arrow table per
source, adds the cached Parquet entries (`cache`), and DuckDB runs the unchanged detection SQL over each source's view,
which has every column of its table. Lines that are not records are gathered per file, never dropped unseen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from detector.core import queries
from detector.core.findings import SkippedFile, SkippedLines
from detector.core.partitions import PartitionFilter
from detector.core.sql import quote_literal
from detector.core.window import Window
from detector.local import cache
from detector.local.access_log_reader import AccessLogSource
from detector.local.cloudtrail_reader import CloudTrailSource
from detector.local.discovery import LogFile
from detector.local.duckdb_engine import DuckDBEngine
from detector.local.pool import MAX_CHUNK, Outcome, Task, batches_of, default_workers, parse_all
from detector.local.projection import Projection
from detector.local.source import LocalSource
from detector.sources import access_logs, cloudtrail

PARALLEL_FROM_FILES = 2
"""Fewer files are read in this process: starting workers costs more than one file."""


@dataclass
class SourceData:
    """What was loaded for one source: Arrow batches of files just read, and cached Parquet entries."""

    source: LocalSource
    batches: list[pa.RecordBatch] = field(default_factory=list)
    parquet: list[Path] = field(default_factory=list)


class LocalCatalog:
    """A DuckDB database holding each source's view (`cloudtrail`, `access_logs`) over the loaded log files.

    `load` reads every file once, each by the source that recognises it; `sources` narrow what is read to what the
    queries need (the default reads every field of both). `cache_dir` keeps each file's events as Parquet for the next
    scan.
    """

    def __init__(
        self,
        sources: Sequence[LocalSource] | None = None,
        *,
        workers: int | None = None,
        cache_dir: Path | None = None,
        partitions: PartitionFilter | None = None,
    ) -> None:
        everything: list[LocalSource] = [CloudTrailSource(Projection.everything()), AccessLogSource()]
        self.sources = list(sources or everything)
        self.workers = default_workers() if workers is None else workers
        self.cache_dir = cache_dir
        self.partitions = partitions
        """The accounts and regions of a tree of several accounts' trails (`trail_accounts`)."""
        self.files_scanned = 0
        self.events_scanned = 0
        self.bytes_read = 0
        self.skipped: list[SkippedFile] = []
        self.lines_skipped: list[SkippedLines] = []
        self.data = {source.name: SourceData(source) for source in self.sources}
        self._connection: duckdb.DuckDBPyConnection | None = None

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """Made on first use, after the worker processes have been forked from this one."""
        if self._connection is None:
            self._connection = duckdb.connect()
            self._connection.execute("SET enable_progress_bar = false")  # drawn on stdout, into a report there
            self._refresh_views()
        return self._connection

    def load(self, files: Sequence[LogFile], on_progress: Callable[[int], None] = lambda n: None) -> None:
        tasks = []
        for file in files:
            needed, key = self.unread(file.path, None, on_progress)
            if needed:
                tasks.append(Task(file.path, None, key))
        self.load_tasks(tasks, len(tasks), on_progress)

    def load_tasks(self, tasks: Iterable[Task], total: int, on_progress: Callable[[int], None]) -> None:
        """Reads the tasks' files (`total` of them, perhaps still being fetched) on the worker processes."""
        workers = self.workers if total >= PARALLEL_FROM_FILES else 1
        chunk = max(1, min(MAX_CHUNK, total // (workers * 16)))

        def done(outcome: Outcome) -> None:
            self._gather(outcome)
            on_progress(1)

        parse_all(self.sources, tasks, workers, done, chunk)
        self._refresh_views()

    def unread(
        self, name: str, version: str | None, on_progress: Callable[[int], None]
    ) -> tuple[bool, cache.FileKey | None]:
        """Whether the file must be read, and its cache key to write the entry when it is; a hit is counted here.

        `version` stands in for a stat of `name` (an S3 object's size, ETag and time)."""
        if self.cache_dir is None:
            return True, None
        key = cache.FileKey(self.cache_dir, name, version or cache.file_version(name))
        for source in self.sources:
            hit = cache.look_up(key.entry(source.fingerprint))
            if hit is not None and hit.data is not None:
                self._cached(source, name, hit)
                on_progress(1)
                return False, None
        hit = cache.look_up(key.entry(cache.fingerprint_of(self.sources)))
        if hit is None or hit.error is None:
            return True, key
        self.skipped.append(SkippedFile(name, hit.error))
        on_progress(1)
        return False, None

    def _cached(self, source: LocalSource, name: str, hit: cache.Hit) -> None:
        if hit.data is None:
            return
        self.data[source.name].parquet.append(hit.data)
        self.files_scanned += 1
        self.events_scanned += hit.events
        self._note_lines(name, hit.lines_skipped, hit.examples)

    def _gather(self, outcome: Outcome) -> None:
        self.bytes_read += outcome.size
        if outcome.error is not None:
            self.skipped.append(SkippedFile(outcome.name, outcome.error))
            return
        self.files_scanned += 1
        self.events_scanned += outcome.events
        self.data[outcome.source].batches.extend(batches_of(outcome))
        self._note_lines(outcome.name, outcome.lines_skipped, outcome.examples)

    def _note_lines(self, name: str, count: int, examples: tuple[str, ...]) -> None:
        if count:
            self.lines_skipped.append(SkippedLines(name, count, examples))

    def loaded(self, source: str) -> bool:
        """Whether any file of the source was read (or found in the cache)."""
        data = self.data[source]
        return bool(data.parquet or data.batches)

    def _refresh_views(self) -> None:
        if self._connection is None:
            return
        for name, data in self.data.items():
            table = pa.Table.from_batches(data.batches, schema=data.source.arrow_schema)
            self._connection.register(f"{name}_arrow", table)
            relations = [f"SELECT * FROM {name}_arrow"]
            if data.parquet:
                listed = ", ".join(quote_literal(str(path)) for path in data.parquet)
                relations.append(f"SELECT * FROM read_parquet([{listed}])")
            self._connection.execute(data.source.view_sql(f"({' UNION ALL '.join(relations)})"))

    def run(self, name: str, window: Window, source: str | None = None) -> list[dict[str, object]]:
        """The query `name` over one source's view (the first source's when none is named)."""
        chosen = self.data[source or self.sources[0].name].source
        return DuckDBEngine(self.connection).run(
            local_query(name, chosen.table, chosen.name, self.partitions), window.parameters()
        )


def local_query(name: str, table: str, source: str, partitions: PartitionFilter | None) -> str:
    """The query over a source's local view; over several accounts' CloudTrail logs, with the organization's lines,
    which read a request between two of them once (`queries/sources/cloudtrail.sql`)."""
    return queries.render(name, table, source=source, partitions=partitions if source == cloudtrail.NAME else None)


def trail_accounts(paths: Iterable[str]) -> PartitionFilter | None:
    """The accounts and regions in the paths, when they hold more than one account's CloudTrail logs and every
    path is in a known layout; None otherwise.

    CloudTrail delivers a request between two accounts to both, so a tree of both accounts' logs holds it twice.
    A file outside both layouts could be CloudTrail's without an account or region in its path: then nothing is
    filtered (such a tree may count a request between two of its accounts twice)."""
    accounts: set[str] = set()
    regions: set[str] = set()
    for path in paths:
        trail = cloudtrail.parse_log_path(path)
        if trail is not None:
            accounts.add(trail.account)
            regions.add(trail.region)
        elif access_logs.parse_log_path(path) is None:
            return None
    return PartitionFilter(tuple(sorted(accounts)), tuple(sorted(regions))) if len(accounts) > 1 else None
