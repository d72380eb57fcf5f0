"""The local scan: find the log files, load them into DuckDB, run the detection query, report."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from detector.core import queries
from detector.core.findings import Finding, Report
from detector.core.views import add_views
from detector.core.window import Window
from detector.local.discovery import find_log_files
from detector.local.loading import LocalCatalog
from detector.local.projection import TABLE, fields_read_by
from detector.sources import cloudtrail


def scan(
    paths: Sequence[str | os.PathLike[str]],
    window: Window,
    on_files: Callable[[int], None] = lambda total: None,
    on_progress: Callable[[int], None] = lambda n: None,
    *,
    views: bool = False,
) -> Report:
    """Finds, loads and checks the log files under `paths`; the detection query gives the findings, and with `views`
    the buckets and daily queries the report's views (each query reads the files again past the memory kept)."""
    files, _pruned = find_log_files(paths, window)
    on_files(len(files))
    catalog = LocalCatalog(fields=fields_read_by(queries.render(queries.DETECTION, TABLE, source=cloudtrail.NAME)))
    catalog.load(files, on_progress)
    rows = catalog.run(queries.DETECTION, window) if catalog.files_scanned else []
    report = Report(
        window=window,
        files_scanned=catalog.files_scanned,
        events_scanned=catalog.events_scanned,
        files_skipped=sorted(catalog.skipped, key=lambda skipped: skipped.path),
        findings=[Finding.from_row(row) for row in rows],
    )
    if not views:
        return report
    return add_views(report, lambda name: catalog.run(name, window) if catalog.files_scanned else [])
