"""`scan --by bucket`: the buckets view as a table, JSON or CSV, with the deny policy of each bucket that is ready."""

from __future__ import annotations

import csv
import io
import json

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from detector.core.bucket_view import BucketStatus
from detector.core.findings import Report
from detector.core.text import csv_cell, one_line
from detector.local import terminal

CSV_FIELDS = (
    "bucket",
    "region",
    "accepts_sigv2",
    "requests",
    "sigv2_requests",
    "legacy_tls_requests",
    "principals",
    "last_seen",
    "last_sigv2",
    "last_legacy_tls",
    "days_without_sigv2",
    "ready_to_deny",
)


def buckets_json(report: Report) -> str:
    data = {"window": report.window.to_dict(), "buckets": [bucket.to_dict() for bucket in report.buckets]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def buckets_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for bucket in report.buckets:
        row = {**bucket.to_dict(), "principals": " ".join(bucket.principals), "ready_to_deny": bucket.refuses()}
        writer.writerow([csv_cell(one_line(str(value))) if isinstance(value, str) else value for value in _cells(row)])
    return buffer.getvalue()


def _cells(row: dict[str, object]) -> list[object]:
    return ["" if row[name] is None else row[name] for name in CSV_FIELDS]


def print_buckets(report: Report, console: Console, *, wrap: bool = True) -> None:
    """A line of counts, one row per bucket and region, then the policy of every bucket ready for one; without `wrap`,
    every cell on one line."""
    buckets = report.buckets
    ready = [bucket for bucket in buckets if bucket.ready]
    sigv2_ready, tls_ready = (sum(b.ready_for(sid) for b in buckets) for sid in ("DenySigV2", "DenyTlsBelow12"))
    console.print(
        f"{len(buckets)} buckets by region; {sum(b.sigv2_requests > 0 for b in buckets)} still get SigV2 and "
        f"{sum(b.legacy_tls_requests > 0 for b in buckets)} legacy TLS; ready to refuse SigV2: {sigv2_ready}, "
        f"TLS below 1.2: {tls_ready}."
    )
    if not report.buckets:
        return
    table = _table(report.buckets)
    if not wrap:
        terminal.unwrap(table)
    console.print(table)
    for bucket in ready:
        console.print(Text(f"\nDeny policy for {one_line(bucket.bucket)} (check it, then paste it; never applied):"))
        console.print(Text(bucket.policy() or ""), soft_wrap=True)


COLUMNS = (
    ("Bucket", "left", False),
    ("Region", "left", True),
    ("Takes SigV2", "left", True),
    ("SigV2", "right", True),
    ("Legacy TLS", "right", True),
    ("From", "left", False),
    ("Last SigV2", "left", True),
    ("Last legacy TLS", "left", True),
    ("Clean days", "right", True),
    ("Ready to refuse", "left", False),
)
"""Name, justification, whether it never wraps."""


def _table(buckets: list[BucketStatus]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name, justify, no_wrap in COLUMNS:
        table.add_column(name, justify=justify, no_wrap=no_wrap, overflow="fold")  # type: ignore[arg-type]
    for bucket in buckets:
        cells = (
            bucket.bucket,
            bucket.region or "",
            "yes" if bucket.accepts_sigv2 else "no",
            str(bucket.sigv2_requests),
            str(bucket.legacy_tls_requests),
            " ".join(bucket.principals),
            bucket.last_sigv2 or "-",
            bucket.last_legacy_tls or "-",
            str(bucket.days_without_sigv2),
            bucket.refuses() or "-",
        )
        table.add_row(*(Text(one_line(cell)) for cell in cells))
    return table
