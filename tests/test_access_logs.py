"""The access-log source: every line format S3 has written, hostile quoting, bad lines counted, both key layouts."""

from __future__ import annotations

import gzip
import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from detector.core.window import Window
from detector.sources import access_logs
from detector.sources.access_logs import COLUMN_NAMES, NOT_ACCESS_LOG, parse_file, parse_line, parse_log_path
from tests.helpers import AccessLogTree, access_log_line, load_access_logs

AWS_EXAMPLE = (
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 "
    "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be "
    '3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" '
    '"S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 '
    "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 "
    "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1"
)
"""The first example line of https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html, verbatim."""


def fields(line: str) -> dict[str, str | None]:
    row = parse_line(line)
    assert row is not None, line
    return dict(zip(COLUMN_NAMES, row, strict=True))


# --- the line format ----------------------------------------------------------------------------------------------


def test_aws_example_line_gives_every_field_in_its_column() -> None:
    # GIVEN AWS's own example record
    # WHEN it is parsed
    record = fields(AWS_EXAMPLE)
    # THEN each of the 27 fields is in its column, the time without brackets and the quoted values without quotes
    assert record["requestdatetime"] == "06/Feb/2019:00:00:38 +0000"
    assert record["request_uri"] == "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1"
    assert record["referrer"] == "-"
    assert record["useragent"] == "S3Console/0.4"
    assert (record["sigv"], record["authtype"], record["tlsversion"]) == ("SigV4", "AuthHeader", "TLSV1.2")
    assert record["endpoint"] == "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com"
    assert (record["aclrequired"], record["sourceregion"]) == ("Yes", "us-east-1")


@pytest.mark.parametrize(
    ("count", "last"),
    [(18, "versionid"), (20, "sigv"), (24, "tlsversion"), (26, "aclrequired"), (27, "sourceregion")],
    ids=str,
)
def test_a_line_of_any_format_generation_keeps_the_fields_it_has(count: int, last: str) -> None:
    # GIVEN a line that ends after `count` fields, as S3 wrote them before later fields were appended
    line = access_log_line(fields=count, signature="SigV2", tls="TLSv1.1")
    # WHEN it is parsed
    record = fields(line)
    # THEN every field up to the last one it has is read, and the later ones are NULL
    present = COLUMN_NAMES[: COLUMN_NAMES.index(last) + 1]
    assert all(record[name] is not None for name in present)
    assert all(record[name] is None for name in COLUMN_NAMES[len(present) :])
    # AND a Signature Version or TLS version the line carries is in its column, whatever came after
    if count >= 20:
        assert record["sigv"] == "SigV2"
    if count >= 24:
        assert record["tlsversion"] == "TLSv1.1"


def test_a_line_from_before_signature_version_existed_is_a_record_without_signature() -> None:
    # GIVEN a 2014-format line: it ends at Version Id
    line = access_log_line(fields=18)
    # WHEN it is parsed
    record = fields(line)
    # THEN it is a record whose signature, authentication and TLS fields are unknown
    assert record["versionid"] == "-"
    assert record["sigv"] is record["authtype"] is record["tlsversion"] is None


def test_unknown_trailing_fields_are_ignored() -> None:
    # GIVEN a line with three fields after Source region, as AWS may append
    line = access_log_line(fields=30, signature="SigV2")
    # WHEN it is parsed
    record = fields(line)
    # THEN the 27 known fields are read as usual and the others dropped
    assert record["sigv"] == "SigV2"
    assert record["sourceregion"] == "us-east-1"
    assert len(parse_line(line) or ()) == len(COLUMN_NAMES)


@pytest.mark.parametrize(
    "agent",
    [
        'Mozilla/5.0 (iPad; CPU OS 13_1 like Mac OS X) Safari/604.1"',
        '() { :;}; echo; echo "pwned"',
        'aws-cli/1.11.10 "quoted" botocore/1.4.67',
        'evil" - x SigV4 y AuthHeader h TLSv1.3 - - r',
    ],
)
def test_a_user_agent_holding_quotes_is_read_whole_and_cannot_move_the_fields_after_it(agent: str) -> None:
    # GIVEN a SigV2, TLS 1.0 request whose User-Agent holds `"` (S3 logs them unescaped), one of them
    # forging the fields that follow it
    line = access_log_line(agent=agent, signature="SigV2", tls="TLSv1")
    # WHEN it is parsed
    record = fields(line)
    # THEN the agent is read whole, and the Signature Version and TLS version are S3's own
    assert record["useragent"] == agent
    assert (record["sigv"], record["tlsversion"], record["authtype"]) == ("SigV2", "TLSv1", "AuthHeader")


