"""The local reader's access-log parser reads every line exactly as the source's line regex (Athena's) does, builds
only the columns the query reads, and its view has the table's shape."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from detector.core import queries
from detector.core.text import one_line
from detector.local.access_log_reader import TABLE, AccessLogSource, columns_read_by
from detector.local.cloudtrail_reader import CloudTrailSource
from detector.local.projection import Projection
from detector.local.source import BadFile, LocalSource, source_of
from detector.sources import access_logs
from detector.sources.access_logs import COLUMN_NAMES, parse_line
from tests.helpers import ACCESS_LOG_TABLE, AccessLogTree, access_log_line, load_access_logs, read_access_logs

AWS_EXAMPLE = (
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 "
    "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be "
    '3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" '
    '"S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 '
    "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 "
    "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1"
)
"""The first example line of https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html, verbatim."""

HOSTILE_LINES = [
    access_log_line(agent='curl/8.5.0 "x" aws-cli/1.11.10'),
    access_log_line(agent='x" - h SigV4 c AuthHeader e TLSv1.3', signature="SigV2"),
    access_log_line(agent='"'),
    access_log_line(agent='" "'),
    access_log_line(agent="-"),
    access_log_line(agent=""),
    access_log_line(agent=None),
    access_log_line(key='a" "b'),
    access_log_line(host="-", tls="TLSV1.1"),
    AWS_EXAMPLE.replace('"-"', "-"),
    AWS_EXAMPLE.replace('"S3Console/0.4"', "-"),
    AWS_EXAMPLE.replace('"GET /amzn-s3-demo-bucket1?versioning HTTP/1.1"', "-"),
    AWS_EXAMPLE.replace(" 200 ", " abc "),
    AWS_EXAMPLE.replace(" - 113 ", "  113 "),
    AWS_EXAMPLE + " ",
    AWS_EXAMPLE + "  ",
    AWS_EXAMPLE.replace("+0000", "+0100"),
    AWS_EXAMPLE.replace("Feb", "Fev"),
    AWS_EXAMPLE.replace("S3Console/0.4", "agent\u2028with\x85separators\u00e9"),
    AWS_EXAMPLE.replace("S3Console/0.4", "tab\there\x00nul"),
    "\x1b[2J" + AWS_EXAMPLE,
    "shopping list",
    "-",
    " " + AWS_EXAMPLE,
]
"""Quotes inside values, bare `-` for quoted fields, empty fields, trailing spaces, wrong times, separators Python and
Java treat as line ends elsewhere, and lines that are no record."""


def generated_lines() -> list[str]:
    """Every format generation, every prefix of AWS's example (a record or not, wherever it is cut), hostile lines,
    and the example with characters changed at random (seeded) into the ones the format turns on."""
    lines = [access_log_line(fields=count, request_id=f"F{count}") for count in range(15, 32)]
    lines += [AWS_EXAMPLE[:end] for end in range(1, len(AWS_EXAMPLE) + 1)]
    lines += HOSTILE_LINES
    rng = random.Random(20261127)
    for _ in range(400):
        chars = list(AWS_EXAMPLE)
        for _change in range(rng.randint(1, 4)):
            chars[rng.randrange(len(chars))] = rng.choice([" ", '"', "-", "x", "[", "]", "/", ":"])
        lines.append("".join(chars))
    return lines


def rows_of(source: AccessLogSource, data: bytes, path: str = "x") -> tuple[list[dict[str, Any]], Any]:
    parsed = source.parser().parse(data, path)
    table = parsed.batch.to_pydict()
    return [dict(zip(table, values, strict=True)) for values in zip(*table.values(), strict=True)], parsed


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_every_line_reads_as_the_line_regex_reads_it(line_end: str) -> None:
    # GIVEN a file of lines of every kind, with empty lines between some, and its lines' rows by the line regex
    lines = generated_lines()
    text = line_end.join(line if n % 7 else f"{line}{line_end}" for n, line in enumerate(lines)) + line_end
    expected = [dict(zip(COLUMN_NAMES, row, strict=True)) for line in lines if (row := parse_line(line)) is not None]
    bad = [line for line in lines if parse_line(line) is None]

    # WHEN the reader parses the file, reading every column
    rows, parsed = rows_of(AccessLogSource(), text.encode())

    # THEN it has the line regex's row for every record, in order, and counts every other line
    assert [{name: row[name] for name in COLUMN_NAMES} for row in rows] == expected
    assert (parsed.events, parsed.lines_skipped) == (len(expected), len(bad))
    # AND it shows the first few of them with their line numbers, control characters escaped
    assert [example.split(": ", 1)[1] for example in parsed.examples] == [one_line(line[:300]) for line in bad[:3]]


def test_invalid_utf8_is_replaced_as_athena_reads_it() -> None:
    # GIVEN a record whose User-Agent holds bytes that are not UTF-8
    data = AWS_EXAMPLE.replace("S3Console/0.4", "bad\udcffbytes").encode("utf-8", "surrogateescape") + b"\n"

    # WHEN the reader parses it
    rows, _parsed = rows_of(AccessLogSource(), data)

    # THEN the bytes read as the replacement character, the rest of the line as it is
    assert [row["useragent"] for row in rows] == ["bad\ufffdbytes"]
    assert rows[0]["tlsversion"] == "TLSV1.2"


def test_only_the_columns_the_detection_reads_are_built() -> None:
    # GIVEN the detection query over the access-log view
    sql = queries.render(queries.DETECTION, TABLE, source=access_logs.NAME)

    # WHEN the source is made for it and a record is parsed
    source = AccessLogSource.for_query(sql)
    rows, _parsed = rows_of(source, (AWS_EXAMPLE + "\n").encode())

    # THEN it reads some columns, not all: those the fragment maps, the time among them
    assert {"requestdatetime", "useragent", "sigv", "authtype", "tlsversion", "requestid"} <= set(source.columns)
    assert set(source.columns) < set(COLUMN_NAMES)
    assert not {"referrer", "ciphersuite", "accesspointarn", "aclrequired"} & set(source.columns)
    # AND the batch holds those columns and the path's partitions, nothing else
    assert list(rows[0]) == [*source.columns, "_account", "_region", "_bucket", "_log_date"]


@pytest.mark.parametrize(
    "sql", ["SELECT * FROM access_logs", "WITH t AS (SELECT * FROM access_logs) SELECT 1 FROM t"], ids=str
)
def test_a_star_over_the_view_reads_every_column(sql: str) -> None:
    # GIVEN a query selecting * from the view, directly or through a CTE
    # WHEN the columns it reads are worked out
    columns = columns_read_by(sql)

    # THEN they are every column
    assert columns == COLUMN_NAMES


def test_the_fingerprint_changes_with_the_columns_read() -> None:
    # GIVEN the source for every column and for the detection query
    everything = AccessLogSource()
    detection = AccessLogSource.for_query(queries.render(queries.DETECTION, TABLE, source=access_logs.NAME))

    # WHEN their fingerprints are compared, with each other and with a copy
    # THEN they differ, and a copy has the same
    assert everything.fingerprint != detection.fingerprint
    assert AccessLogSource(detection.columns).fingerprint == detection.fingerprint
    assert everything.fingerprint.startswith("access_logs-")


def test_the_view_has_the_tables_rows_in_both_layouts_and_outside_them(tmp_path: Path) -> None:
    # GIVEN access logs in the partitioned layout, the simple one, and a file outside both, one of its lines bad
    tree = AccessLogTree(tmp_path)
    tree.write([access_log_line(request_id="P1"), access_log_line(request_id="P2", fields=18)])
    tree.write([access_log_line(request_id="S1", when="21/Nov/2026:23:00:00")], layout="simple", day=date(2026, 11, 22))
    outside = tree.write([access_log_line(request_id="O1", when="19/Nov/2026:10:00:00"), "bad"], name="other/a.log")

    # WHEN the source's parser loads them into a table, and the local reader into its view (the file outside the
    # layouts named, as a folder walk passes over its name)
    table = load_access_logs([tmp_path]).connection
    view = read_access_logs([tmp_path, outside]).connection

    # THEN both have the same rows, column for column: the partitions from the key, the record's day outside it
    query = f"SELECT * FROM {ACCESS_LOG_TABLE} ORDER BY requestid"
    assert view.execute(query).fetchall() == table.execute(query).fetchall()
    assert [d[0] for d in view.execute(query).description] == [d[0] for d in table.execute(query).description]
    days = dict(view.execute(f"SELECT requestid, log_date FROM {ACCESS_LOG_TABLE}").fetchall())
    assert days == {"P1": "2026/11/20", "P2": "2026/11/20", "S1": "2026/11/22", "O1": "2026/11/19"}


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'{"Records": []}', "cloudtrail"),
        (b"  \n[1, 2]", "cloudtrail"),
        ((AWS_EXAMPLE + "\n").encode(), "access_logs"),
        (("not a record\n" + AWS_EXAMPLE[:120]).encode(), "access_logs"),
    ],
    ids=["cloudtrail", "json-array", "access-log", "record-after-a-bad-line-cut-short"],
)
def test_each_file_goes_to_the_source_its_content_is(head: bytes, expected: str) -> None:
    # GIVEN both sources, and a file's first bytes
    sources: list[LocalSource] = [CloudTrailSource(Projection.everything()), AccessLogSource()]

    # WHEN the source for the file is chosen
    chosen = source_of(sources, head)

    # THEN it is the one whose content the file holds
    assert chosen.name == expected


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b" \n\n", "empty file"),
        (b"shopping list\nmilk\n", "not a log file: neither a CloudTrail log file"),
        (b"\x00\x01binary", "not a log file: neither a CloudTrail log file"),
    ],
    ids=["empty", "blank", "text", "binary"],
)
def test_a_file_neither_source_recognises_is_reported_as_neither(data: bytes, reason: str) -> None:
    # GIVEN both sources, and a file that is empty or neither log
    sources: list[LocalSource] = [CloudTrailSource(Projection.everything()), AccessLogSource()]

    # WHEN the source for the file is chosen
    # THEN it is refused, saying what the file should have been
    with pytest.raises(BadFile, match=reason) as refused:
        source_of(sources, data)
    assert "S3 server access log" in str(refused.value) or reason == "empty file"
