"""S3 server access logs: the record's columns, the line format, the key layouts and the Glue table over them.

Format: https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html. One record per line, space-separated,
`-` for a field that is unknown or does not apply; the time is bracketed and holds a space; Request-URI, Referer and
User-Agent are quoted. AWS appends fields over time ("make sure that any of your code that parses server access logs
can handle trailing fields that it might not understand"): a line may end anywhere from Version Id (2014) on.
Columns: AWS's 27-column RegexSerDe table,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-s3-access-logs-to-identify-requests.html
Key layouts: https://docs.aws.amazon.com/AmazonS3/latest/API/API_TargetObjectKeyFormat.html
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from detector.core.partitions import PartitionFilter
from detector.core.text import one_line
from detector.core.window import format_log_date
from detector.sources.columns import STRING, Field
from detector.sources.table import (
    TableSpec,
    account_projection,
    organization_filter,
    organization_projection,
    projection,
)

NAME = "access_logs"
"""The source's name: its SQL fragment is queries/sources/access_logs.sql."""

COLUMN_NAMES: tuple[str, ...] = (
    "bucketowner",
    "bucket_name",
    "requestdatetime",
    "remoteip",
    "requester",
    "requestid",
    "operation",
    "key",
    "request_uri",
    "httpstatus",
    "errorcode",
    "bytessent",
    "objectsize",
    "totaltime",
    "turnaroundtime",
    "referrer",
    "useragent",
    "versionid",
    "hostid",
    "sigv",
    "ciphersuite",
    "authtype",
    "endpoint",
    "tlsversion",
    "accesspointarn",
    "aclrequired",
    "sourceregion",
)
"""AWS's column names, in field order. All strings: the detection reads no number, and text keeps `-` as logged."""

COLUMNS: tuple[Field, ...] = tuple(Field(name, STRING) for name in COLUMN_NAMES)

REQUIRED_FIELDS = COLUMN_NAMES.index("versionid") + 1
"""Bucket Owner .. Version Id: every line has these 18; the 2014 format ended there."""

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

FIELD_VALUE = "[^ ]*"
"""A field's value: anything up to the next space."""

VALUE_PATTERNS: dict[str, str] = {
    "requestdatetime": r"[0-9]{2}/(?:" + "|".join(MONTHS) + r")/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} \+0000",
    "httpstatus": "-|[0-9]*",
}
"""The fields whose value is checked; every other unquoted field is `FIELD_VALUE`."""

BRACKETED = ("requestdatetime",)
"""Written inside `[...]`, which the value leaves out."""

QUOTED_VALUES: dict[str, str] = {"request_uri": ".*?", "referrer": ".*?", "useragent": ".*"}
"""Written inside quotes (or as a bare `-`), the value without them: the shortest, or for the User-Agent the longest,
after which the line still parses."""


def line_pattern(field: Callable[[str], str], optional_field: Callable[[str], str]) -> str:
    """The line's fields in order, each rendered by `field`, those from Signature Version on each present or not (in
    order: ` a( b( c)?)?)?`, `optional_field` rendering the opening of each), then whatever follows."""
    required = " ".join(field(name) for name in COLUMN_NAMES[:REQUIRED_FIELDS])
    optional = COLUMN_NAMES[REQUIRED_FIELDS:]
    return required + "".join(map(optional_field, optional)) + ")?" * len(optional) + ".*"


def _captured(name: str) -> str:
    """The field with its value captured: a bare `-` for a quoted field captures nothing (NULL)."""
    if name in QUOTED_VALUES:
        return f'(?:"({QUOTED_VALUES[name]})"|-)'
    value = f"({VALUE_PATTERNS.get(name, FIELD_VALUE)})"
    return rf"\[{value}\]" if name in BRACKETED else value