def test_a_referer_and_request_uri_holding_quotes_are_read() -> None:
    # GIVEN a line whose Request-URI and Referer hold `"`
    line = access_log_line(agent="curl/7.38.0")
    line = line.replace('"GET /a/b.txt HTTP/1.1"', '"GET /" HTTP/1.1"').replace('"-"', '"() { echo "x"; }"', 1)
    # WHEN it is parsed
    record = fields(line)
    # THEN each is read whole and the agent after them too
    assert record["request_uri"] == 'GET /" HTTP/1.1'
    assert record["referrer"] == '() { echo "x"; }'
    assert record["useragent"] == "curl/7.38.0"


def test_a_bare_dash_and_a_quoted_dash_are_both_read_as_unknown_values() -> None:
    # GIVEN one line with the agent as `"-"`, and one with a bare `-`
    quoted = access_log_line(agent=None)
    bare = quoted.replace('"-" "-"', '"-" -')
    # WHEN they are parsed
    # THEN the quoted one reads `-` and the bare one NULL, as Athena reads them (the fragment makes both NULL)
    assert fields(quoted)["useragent"] == "-"
    assert fields(bare)["useragent"] is None


@pytest.mark.parametrize(
    "line",
    [
        access_log_line()[:150],
        access_log_line().split(' "aws-sdk-java')[0] + ' "aws-sdk-java/2.29.0 Linux',
        access_log_line().replace("+0000]", "-0700]"),
        access_log_line().replace("/Nov/", "/Nov./"),
        '{"Records": []}',
        "",
    ],
    ids=["cut-mid-line", "cut-in-the-agent", "not-utc", "bad-month", "json", "blank"],
)
def test_a_line_that_is_not_a_record_does_not_parse(line: str) -> None:
    # GIVEN a truncated line, a time S3 does not write, or something else entirely
    # WHEN it is parsed
    # THEN it is not a record
    assert parse_line(line) is None


# --- files ----------------------------------------------------------------------------------------------------------


def test_bad_lines_are_counted_per_file_with_examples_and_the_rest_is_read(tmp_path: Path) -> None:
    # GIVEN a file of three records, a truncated line and a line with a terminal escape
    path = tmp_path / "2026-11-20-00-05-00-0123456789ABCDEF"
    records = [access_log_line(request_id=f"REQ{n}") for n in range(3)]
    path.write_text("\n".join([records[0], records[1][:100], records[1], "\x1b[2Jgarbage", records[2]]) + "\n")
    # WHEN the file is parsed
    parsed = parse_file(path)
    # THEN the three records are rows, the two other lines are counted with their line numbers
    assert [row[COLUMN_NAMES.index("requestid")] for row in parsed.rows] == ["REQ0", "REQ1", "REQ2"]
    assert parsed.bad_lines == 2
    assert [bad.number for bad in parsed.examples] == [2, 4]
    # AND the report names the count, and shows the lines with their control characters escaped
    problem = parsed.problem() or ""
    assert problem.startswith("2 line(s) are not S3 server access log records")
    assert "\x1b" not in problem
    assert "\\x1b[2Jgarbage" in problem


def test_a_file_that_is_neither_source_is_reported_as_not_an_access_log(tmp_path: Path) -> None:
    # GIVEN a CloudTrail log file and a text file of something else
    cloudtrail = tmp_path / "trail.json.gz"
    cloudtrail.write_bytes(gzip.compress(json.dumps({"Records": [{"eventName": "GetObject"}]}).encode()))
    text = tmp_path / "notes.txt"
    text.write_text("shopping list\nmilk\n")
    # WHEN each is parsed as an access log
    results = [parse_file(path) for path in (cloudtrail, text)]
    # THEN neither is an access log, and each says so with no row read
    assert [r.is_access_log for r in results] == [False, False]
    assert [r.problem() for r in results] == [NOT_ACCESS_LOG, NOT_ACCESS_LOG]
    assert [r.rows for r in results] == [[], []]


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"", "empty file"), (b"\x1f\x8b\x08\x00garbage", "corrupt or truncated gzip file")],
    ids=["empty", "corrupt-gzip"],
)
def test_an_empty_or_corrupt_file_is_reported(tmp_path: Path, content: bytes, expected: str) -> None:
    # GIVEN an empty file, or one that starts like gzip and is not
    path = tmp_path / "2026-11-20-00-05-00-0123456789ABCDEF"
    path.write_bytes(content)
    # WHEN it is parsed
    parsed = parse_file(path)
    # THEN its problem says which, and nothing is read
    assert (parsed.problem() or "").startswith(expected)
    assert parsed.rows == []


