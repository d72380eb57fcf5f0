"""The scan's report options: `--baseline` (new, recurring, resolved against an earlier `--format json` report),
`--by bucket` (the buckets view) and `--format html` (the report to look at)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from detector.core import baseline, report_html
from detector.core.findings import Report
from detector.local import terminal
from detector.local.bucket_output import buckets_csv, buckets_json, print_buckets
from detector.local.discovery import UsageError

FORMATS = ("table", "json", "csv", "html")
BY = ("finding", "bucket")


def add_report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--by",
        choices=BY,
        default="finding",
        help="one row per finding (default) or per bucket and region, with the deny policy of each bucket ready "
        "for one (the HTML report has both)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="PREVIOUS.json",
        help="an earlier report of `--format json`: mark each finding new or recurring and list the resolved ones",
    )


def needs_views(format_: str, by: str) -> bool:
    """Whether the output shows the buckets view or the trend, so the scan runs their queries too."""
    return format_ == "html" or by == "bucket"


def read_baseline(path: Path | None) -> baseline.PreviousReport | None:
    """The earlier report at `path`, read before scanning; raises UsageError when it is not a readable report."""
    if path is None:
        return None
    try:
        return baseline.previous_report(json.loads(path.read_text(encoding="utf-8")), str(path))
    except OSError as error:
        raise UsageError(f"--baseline {path}: cannot be read ({error.strerror or error})") from None
    except ValueError as error:
        raise UsageError(
            f"--baseline {path}: {error}; give a report written by `python -m detector scan --format json`"
        ) from None


def compared(report: Report, previous: baseline.PreviousReport | None) -> Report:
    """The report against the earlier one, when `--baseline` gave one."""
    return baseline.compare(report, previous) if previous is not None else report


def write_view(report: Report, format_: str, by: str, output: Path | None) -> bool:
    """Writes the HTML report, or the buckets view in `format_`; False when neither is asked for."""
    if format_ == "html":
        _emit(report_html.render(report), output)
        return True
    if by != "bucket":
        return False
    if format_ == "json":
        _emit(buckets_json(report), output)
    elif format_ == "csv":
        _emit(buckets_csv(report), output)
    elif output is None and sys.stdout.isatty():
        print_buckets(report, terminal.console())
    else:
        _emit(terminal.plain_text(lambda console: print_buckets(report, console, wrap=False)), output)
    return True


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