LINE_REGEX = "(?s)" + line_pattern(_captured, lambda name: f"(?: {_captured(name)}")
"""One line, as Athena's RegexSerDe (Java, whole-line `matches`) and `parse_line` (Python, `fullmatch`) both read it.

AWS's own regex, with three changes:
- each field after Version Id is optional on its own (AWS's makes the nine one group, so a 26-field line from before
  Source region existed loses its Signature Version and TLS version);
- quoted values are captured without their quotes, and may hold `"`: S3 writes a `"` inside a User-Agent, Referer or
  Request-URI as it is, without escaping it (aws-samples/siem-on-amazon-opensearch-service#34 and #254), so AWS's
  `"[^"]*"` fails those lines. Request-URI and Referer end at the first `"` after which the line still parses; the
  User-Agent at the last one, since the fields after it never hold a `"`: whatever a client puts in its own headers,
  it cannot move the Signature Version, Authentication Type or TLS version that S3 writes after them;
- the time is checked (a month name, `+0000`: S3 writes UTC), so a line that is not a record does not pass as one.
Unknown trailing fields are read by the final `.*` and ignored. `(?s)` lets `.` match every character in both
engines (Java's `.` would otherwise stop at U+2028 and U+0085, Python's only at a newline). A bare `-` instead of a
quoted value reads as NULL, a quoted `"-"` as `-`; the source fragment reads both as NULL."""

LINE = re.compile(LINE_REGEX)

Row = tuple[str | None, ...]

BAD_LINE_EXAMPLES = 3
EXAMPLE_CHARS = 300


@dataclass(frozen=True)
class BadLine:
    number: int
    """1-based line number in the file."""
    text: str
    """The start of the line, control characters escaped (it is attacker-controlled text)."""


@dataclass
class ParsedFile:
    """One log file's records as rows of `COLUMN_NAMES`, and the lines that are not records."""

    path: str
    rows: list[Row] = field(default_factory=list)
    bad_lines: int = 0
    examples: list[BadLine] = field(default_factory=list)
    error: str | None = None
    """Why the file was not read at all (unreadable, corrupt gzip), else None."""

    @property
    def is_access_log(self) -> bool:
        """At least one line is a record. A file of lines none of which parses is some other kind of file."""
        return bool(self.rows)

    def problem(self) -> str | None:
        """What a scan should report about this file: why it was skipped, or how many of its lines were not read."""
        if self.error:
            return self.error
        if not self.rows:
            return NOT_ACCESS_LOG if self.bad_lines else EMPTY_FILE
        if self.bad_lines:
            shown = "; ".join(f"line {bad.number}: {bad.text}" for bad in self.examples)
            return f"{self.bad_lines} line(s) are not S3 server access log records and were not read ({shown})"
        return None

    def columns(self) -> dict[str, list[str | None]]:
        return columns(self.rows)


NOT_ACCESS_LOG = "not an S3 server access log file: no line is a log record"
EMPTY_FILE = "empty file: no log record"


def parse_line(line: str) -> Row | None:
    """The line's value for every column (None for a field the line ends before), or None if it is not a record."""
    match = LINE.fullmatch(line)
    return match.groups() if match else None


