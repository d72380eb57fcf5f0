"""The local scan: find the log files, read them into DuckDB, run the detection query, report."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from detector.core import queries
from detector.core.findings import Finding, Report
from detector.core.window import Window
from detector.local.cloudtrail_reader import CloudTrailSource
from detector.local.discovery import discover
from detector.local.loading import LocalCatalog
from detector.local.projection import TABLE
from detector.sources import cloudtrail

EVENT_SPAN = "event_span"


def detection_sources() -> list[CloudTrailSource]:
    """Each source the scan reads, decoding only what the detection query needs of it."""
    return [CloudTrailSource.for_query(queries.render(queries.DETECTION, TABLE, source=cloudtrail.NAME))]


def scan(
    paths: Sequence[str | os.PathLike[str]],
    window: Window,
    on_files: Callable[[int], None] = lambda total: None,
    on_progress: Callable[[int], None] = lambda n: None,
    *,
    cache_dir: Path | None = None,
    workers: int | None = None,
) -> Report:
    """Finds, reads and checks the log files under `paths`; the detection query gives the findings."""
    found = discover(paths, window)
    on_files(len(found.files))
    catalog = LocalCatalog(detection_sources(), workers=workers, cache_dir=cache_dir)
    catalog.skipped.extend(found.skipped)
    catalog.load(found.files, on_progress)
    return report_of(catalog, window)


def report_of(catalog: LocalCatalog, window: Window) -> Report:
    """The detection query over every source that had files, and what was scanned and skipped."""
    findings: list[Finding] = []
    if catalog.files_scanned:
        for source in catalog.sources:
            rows = catalog.run(queries.DETECTION, window, source.name)
            findings.extend(Finding.from_row(row) for row in rows)
    return Report(
        window=window,
        files_scanned=catalog.files_scanned,
        events_scanned=catalog.events_scanned,
        files_skipped=sorted(catalog.skipped, key=lambda skipped: skipped.path),
        findings=findings,
        events_seen=events_seen(catalog, window),
    )


def events_seen(catalog: LocalCatalog, window: Window) -> tuple[str, str] | None:
    """The first and last event time of the window over every source (`queries/event_span.sql`), None without events."""
    if not catalog.files_scanned:
        return None
    spans = [span for source in catalog.sources for span in catalog.run(EVENT_SPAN, window, source.name)]
    seen = [(str(span["first_seen"]), str(span["last_seen"])) for span in spans]
    return (min(first for first, _ in seen), max(last for _, last in seen)) if seen else None
