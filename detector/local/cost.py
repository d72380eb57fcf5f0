"""`python -m detector cost`: what the deployed detector costs a month, item by item, at list prices, per source.

Every price the estimate uses is defined here, once, with the page it comes from and the day it was checked:
us-east-1 list prices, before free tiers (Lambda's and SNS's would make those lines $0 for most accounts).
CloudTrail bills every data event; S3 server access logs cost only their storage and what Athena reads of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from detector.core.config import FUNCTION_MEMORY_MB
from detector.core.views import VIEW_QUERIES

DAYS_PER_MONTH = 365 / 12
PRICES_READ = "2026-11-27"
"""When the prices below were checked, against stored copies of each page (SNS's email price against a 2026-06-13
article quoting it, S3's storage price against a copy of its table); the S3 request prices were not re-checked."""


@dataclass(frozen=True)
class Price:
    dollars: float
    per: float
    unit: str
    source: str

    def of(self, quantity: float) -> float:
        return self.dollars * quantity / self.per


DATA_EVENTS = Price(0.10, 100_000, "data events", "https://aws.amazon.com/cloudtrail/pricing/")
"""Charged on every trail that records them, the first one included."""

ATHENA_SCANNED = Price(5.00, 10**12, "bytes scanned", "https://aws.amazon.com/athena/pricing/")
ATHENA_MIN_BYTES = 10 * 10**6
ATHENA_ROUNDING_BYTES = 10**6
"""Each query is billed for its bytes rounded up to a megabyte, at least 10 MB (same page)."""

S3_STANDARD = Price(0.023, 2**30, "GB-month", "https://aws.amazon.com/s3/pricing/")
"""S3 Standard, first 50 TB a month; S3 bills a GB as 2^30 bytes."""

S3_PUT = Price(0.005, 1000, "PUT requests", "https://aws.amazon.com/s3/pricing/")
S3_GET = Price(0.0004, 1000, "GET requests", "https://aws.amazon.com/s3/pricing/")
"""CloudTrail's deliveries are PUTs on the log bucket, billed to its owner ("Amazon S3 charges apply", CloudTrail
pricing page); Athena GETs every file it reads."""

LAMBDA_GB_SECONDS = Price(0.0000166667, 1, "GB-seconds", "https://aws.amazon.com/lambda/pricing/")
LAMBDA_REQUESTS = Price(0.20, 10**6, "requests", "https://aws.amazon.com/lambda/pricing/")
SNS_EMAILS = Price(2.00, 100_000, "email notifications", "https://aws.amazon.com/sns/pricing/")

PRICES = (DATA_EVENTS, ATHENA_SCANNED, S3_STANDARD, S3_PUT, S3_GET, LAMBDA_GB_SECONDS, LAMBDA_REQUESTS, SNS_EMAILS)

ACCESS_LOG_DELIVERY_SOURCE = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html"
""""There is no charge for log delivery. You pay only for the storage of the log files." (same page)"""

CLOUDTRAIL = "cloudtrail"
ACCESS_LOGS = "access-logs"
BOTH = "both"
SOURCES = (CLOUDTRAIL, ACCESS_LOGS, BOTH)
"""The `source` setting's values: the stack deploys one source or both."""

GZIP_BYTES_PER_EVENT = 110
"""Log bytes an event adds in the bucket, measured on generated logs (`samples.generate`, 2026-11-27):
`python -m bench --events 1000000` writes 1,000,000 events in 500 files of 2,000, 110,211,998 bytes gzipped.
Smaller files compress a little worse: 113 bytes an event at 350 a file, 129 at 70 a file."""

ACCESS_LOG_BYTES_PER_RECORD = 540
"""Bytes an access-log record adds, plain text as S3 delivers it, measured on the generated logs
(`python -m samples.access_logs`, 2026-12-01): the demo's 1,229 lines are 663,593 bytes, 200,000 requests 537.8 bytes
a line. AWS's own example lines are 495-551 bytes; a long assumed-role requester and a UA 2.1 agent add to that."""

RECORDS_PER_LOG_OBJECT = 3.0
"""An assumption: S3 delivers access logs as a stream of small objects, and Athena GETs each one. The one published
figure is a quiet site's ~1.4 KB an object, under 3 records (https://thomasguymer.co.uk/blog/2020/2020-04-10/);
Yelp, at terabytes a day, still compacts a stream of tiny objects (its 2025-09-26 post as summarised at
https://sysdesign-wiki.pages.dev/sources/2025-09-26-yelp-s3-server-access-logs-at-scale/). Busy buckets may batch
more; count a day's objects under your destination prefix and pass `--records-per-log-object`."""

FILES_PER_REGION_DAY = 24 * 60 // 5
"""CloudTrail delivers a region's events about every five minutes (../shared/REFERENCE.md section 3)."""

LAMBDA_SECONDS_PER_RUN = 60
"""An assumption: the function mostly waits for Athena."""


@dataclass(frozen=True)
class Usage:
    """What the estimate is for: the account's traffic and the detector's settings."""

    events_per_day: float
    days: int = 90
    """Days of logs kept (`logRetentionDays`): the history a query without partition projection reads."""
    runs_per_day: float = 1
    window_days: int = 1
    regions: int = 1
    emails_per_run: int = 1
    source: str = CLOUDTRAIL
    records_per_log_object: float = RECORDS_PER_LOG_OBJECT

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {self.source!r}")
        if self.records_per_log_object < 1:
            raise ValueError(f"records per log object must be 1 or more, not {self.records_per_log_object}")
        if self.events_per_day < 0:
            raise ValueError(f"events per day must be 0 or more, not {self.events_per_day}")
        for name in ("days", "window_days", "regions"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name.replace('_', ' ')} must be 1 or more, not {getattr(self, name)}")
        if self.runs_per_day <= 0 or self.emails_per_run < 0:
            raise ValueError("runs per day must be more than 0 and emails per run 0 or more")

    @property
    def records_cloudtrail(self) -> bool:
        return self.source in (CLOUDTRAIL, BOTH)

    @property
    def records_access_logs(self) -> bool:
        return self.source in (ACCESS_LOGS, BOTH)

    @property
    def queries_per_run(self) -> int:
        """One detection query per deployed source, and the views' queries over the first (`detector.core.views`)."""
        return (2 if self.source == BOTH else 1) + len(VIEW_QUERIES)

    def queries_over(self, source: str) -> int:
        """The queries a run makes over one source's logs: its detection query, and the views' over the first."""
        first = CLOUDTRAIL if self.records_cloudtrail else ACCESS_LOGS
        return 1 + (len(VIEW_QUERIES) if source == first else 0)

    @property
    def bytes_per_day(self) -> float:
        return self.events_per_day * GZIP_BYTES_PER_EVENT

    @property
    def access_log_bytes_per_day(self) -> float:
        return self.events_per_day * ACCESS_LOG_BYTES_PER_RECORD

    @property
    def access_log_objects_per_day(self) -> float:
        return self.events_per_day / self.records_per_log_object

    @property
    def files_per_day(self) -> float:
        return min(self.events_per_day, self.regions * FILES_PER_REGION_DAY)

    @property
    def runs_per_month(self) -> float:
        return self.runs_per_day * DAYS_PER_MONTH

    @property
    def projected_days(self) -> int:
        """Days of logs a scheduled run reads with partition projection: the days delivered in its window."""
        return min(self.window_days, self.days)


def athena_query_cost(bytes_scanned: float) -> float:
    """One query's charge: its bytes rounded up to a megabyte, at least 10 MB."""
    billed = max(ATHENA_MIN_BYTES, math.ceil(bytes_scanned / ATHENA_ROUNDING_BYTES) * ATHENA_ROUNDING_BYTES)
    return ATHENA_SCANNED.of(billed)


@dataclass(frozen=True)
class Line:
    item: str
    usage: str
    monthly: float


@dataclass(frozen=True)
class Estimate:
    lines: tuple[Line, ...]
    """What the deployed stack costs: Athena reads only the window's days (partition projection)."""
    without_projection: Line
    """Athena reading the whole history on every run, as a table without partitions does."""

    @property
    def total(self) -> float:
        return sum(line.monthly for line in self.lines)

    @property
    def projection_saving(self) -> float:
        athena = sum(line.monthly for line in self.lines if line.item.startswith("Athena"))
        return self.without_projection.monthly - athena


def estimate(usage: Usage) -> Estimate:
    """The month's lines for the usage's source, or both sources side by side; one function and one email."""
    lines: list[Line] = []
    without: list[Line] = []
    if usage.records_cloudtrail:
        lines += _cloudtrail_lines(usage)
        without.append(
            _athena(
                "", usage, usage.days, usage.bytes_per_day, usage.files_per_day, queries=usage.queries_over(CLOUDTRAIL)
            )
        )
    if usage.records_access_logs:
        lines += _access_log_lines(usage)
        without.append(
            _athena(
                "",
                usage,
                usage.days,
                usage.access_log_bytes_per_day,
                usage.access_log_objects_per_day,
                queries=usage.queries_over(ACCESS_LOGS),
            )
        )
    lines += _run_lines(usage)
    runs = f" a run × {usage.runs_per_month:,.0f}"
    reads = " + ".join(line.usage.removesuffix(runs) for line in without)
    no_projection = Line(
        f"Athena, no projection: {usage.days} days", reads + runs, sum(line.monthly for line in without)
    )
    return Estimate(tuple(lines), no_projection)


def _cloudtrail_lines(usage: Usage) -> list[Line]:
    month = DAYS_PER_MONTH
    events = usage.events_per_day * month
    stored = usage.bytes_per_day * usage.days
    deliveries = usage.files_per_day * month
    return [
        Line("CloudTrail data events", f"{events:,.0f} events", DATA_EVENTS.of(events)),
        Line("S3 log storage", f"{stored / 2**30:,.2f} GB, {usage.days} days", S3_STANDARD.of(stored)),
        Line("S3 log deliveries", f"{deliveries:,.0f} PUTs", S3_PUT.of(deliveries)),
        _athena(
            f"Athena, projection: {_days(usage.projected_days)}",
            usage,
            usage.projected_days,
            usage.bytes_per_day,
            usage.files_per_day,
            queries=usage.queries_over(CLOUDTRAIL),
        ),
    ]


def _access_log_lines(usage: Usage) -> list[Line]:
    month = DAYS_PER_MONTH
    stored = usage.access_log_bytes_per_day * usage.days
    objects = usage.access_log_objects_per_day * month
    return [
        Line("Access-log delivery", f"{objects:,.0f} objects, free", 0.0),
        Line("S3 access-log storage", f"{stored / 2**30:,.2f} GB, {usage.days} days", S3_STANDARD.of(stored)),
        _athena(
            f"Athena over access logs: {_days(usage.projected_days)}",
            usage,
            usage.projected_days,
            usage.access_log_bytes_per_day,
            usage.access_log_objects_per_day,
            queries=usage.queries_over(ACCESS_LOGS),
        ),
    ]


def _run_lines(usage: Usage) -> list[Line]:
    runs = usage.runs_per_month
    seconds = LAMBDA_SECONDS_PER_RUN * usage.queries_per_run
    gb_seconds = runs * seconds * FUNCTION_MEMORY_MB / 1024
    emails = usage.emails_per_run * runs
    return [
        Line(
            "Lambda",
            f"{runs:,.0f} runs × {seconds} s, {FUNCTION_MEMORY_MB} MB",
            LAMBDA_REQUESTS.of(runs) + LAMBDA_GB_SECONDS.of(gb_seconds),
        ),
        Line("SNS email", f"{emails:,.0f} emails", SNS_EMAILS.of(emails)),
    ]


def _athena(
    item: str, usage: Usage, days: int, bytes_per_day: float, objects_per_day: float, *, queries: int = 1
) -> Line:
    """Runs whose `queries` each read `days` days of logs: the bytes Athena bills and the GETs S3 bills."""
    scanned = bytes_per_day * days
    gets = objects_per_day * days
    runs = usage.runs_per_month
    each = f"{_scanned(scanned)}, {gets:,.0f} GETs"
    return Line(
        item,
        (f"{queries} × ({each})" if queries > 1 else each) + f" a run × {runs:,.0f}",
        (athena_query_cost(scanned) + S3_GET.of(gets)) * runs * queries,
    )


def _scanned(size: float) -> str:
    text = f"{size / 10**9:,.1f} GB" if size >= 10**9 else f"{size / 10**6:,.1f} MB"
    return text if size >= ATHENA_MIN_BYTES else f"{text} (billed {ATHENA_MIN_BYTES // 10**6} MB)"


def print_estimate(usage: Usage, console: Console) -> None:
    """The month's lines, their total, then what Athena would cost without partition projection."""
    result = estimate(usage)
    table = Table(
        title=f"Monthly cost at {usage.events_per_day:,.0f} S3 requests a day, {SOURCE_TITLES[usage.source]}",
        caption=f"us-east-1 list prices of {PRICES_READ}, before free tiers; sources in --help",
    )
    table.add_column("Item")
    table.add_column("Usage a month")
    table.add_column("USD", justify="right")
    for line in result.lines:
        table.add_row(line.item, line.usage, _dollars(line.monthly))
    table.add_section()
    table.add_row("Total", "", _dollars(result.total), style="bold")
    table.add_section()
    without = result.without_projection
    table.add_row(without.item, without.usage, _dollars(without.monthly), style="dim")
    console.print(table)
    console.print(
        f"Partition projection saves ${_dollars(result.projection_saving)} a month here: "
        f"each run reads {_days(usage.projected_days)} of logs instead of all {usage.days}.",
        highlight=False,
    )


SOURCE_TITLES = {
    CLOUDTRAIL: "CloudTrail data events",
    ACCESS_LOGS: "S3 server access logs",
    BOTH: "both sources",
}

COMPARED_VOLUMES = (100_000, 1_000_000, 10_000_000)


def markdown_comparison() -> str:
    """Each source's monthly total at 1e5, 1e6 and 1e7 requests a day (90 days kept, one run a day over one day),
    as the README shows it; `make docs` renders it."""
    lines = [
        "| S3 requests a day | " + " | ".join(SOURCE_TITLES[source] for source in SOURCES) + " |",
        "|---:|" + "---:|" * len(SOURCES),
    ]
    for volume in COMPARED_VOLUMES:
        totals = [estimate(Usage(events_per_day=volume, source=source)).total for source in SOURCES]
        lines.append(f"| {volume:,} | " + " | ".join(f"${_dollars(total)}" for total in totals) + " |")
    return "\n".join(lines) + "\n"


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _dollars(amount: float) -> str:
    return f"{amount:,.2f}" if amount >= 0.01 or amount == 0 else f"{amount:.4f}"