def split_lines(data: bytes) -> list[str]:
    """Lines as Hadoop's TextInputFormat cuts them for Athena: at `\\n`, `\\r\\n` or `\\r`; invalid UTF-8 replaced."""
    text = data.decode("utf-8", errors="replace")
    lines = re.split("\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parse_lines(path: str, lines: Iterable[str]) -> ParsedFile:
    """Every line that is a record becomes a row; the others are counted, the first few kept as examples.
    Empty lines hold nothing and are passed over."""
    parsed = ParsedFile(path)
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        row = parse_line(line)
        if row is not None:
            parsed.rows.append(row)
            continue
        parsed.bad_lines += 1
        if len(parsed.examples) < BAD_LINE_EXAMPLES:
            parsed.examples.append(BadLine(number, one_line(line[:EXAMPLE_CHARS])))
    return parsed


GZIP_MAGIC = b"\x1f\x8b"


def parse_file(path: str | Path) -> ParsedFile:
    """A log file as S3 delivers it (plain text), or gzipped after download. Never raises for a bad file: its
    problem is in the result."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
        if data.startswith(GZIP_MAGIC):
            data = gzip.decompress(data)
    except OSError as error:
        return ParsedFile(name, error=f"could not read the file ({error.strerror or error}); check its permissions")
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        return ParsedFile(name, error=f"corrupt or truncated gzip file ({error}); download it again")
    return parse_lines(name, split_lines(data))


RECORD_START = re.compile(rf"^[^ \r\n]* [^ \r\n]* \[(?:{VALUE_PATTERNS['requestdatetime']})\] ", re.MULTILINE)
"""Bucket owner, bucket and the bracketed time at the start of a line: how every record starts."""


def looks_like_access_log(head: bytes) -> bool:
    """Whether a file's first bytes hold the start of a record at the start of a line: for telling the sources apart
    by content. The start of one record is enough: the head may end inside a long line, and the lines that are not
    records are counted by the parser."""
    return RECORD_START.search(head.decode("utf-8", errors="replace")) is not None


def columns(rows: Sequence[Row]) -> dict[str, list[str | None]]:
    """The rows as one list per column (for Arrow or DuckDB), every column present even with no rows."""
    lists: dict[str, list[str | None]] = {name: [] for name in COLUMN_NAMES}
    for row in rows:
        for name, value in zip(COLUMN_NAMES, row, strict=True):
            lists[name].append(value)
    return lists


# --- where the log files are -----------------------------------------------------------------------------------

DELIVERY_STAMP = r"(?P<stamp>[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2})-(?P<unique>[A-Za-z0-9]+)"
"""`YYYY-MM-DD-hh-mm-ss-UniqueString`, the end of every log object's key in both layouts."""

SIMPLE_KEY = re.compile(DELIVERY_STAMP + "$")
"""`[TargetPrefix]YYYY-MM-DD-hh-mm-ss-UniqueString`: the default layout; the time is the delivery time."""

PARTITIONED_KEY = re.compile(
    r"(?:^|/)(?P<account>[0-9]{12})/(?P<region>[a-z]{2,4}(?:-[a-z]+)+-[0-9]+)/"
    r"(?P<bucket>[A-Za-z0-9._-]{3,255})/(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/(?P<day>[0-9]{2})/"
    + DELIVERY_STAMP
    + "$"
)
"""`[TargetPrefix]SourceAccountId/SourceRegion/SourceBucket/YYYY/MM/DD/YYYY-MM-DD-hh-mm-ss-UniqueString`: the
date-based partitioned layout, the bucket's name as S3 holds it (legacy us-east-1 names with capitals and `_` too).
With `DeliveryTime` the date is the delivery day; with `EventTime` the events' day (and the time in the name is
00-00-00)."""

PARTITION_KEYS: tuple[str, ...] = ("account", "region", "bucket", "log_date")
"""Derived from the object key, never from the record: the source bucket's account, region and name, and the day in
the key, `yyyy/MM/dd` (the delivery day: the stack logs with `DeliveryTime`, so each file is in one day's folder)."""

LOG_PREFIX = "s3-access-logs/"
"""The `TargetPrefix` the stack sets on each watched bucket. It ends in `/`: S3 concatenates it as it is."""

PARTITION_DATE_SOURCE = "DeliveryTime"
"""A log file lands in the folder of the day it was delivered, so a scheduled run over the days delivered since the
last one reads each file exactly once; with `EventTime` a late file lands in an old day's folder."""


@dataclass(frozen=True)
class AccessLogLocation:
    log_date: date
    delivered: datetime
    account: str | None = None
    region: str | None = None
    bucket: str | None = None
    """Account, region and bucket are in partitioned keys only."""

    @property
    def partitioned(self) -> bool:
        return self.bucket is not None


def parse_log_path(path: str) -> AccessLogLocation | None:
    """The partition values in a log object's key or a downloaded file's path (a `.gz` added after download ignored),
    or None in neither layout."""
    posix = path.replace("\\", "/").removesuffix(".gz")
    partitioned = PARTITIONED_KEY.search(posix)
    if partitioned:
        try:
            day = date(int(partitioned["year"]), int(partitioned["month"]), int(partitioned["day"]))
            stamp = _stamp(partitioned["stamp"])
        except ValueError:
            return None
        return AccessLogLocation(day, stamp, partitioned["account"], partitioned["region"], partitioned["bucket"])
    simple = SIMPLE_KEY.search(posix.rsplit("/", 1)[-1])
    if simple is None:
        return None
    try:
        stamp = _stamp(simple["stamp"])
    except ValueError:
        return None
    return AccessLogLocation(stamp.date(), stamp)


def record_log_date(requestdatetime: str | None) -> str | None:
    """The record's own day as a `log_date` (`yyyy/MM/dd`), for a file whose path is in neither layout."""
    if requestdatetime is None:
        return None
    day, month, year = requestdatetime[:2], MONTHS.index(requestdatetime[3:6]) + 1, requestdatetime[7:11]
    return f"{year}/{month:02d}/{day}"


def _stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d-%H-%M-%S")


def simple_key(prefix: str, delivered: datetime, unique: str) -> str:
    return f"{prefix}{delivered:%Y-%m-%d-%H-%M-%S}-{unique}"


def partitioned_key(prefix: str, source: tuple[str, str, str], delivered: datetime, unique: str) -> str:
    """`source` is the source bucket's (account, region, name)."""
    account, region, bucket = source
    day = format_log_date(delivered.date())
    return f"{prefix}{account}/{region}/{bucket}/{day}/{simple_key('', delivered, unique)}"


# --- the Glue table ----------------------------------------------------------------------------------------------


def destination_bucket_name(name_prefix: str, account: str, region: str) -> str:
    """The access-log bucket of one region: one name pattern, so the table's location template reaches every region's
    bucket through its `${region}` (S3 requires the destination in the source bucket's region)."""
    return f"{name_prefix}-{account}-{region}"


def table(name_prefix: str, *, accounts: Sequence[str], regions: Sequence[str], buckets: Sequence[str]) -> TableSpec:
    """The Glue table over every region's access-log bucket, partitions projected on account, region, source bucket
    and delivery day.

    All four are projected, so nothing is crawled or repaired. Account, region and bucket are `enum`s: their values are
    known at deploy time (the stack's account, the watched buckets and their regions), a handful each, well inside
    the few dozen Athena advises; `injected` would make every query name them in its WHERE, and the detection
    queries are written once for every source. The day is a `date`, like the CloudTrail table's.
    """
    home = f"s3://{destination_bucket_name(name_prefix, '${account}', '${region}')}/{LOG_PREFIX}"
    return _table_spec(
        description="S3 server access logs with partition projection on account, region, bucket and log_date",
        location=f"s3://{destination_bucket_name(name_prefix, accounts[0], regions[0])}/{LOG_PREFIX}",
        projected=projection(
            enums={"account": tuple(accounts), "region": tuple(regions), "bucket": tuple(buckets)},
            date_key="log_date",
            template=f"{home}${{account}}/${{region}}/${{bucket}}/${{log_date}}",
        ),
    )


def organization_table(
    bucket: str,
    *,
    accounts: Sequence[str] | None,
    regions: Sequence[str],
    buckets: Sequence[str],
    home_account: str,
) -> TableSpec:
    """The Glue table over the organization's access logs, replicated into one central `bucket` under the keys S3
    delivered them with. Account is an `enum` or `injected` as for the CloudTrail table (`account_projection`);
    region and bucket are the watched buckets' `enum`s. Every query names its accounts, regions and buckets."""
    location = f"s3://{bucket}/{LOG_PREFIX}"
    return _table_spec(
        description=f"S3 server access logs of an organization, projected on account ({account_projection(accounts)}), "
        "region, bucket and log_date",
        location=location,
        projected=organization_projection(
            accounts,
            {"region": tuple(regions), "bucket": tuple(buckets)},
            template=f"{location}${{account}}/${{region}}/${{bucket}}/${{log_date}}",
        ),
        query_filter=organization_filter(accounts, home_account=home_account, regions=regions, buckets=buckets),
    )


def _table_spec(
    *, description: str, location: str, projected: dict[str, str], query_filter: PartitionFilter | None = None
) -> TableSpec:
    return TableSpec(
        source=NAME,
        description=description,
        location=location,
        columns=tuple((name, "string") for name in COLUMN_NAMES),
        partition_keys=PARTITION_KEYS,
        serde="org.apache.hadoop.hive.serde2.RegexSerDe",
        serde_parameters={"input.regex": LINE_REGEX},
        input_format="org.apache.hadoop.mapred.TextInputFormat",
        output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        parameters={"EXTERNAL": "TRUE", **projected},
        query_filter=query_filter,
    )