def test_a_gzipped_download_and_crlf_lines_are_read_like_the_plain_file(tmp_path: Path) -> None:
    # GIVEN the same two records as a plain file, gzipped, and with Windows line ends
    lines = [access_log_line(request_id="A"), access_log_line(request_id="B")]
    plain, zipped, crlf = tmp_path / "plain", tmp_path / "zipped.gz", tmp_path / "crlf"
    plain.write_text("\n".join(lines) + "\n")
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    crlf.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    # WHEN each is parsed
    rows = [parse_file(path).rows for path in (plain, zipped, crlf)]
    # THEN all give the same rows
    assert rows[0] == rows[1] == rows[2]
    assert len(rows[0]) == 2


def test_rows_turn_into_one_list_per_column() -> None:
    # GIVEN two parsed records, one of them from before Signature Version existed
    rows = [parse_line(access_log_line(fields=18)), parse_line(access_log_line())]
    # WHEN they are turned into columns
    columns = access_logs.columns([row for row in rows if row is not None])
    # THEN every column has a value per record, NULL where the older line ends
    assert list(columns) == list(COLUMN_NAMES)
    assert columns["sigv"] == [None, "SigV4"]
    assert all(len(values) == 2 for values in columns.values())


def test_content_sniffing_tells_an_access_log_from_a_cloudtrail_file() -> None:
    # GIVEN the first bytes of an access log and of a CloudTrail log
    # WHEN each is sniffed
    # THEN only the access log looks like one
    assert access_logs.looks_like_access_log((AWS_EXAMPLE + "\n" + AWS_EXAMPLE[:40]).encode())
    assert not access_logs.looks_like_access_log(b'{"Records":[{"eventVersion":"1.10"}]}')


# --- duplicates ------------------------------------------------------------------------------------------------------


def test_a_record_delivered_twice_is_one_event_but_records_of_one_request_are_kept(tmp_path: Path) -> None:
    # GIVEN a record delivered in two files, and a copy request's GET and PUT halves sharing one request ID
    tree = AccessLogTree(tmp_path)
    twice = access_log_line(request_id="DUP1", signature="SigV2")
    get_half = access_log_line(request_id="COPY1", operation="REST.COPY.OBJECT_GET", key="src.txt")
    put_half = access_log_line(request_id="COPY1", operation="REST.COPY.OBJECT", key="dst.txt")
    tree.write([twice, get_half])
    tree.write([twice, put_half], day=date(2026, 11, 21))
    catalog = load_access_logs([tmp_path])
    # WHEN the requests are counted
    (row,) = catalog.run("requesters", Window())
    # THEN the twice-delivered record counts once and both copy halves count
    assert row["requests"] == 3
    assert row["sigv2_requests"] == 1


# --- where the files are -------------------------------------------------------------------------------------------


def test_partitioned_key_gives_account_region_bucket_and_day() -> None:
    # GIVEN a key in the date-based partitioned layout, under a prefix
    key = "s3-access-logs/111122223333/eu-west-1/legacy.data-1/2026/11/20/2026-11-20-13-05-12-0123456789ABCDEF"
    # WHEN its partition values are read
    location = parse_log_path(key)
    # THEN they are the source bucket's account, region and name and the day in the key
    assert location == access_logs.AccessLogLocation(
        date(2026, 11, 20), datetime(2026, 11, 20, 13, 5, 12), "111122223333", "eu-west-1", "legacy.data-1"
    )
    assert location.partitioned


