"""The report's views beside the findings: the buckets view and the daily counts, each from its own named query.

Both sides run them the same way, the Lambda on Athena and the CLI on DuckDB. A view is secondary: when its query
fails, the report says so in its notes and the findings are still delivered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from detector.core.bucket_view import BUCKETS_QUERY, bucket_statuses
from detector.core.daily import DAILY_QUERY, DailyCount
from detector.core.engine import Row
from detector.core.findings import Report

logger = logging.getLogger(__name__)

VIEW_QUERIES = (BUCKETS_QUERY, DAILY_QUERY)

RunQuery = Callable[[str], Sequence[Row]]
"""Runs the named query over the report's window and returns its rows."""


def add_views(report: Report, run: RunQuery) -> Report:
    """The report with its buckets view and daily counts; a view whose query failed is named in the notes."""
    notes = list(report.notes)
    rows: dict[str, Sequence[Row]] = {}
    for name in VIEW_QUERIES:
        try:
            rows[name] = run(name)
        except Exception as error:
            logger.exception("the %s query failed for window %s; the report goes out without it", name, report.window)
            notes.append(f"the {name} view is missing: its query failed ({' '.join(str(error).split())})")
            rows[name] = []
    return replace(
        report,
        buckets=bucket_statuses(rows[BUCKETS_QUERY], report.window),
        daily=[DailyCount.from_row(row) for row in rows[DAILY_QUERY]],
        notes=notes,
    )
