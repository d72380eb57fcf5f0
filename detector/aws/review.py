"""Between the query and the email: the report's views, its accepted findings, what changed since the previous
report, and the HTML page written beside report.json."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from detector.aws import history
from detector.aws.location import REPORT_HTML, SEEN, ReportLocation
from detector.core import accepted, baseline, report_html
from detector.core.engine import Row
from detector.core.findings import Report
from detector.core.views import add_views


def view_runner(run: Callable[[str], Sequence[Row]], saved: Mapping[str, str]) -> Callable[[str], Sequence[Row]]:
    """Runs a view's saved query; a view without one fails with the variable that should name it."""

    def run_view(name: str) -> Sequence[Row]:
        if not saved.get(name):
            raise LookupError(f"no saved query for the {name} view ({name.upper()}_QUERY_ID is not set)")
        return run(saved[name])

    return run_view


def review(
    report: Report,
    *,
    run_view: Callable[[str], Sequence[Row]],
    entries: Sequence[accepted.Acceptance],
    s3: Any,
    location: ReportLocation,
    today: date,
) -> tuple[Report, history.Found]:
    """The report with its views, accepted findings set apart and compared with the previous report."""
    report = accepted.apply(add_views(report, run_view), entries, today)
    found = history.read_previous(s3, location)
    if found.compare:
        report = baseline.compare(report, found.previous)
    return replace(report, notes=[*report.notes, *found.notes]), found


def write_page(s3: Any, report: Report, location: ReportLocation, account: str) -> None:
    """The HTML report beside report.json, and what the next run compares with: for 50,000 findings report.json is
    49 MiB and parsing it peaks at 163 MiB, seen.json is 15 MiB and 59 MiB (traced)."""
    for name, text, content_type in (
        (REPORT_HTML, report_html.render(report, account=account), "text/html; charset=utf-8"),
        (SEEN, baseline.seen_json(report), "application/json"),
    ):
        s3.put_object(
            Bucket=location.bucket, Key=location.key(name), Body=text.encode("utf-8"), ContentType=content_type
        )