@pytest.mark.parametrize(
    "path", ["logs/2026-11-20-13-05-12-0123456789ABCDEF", "C:\\dl\\logs-2026-11-20-13-05-12-0123456789ABCDEF"]
)
def test_simple_key_gives_the_delivery_day_only(path: str) -> None:
    # GIVEN a key in the simple layout, its prefix with or without a slash, or a downloaded Windows path
    # WHEN its partition values are read
    location = parse_log_path(path)
    # THEN only the delivery day and time are known
    assert location == access_logs.AccessLogLocation(date(2026, 11, 20), datetime(2026, 11, 20, 13, 5, 12))
    assert not location.partitioned


@pytest.mark.parametrize(
    "path", ["logs/notes.txt", "logs/2026-13-20-13-05-12-ABC", "x/111122223333/eu-west-1/b1/2026/02/30/2026-02-30-0"]
)
def test_a_path_in_neither_layout_has_no_partition_values(path: str) -> None:
    # GIVEN a path that is not a log key, or names a day that does not exist
    # WHEN its partition values are read
    # THEN there are none
    assert parse_log_path(path) is None


def test_keys_written_in_each_layout_read_back_as_written() -> None:
    # GIVEN a delivery time and a source bucket
    delivered = datetime(2026, 11, 20, 23, 59, 1)
    source = ("111122223333", "ap-southeast-2", "legacy-a")
    # WHEN a key is written in each layout and read back
    partitioned = parse_log_path(access_logs.partitioned_key("p/", source, delivered, "ABC"))
    simple = parse_log_path(access_logs.simple_key("p/", delivered, "ABC"))
    # THEN each gives what was written
    assert partitioned is not None
    assert (partitioned.account, partitioned.region, partitioned.bucket) == source
    assert simple is not None
    assert partitioned.delivered == simple.delivered == delivered


# --- the Glue table -----------------------------------------------------------------------------------------------


def test_table_reads_lines_with_the_parsers_own_regex_and_projects_four_partitions() -> None:
    # GIVEN the table over two regions' access-log buckets
    spec = access_logs.table(
        "det-access", accounts=["111122223333"], regions=["us-east-1", "eu-west-1"], buckets=["legacy-a", "legacy-b"]
    )
    # WHEN its SerDe and projection are read
    parameters = spec.parameters
    # THEN RegexSerDe reads each line with the regex the Python parser uses, into the source's 27 string columns
    assert spec.serde == "org.apache.hadoop.hive.serde2.RegexSerDe"
    assert spec.serde_parameters == {"input.regex": access_logs.LINE_REGEX}
    assert [name for name, _type in spec.columns] == list(COLUMN_NAMES)
    # AND account, region and bucket are enums of the given values, the day a date
    assert spec.partition_keys == ("account", "region", "bucket", "log_date")
    assert parameters["projection.region.values"] == "us-east-1,eu-west-1"
    assert parameters["projection.bucket.values"] == "legacy-a,legacy-b"
    assert parameters["projection.log_date.type"] == "date"
    # AND every region's bucket is reached through the one location template
    assert parameters["storage.location.template"] == (
        "s3://det-access-${account}-${region}/s3-access-logs/${account}/${region}/${bucket}/${log_date}"
    )


def test_the_regex_uses_only_what_java_and_python_read_alike() -> None:
    # GIVEN the line regex Athena's RegexSerDe (java.util.regex) and Python's re both run
    regex = access_logs.LINE_REGEX
    # WHEN its constructs are listed
    groups = re.compile(regex).groups
    # THEN it has one capturing group per column, and no named group, lookaround, backreference or possessive form
    assert groups == len(COLUMN_NAMES)
    assert not re.search(r"\(\?P|\(\?<|\(\?=|\(\?!|\\[1-9]|[*+?}]\+", regex)


def test_a_line_athena_could_not_match_is_left_out_not_counted_as_an_anonymous_request(tmp_path: Path) -> None:
    # GIVEN one record, and the all-NULL row Athena's RegexSerDe returns for a line its regex does not match
    AccessLogTree(tmp_path).write([access_log_line(request_id="ONLY")])
    catalog = load_access_logs([tmp_path])
    names = ", ".join(["NULL"] * (len(COLUMN_NAMES) + len(access_logs.PARTITION_KEYS) - 1))
    catalog.connection.execute(f"INSERT INTO access_logs VALUES ({names}, '2026/11/20')")
    # WHEN the requests are counted
    rows = catalog.run("requesters", Window())
    # THEN only the record counts
    assert [(row["principal_arn"], row["requests"]) for row in rows] == [("arn:aws:iam::111122223333:user/app", 1)]
