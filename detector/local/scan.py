"""The local scan: find the log files, read them into DuckDB, run the detection query over each source, report."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from detector.core import queries
from detector.core.findings import Finding, Report, ranked
from detector.core.partitions import PartitionFilter
from detector.core.views import add_views
from detector.core.window import Window
from detector.local import access_log_reader, projection
from detector.local.access_log_reader import AccessLogSource
from detector.local.cloudtrail_reader import CloudTrailSource
from detector.local.discovery import discover
from detector.local.loading import LocalCatalog, local_query, trail_accounts
from detector.local.source import LocalSource
from detector.sources import access_logs, cloudtrail

READERS: dict[str, tuple[str, Callable[[str], LocalSource]]] = {
    cloudtrail.NAME: (projection.TABLE, CloudTrailSource.for_query),
    access_logs.NAME: (access_log_reader.TABLE, AccessLogSource.for_query),
}
"""Each source the local scan reads: its view, and its reader for a query (reading only what the query needs)."""

EVENT_SPAN = "event_span"


def detection_sources(
    names: Sequence[str] = tuple(READERS), partitions: PartitionFilter | None = None
) -> list[LocalSource]:
    """The named sources (every one by default), each decoding only what the detection query needs of it."""
    built = []
    for name in names:
        table, for_query = READERS[name]
        built.append(for_query(local_query(queries.DETECTION, table, name, partitions)))
    return built


def scan(
    paths: Sequence[str | os.PathLike[str]],
    window: Window,
    on_files: Callable[[int], None] = lambda total: None,
    on_progress: Callable[[int], None] = lambda n: None,
    *,
    cache_dir: Path | None = None,
    workers: int | None = None,
    views: bool = False,
    sources: Sequence[str] = tuple(READERS),
) -> Report:
    """Finds, reads and checks the log files under `paths`; the detection query gives the findings, and with `views`
    the buckets and daily queries the report's views.

    Each file is read by the source that recognises its content, or by the only one of `sources`."""
    found = discover(paths, window)
    on_files(len(found.files))
    partitions = trail_accounts(file.path for file in found.files)
    catalog = LocalCatalog(
        detection_sources(sources, partitions), workers=workers, cache_dir=cache_dir, partitions=partitions
    )
    catalog.skipped.extend(found.skipped)
    catalog.load(found.files, on_progress)
    return report_of(catalog, window, views=views)


def report_of(catalog: LocalCatalog, window: Window, *, views: bool = False) -> Report:
    """The detection query over every source that had files, findings merged and ranked, each naming its log; what
    was scanned and skipped; with `views`, the buckets and daily queries over the first source too (each reads the
    files again past the memory kept)."""
    loaded = [source.name for source in catalog.sources if catalog.loaded(source.name)]
    findings: list[Finding] = []
    for name in loaded:
        rows = catalog.run(queries.DETECTION, window, name)
        findings += [replace(Finding.from_row(row), log_source=name) for row in rows]
    report = Report(
        window=window,
        files_scanned=catalog.files_scanned,
        events_scanned=catalog.events_scanned,
        files_skipped=sorted(catalog.skipped, key=lambda skipped: skipped.path),
        findings=ranked(findings),
        events_seen=events_seen(catalog, window, loaded),
        lines_skipped=sorted(catalog.lines_skipped, key=lambda skipped: skipped.path),
    )
    if not views:
        return report
    return add_views(report, lambda name: catalog.run(name, window, loaded[0]) if loaded else [])


def events_seen(catalog: LocalCatalog, window: Window, loaded: Sequence[str]) -> tuple[str, str] | None:
    """The first and last event time of the window over the loaded sources (`queries/event_span.sql`), None without
    events."""
    spans = [span for name in loaded for span in catalog.run(EVENT_SPAN, window, name)]
    seen = [(str(span["first_seen"]), str(span["last_seen"])) for span in spans]
    return (min(first for first, _ in seen), max(last for _, last in seen)) if seen else None
