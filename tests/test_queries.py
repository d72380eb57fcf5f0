"""Every named query over every source: valid Athena (Trino) SQL, and on DuckDB the same answer as the oracle."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from detector.core import queries
from detector.core.events import EVENT_COLUMNS
from detector.core.findings import Finding, ranked
from detector.core.window import Window
from detector.local.duckdb_engine import to_duckdb
from detector.local.loading import LocalCatalog
from detector.local.projection import TABLE
from detector.sources import access_logs, cloudtrail
from samples.access_logs import DEMO_ACCESS_LOGS, LAYOUTS, generate_access_logs
from tests import oracle
from tests.helpers import (
    ACCESS_LOG_READERS,
    ACCESS_LOG_TABLE,
    DEMO_LOGS,
    GENERATED,
    GENERATED_SEEDS,
    AccessLogCatalog,
    AccessLogTree,
    LogTree,
    ReaderCatalog,
    access_log_line,
    cloudtrail_event,
    load_catalog,
)
from tests.oracle import OracleWindow

QUERY_NAMES = queries.names()
SOURCES = queries.sources()
WINDOWS = {
    "all-time": (None, None),
    "one-day": (date(2026, 11, 21), date(2026, 11, 21)),
    "since-only": (date(2026, 11, 22), None),
    "until-only": (None, date(2026, 11, 20)),
}
SINCE, UNTIL = date(2026, 11, 20), date(2026, 11, 21)
LOUD_AGENT = "[aws-cli/1.11.10 Python/2.7.8 Linux/3.2.0-4-amd64 botocore/1.4.67]"
"""Outdated, and sent here SigV2 over TLS 1.0 from us-east-1: every query has a row for it."""


def parsed(name: str, source: str) -> exp.Expr:
    return sqlglot.parse_one(
        queries.render(name, source, source=source), read="trino", error_level=sqlglot.ErrorLevel.RAISE
    )


AnyCatalog = LocalCatalog | AccessLogCatalog | ReaderCatalog


def sql_rows(catalog: AnyCatalog, name: str, since: date | None, until: date | None) -> list[str]:
    """The query's rows; detection rows as the Findings the report carries."""
    rows = catalog.run(name, Window(since, until))
    if name == queries.DETECTION:
        rows = [Finding.from_row(row).to_dict() for row in rows]
    return oracle.canonical(rows)


def oracle_rows(events: list[oracle.Event], name: str, since: date | None, until: date | None) -> list[str]:
    return oracle.canonical(oracle.QUERIES[name](events, OracleWindow(since, until)))


def test_every_named_query_has_an_oracle() -> None:
    # GIVEN the named queries
    # WHEN they are compared with the oracle's queries
    names = set(QUERY_NAMES)

    # THEN each has an oracle, and the oracle has no others
    assert names == set(oracle.QUERIES)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_is_valid_trino_sql(name: str, source: str) -> None:
    # GIVEN a named query rendered for a source's table
    # WHEN it is parsed as Trino SQL
    query = parsed(name, source)

    # THEN it parses, as a query
    assert isinstance(query, exp.Query)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_takes_the_window_as_four_parameters(name: str, source: str) -> None:
    # GIVEN a named query over a source, parsed as Trino SQL
    # WHEN its placeholders are found
    placeholders = list(parsed(name, source).find_all(exp.Placeholder))

    # THEN there are as many as a window has parameters
    assert len(placeholders) == queries.PARAMETER_COUNT == len(Window().parameters())


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_filters_the_log_date_partition_by_the_first_two_parameters(name: str, source: str) -> None:
    # GIVEN a named query over a source, parsed as Trino SQL
    # WHEN its BETWEENs on the log_date column are found
    ranges = [
        between
        for between in parsed(name, source).find_all(exp.Between)
        if isinstance(between.this, exp.Column) and between.this.name == "log_date"
    ]

    # THEN there is one, from a parameter to a parameter
    assert len(ranges) == 1
    assert isinstance(ranges[0].args["low"], exp.Placeholder)
    assert isinstance(ranges[0].args["high"], exp.Placeholder)


@pytest.fixture(scope="session")
def generated_catalog(generated_logs: Path) -> tuple[LocalCatalog, list[Path]]:
    return load_catalog([generated_logs]), oracle.log_files(generated_logs)


@pytest.mark.parametrize("window", WINDOWS, ids=str)
@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_agrees_with_the_oracle_on_generated_logs(
    generated_catalog: tuple[LocalCatalog, list[Path]], name: str, window: str
) -> None:
    # GIVEN the generated logs, loaded in DuckDB and read by the oracle for the window
    catalog, files = generated_catalog
    since, until = WINDOWS[window]
    events = oracle.read_events(files, OracleWindow(since, until))

    # WHEN the oracle answers the query
    expected = oracle_rows(events, name, since, until)

    # THEN no file was skipped, and over all time the oracle found something
    assert catalog.skipped == []
    assert expected or window != "all-time", "the generated logs should give every query something to find"
    # AND the SQL on DuckDB gives the oracle's answer
    assert sql_rows(catalog, name, since, until) == expected


@pytest.fixture(
    scope="session",
    params=[(seed, layout, reader) for seed in GENERATED_SEEDS for layout in LAYOUTS for reader in ACCESS_LOG_READERS],
    ids=str,
)
def generated_access_logs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[AccessLogCatalog | ReaderCatalog, list[Path]]:
    """The generated requests of one seed written as access logs in one layout, parsed and loaded by one reader."""
    seed, layout, reader = request.param
    root = tmp_path_factory.mktemp(f"access-{seed}-{layout}")
    list(generate_access_logs(root, layout=layout, seed=seed, **GENERATED))
    return ACCESS_LOG_READERS[reader]([root]), oracle.access_log_files(root)


@pytest.mark.parametrize("window", WINDOWS, ids=str)
@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_agrees_with_the_oracle_on_generated_access_logs(
    generated_access_logs: tuple[AccessLogCatalog | ReaderCatalog, list[Path]], name: str, window: str
) -> None:
    # GIVEN generated access logs, parsed into DuckDB (by the source's parser, or the local reader), and read by the
    # oracle's own scanner for the window
    catalog, files = generated_access_logs
    since, until = WINDOWS[window]
    events = oracle.read_access_log_events(files, OracleWindow(since, until))

    # WHEN the oracle answers the query
    expected = oracle_rows(events, name, since, until)

    # THEN every file parsed whole, and over all time the oracle found something
    assert catalog.problems == {}
    assert expected or window != "all-time", "the generated logs should give every query something to find"
    # AND the SQL on DuckDB gives the oracle's answer
    assert sql_rows(catalog, name, since, until) == expected


TRICKY_EVENTS = [
    cloudtrail_event(
        arn="arn:aws:iam::111122223333:user/a", agent="[Boto3/1.44.8 ua/2.1 os/linux m/Z,b]", signature="SigV2"
    ),
    cloudtrail_event(
        arn="arn:aws:iam::111122223333:user/a",
        agent="[Boto3/1.44.8 ua/2.1 os/linux m/E]",
        signature="SigV2",
        errorCode="SignatureDoesNotMatch",
    ),
    cloudtrail_event(arn="arn:aws:iam::111122223333:user/a", agent="Boto3/1.44.8 ua/2.1 m/E os/linux", tls="TLSv1.1"),
    cloudtrail_event(arn="arn:aws:iam::111122223333:user/b", agent=None, signature="SigV2", auth="QueryString"),
    cloudtrail_event(arn="arn:aws:iam::111122223333:user/b", agent="", tls=None, signature=None, auth=None),
    cloudtrail_event(arn="arn:aws:iam::111122223333:user/c", agent="[rclone/]", source_ip=None, signature="SigV2"),
    cloudtrail_event(arn="arn:aws:iam::111122223333:user/d", agent="[boto3/1.4.5 Python/2.7 botocore/1.5.70]"),
    cloudtrail_event(arn="arn:aws:iam::111122223333:user/d", agent="[Boto3/1.4.5 Python/2.7 Botocore/1.5.70]"),
    cloudtrail_event(
        arn="arn:aws:iam::111122223333:user/e",
        agent="aws-sdk-dotnet-45/3.1.9.9 .NET_Runtime/4.0",
        region="eu-central-1",
    ),
    cloudtrail_event(arn=None, agent="[curl/8.5.0]", signature="SigV2", tls="TLSv1"),
    cloudtrail_event(arn=None, agent="[aws-sdk-nodejs/2.67.0 linux/v8.11.1 callback]", source_ip="203.0.113.9"),
    cloudtrail_event(
        arn="arn:aws:iam::111122223333:user/f",
        agent="[aws-cli/1.11.10]",
        userIdentity={"type": "AssumedRole", "arn": "arn:aws:iam::111122223333:user/f", "invokedBy": "AWS Internal"},
    ),
    cloudtrail_event(arn="arn:aws:iam::111122223333:user/f", agent="[aws-cli/1.11.10]", source_ip="AWS Internal"),
    cloudtrail_event(arn="arn:aws:iam::111122223333:user/f", agent="[aws-cli/1.11.10]", source_ip="s3.amazonaws.com"),
    cloudtrail_event(
        arn="arn:aws:iam::111122223333:user/f", agent="[aws-cli/1.11.10 StorageGateway]", signature="SigV2"
    ),
    cloudtrail_event(
        arn="arn:aws:iam::111122223333:user/f", agent="[aws-cli/1.11.10]", eventSource="ec2.amazonaws.com"
    ),
    cloudtrail_event(arn="arn:aws:iam::111122223333:user/g", agent="[aws-cli/1.11.10]", when="2026-11-19T23:59:59Z"),
    cloudtrail_event(arn="arn:aws:iam::111122223333:user/g", agent="[aws-cli/1.11.10]", when="2026-11-20T00:00:00Z"),
    cloudtrail_event(arn="arn:aws:iam::111122223333:user/g", agent="[aws-cli/1.11.10]", when="2026-11-21T23:59:59Z"),
    cloudtrail_event(arn="arn:aws:iam::111122223333:user/g", agent="[aws-cli/1.11.10]", when="2026-11-22T00:00:00Z"),
    cloudtrail_event(
        arn="arn:aws:iam::111122223333:user/h",
        agent="[aws-sdk-java/1.11.100]",
        bucket_name="b2",
        event_name="PutObject",
    ),
    cloudtrail_event(
        arn="arn:aws:iam::111122223333:user/h",
        agent="[aws-sdk-java/1.11.100]",
        region="ap-southeast-1",
        signature="SigV2",
        errorCode="AccessDenied",
    ),
    cloudtrail_event(arn="arn:aws:iam::111122223333:user/i", agent="[aws-cli/2.15.0]", tls="TLSv1"),
    cloudtrail_event(
        arn="arn:aws:iam::111122223333:user/i", agent="[aws-cli/2.15.0]", tls="TLSv1", when="2026-11-21T01:00:00Z"
    ),
]
"""Edges the generator does not reach: UA 2.1 variants, missing fields, AWS traffic, window boundaries, failed
requests, a modern client on TLS 1.0 (ranked above an outdated SDK that signs SigV4)."""


@pytest.fixture(scope="module")
def tricky_catalog(tmp_path_factory: pytest.TempPathFactory) -> LocalCatalog:
    tree = LogTree(tmp_path_factory.mktemp("tricky"))
    tree.write(TRICKY_EVENTS[:12], day=date(2026, 11, 20))
    tree.write(TRICKY_EVENTS[12:], day=date(2026, 11, 21), region="eu-west-1")
    return load_catalog([tree.root])


@pytest.mark.parametrize("window", [(None, None), (SINCE, UNTIL), (UNTIL, None)], ids=str)
@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_agrees_with_the_oracle_on_tricky_events(
    tricky_catalog: LocalCatalog, name: str, window: tuple[date | None, date | None]
) -> None:
    # GIVEN the tricky events, loaded in DuckDB, and a window
    since, until = window

    # WHEN the oracle answers the query
    expected = oracle_rows(TRICKY_EVENTS, name, since, until)

    # THEN over all time the oracle found something
    assert expected or window != (None, None), "the tricky events should give every query something to find"
    # AND the SQL on DuckDB gives the oracle's answer
    assert sql_rows(tricky_catalog, name, since, until) == expected


USER = "arn:aws:iam::111122223333:user"
OLD_CLI = "aws-cli/1.11.10 Python/2.7.8 Linux/3.2.0-4-amd64 botocore/1.4.67"
TRICKY_ACCESS_LINES = [
    access_log_line(arn=f"{USER}/a", agent="Boto3/1.44.8 ua/2.1 os/linux m/Z,b", signature="SigV2", request_id="R1"),
    access_log_line(arn=f"{USER}/a", agent="Boto3/1.44.8 ua/2.1 os/linux m/E", signature="SigV2", request_id="R2"),
    access_log_line(arn=f"{USER}/a", agent="Boto3/1.44.8 ua/2.1 m/E os/linux", tls="TLSV1.1", request_id="R3"),
    access_log_line(arn=f"{USER}/b", agent=None, signature="SigV2", auth="QueryString", request_id="R4"),
    access_log_line(arn=f"{USER}/b", agent="", tls=None, signature=None, auth=None, request_id="R5"),
    access_log_line(arn=f"{USER}/c", agent='curl/8.5.0 "x" aws-cli/1.11.10', source_ip=None, request_id="R6"),
    access_log_line(arn=f"{USER}/c", agent='x" - h SigV4 c AuthHeader e TLSv1.3', signature="SigV2", request_id="R7"),
    access_log_line(arn=f"{USER}/d", agent="boto3/1.4.5 Python/2.7 botocore/1.5.70", fields=18, request_id="R8"),
    access_log_line(arn=f"{USER}/d", agent="Boto3/1.4.5 Python/2.7 Botocore/1.5.70", fields=26, request_id="R9"),
    access_log_line(arn=f"{USER}/e", agent="aws-sdk-dotnet-45/3.1.9.9 .NET_Runtime/4.0", fields=31, request_id="R10"),
    access_log_line(arn=None, agent="curl/8.5.0", signature="SigV2", tls="TLSv1", request_id="R11"),
    access_log_line(arn="svc:cloudfront.amazonaws.com", agent=OLD_CLI, signature="SigV2", request_id="R12"),
    access_log_line(arn="AmazonS3", agent="-", operation="S3.EXPIRE.OBJECT", signature=None, request_id="R13"),
    access_log_line(arn=f"{USER}/f", agent=f"S3Console/0.4, aws-internal/3 {OLD_CLI}", request_id="R14"),
    access_log_line(arn=f"{USER}/f", agent=OLD_CLI, source_ip="s3.amazonaws.com", request_id="R15"),
    access_log_line(
        arn="79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
        agent=OLD_CLI,
        error="AccessDenied",
        request_id="R16",
    ),
    access_log_line(arn=f"{USER}/g", agent=OLD_CLI, when="19/Nov/2026:23:59:59", request_id="R17"),
    access_log_line(arn=f"{USER}/g", agent=OLD_CLI, when="20/Nov/2026:00:00:00", request_id="R18"),
    access_log_line(arn=f"{USER}/g", agent=OLD_CLI, when="21/Nov/2026:23:59:59", request_id="R19"),
    access_log_line(arn=f"{USER}/g", agent=OLD_CLI, when="22/Nov/2026:00:00:00", request_id="R20"),
    access_log_line(arn=f"{USER}/h", agent="aws-sdk-java/1.11.100", bucket_name="b2", request_id="R21"),
    access_log_line(
        arn="arn:aws:sts::111122223333:assumed-role/etl/i-1",
        agent="aws-sdk-java/1.11.100",
        signature="SigV2",
        request_id="R22",
    ),
    access_log_line(arn=f"{USER}/a", agent="Boto3/1.44.8 ua/2.1 os/linux m/Z,b", signature="SigV2", request_id="R1"),
    access_log_line()[:120],
]
"""Edges of the access-log source: quoting, every format generation, AWS's own requesters, a duplicate, a bad line."""

SIMPLE_LAYOUT_LINES = [
    access_log_line(arn=f"{USER}/i", agent=OLD_CLI, host="legacy.s3-us-west-2.amazonaws.com", request_id="S1"),
    access_log_line(
        arn=f"{USER}/i",
        agent=OLD_CLI,
        host="legacy.s3.dualstack.ap-southeast-1.amazonaws.com",
        signature="SigV2",
        request_id="S2",
    ),
    access_log_line(arn=f"{USER}/i", agent=OLD_CLI, host="s3.amazonaws.com", request_id="S3"),
    access_log_line(arn=f"{USER}/i", agent=OLD_CLI, host="-", request_id="S4"),
]
"""Keys without a region: the Host header names it, or nothing does."""


@pytest.fixture(scope="module", params=ACCESS_LOG_READERS)
def tricky_access_logs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[AccessLogCatalog | ReaderCatalog, list[Path]]:
    tree = AccessLogTree(tmp_path_factory.mktemp("tricky-access"))
    tree.write(TRICKY_ACCESS_LINES[:12], day=date(2026, 11, 20))
    tree.write(TRICKY_ACCESS_LINES[12:-2], day=date(2026, 11, 21), region="eu-west-1", bucket="b-eu")
    tree.write(TRICKY_ACCESS_LINES[-2:], day=date(2026, 11, 22))
    tree.write(SIMPLE_LAYOUT_LINES, day=date(2026, 11, 21), layout="simple")
    return ACCESS_LOG_READERS[request.param]([tree.root]), oracle.access_log_files(tree.root)


@pytest.mark.parametrize("window", [(None, None), (SINCE, UNTIL), (UNTIL, None)], ids=str)
@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_agrees_with_the_oracle_on_tricky_access_log_lines(
    tricky_access_logs: tuple[AccessLogCatalog | ReaderCatalog, list[Path]],
    name: str,
    window: tuple[date | None, date | None],
) -> None:
    # GIVEN the tricky lines in both layouts, parsed into DuckDB (by the source's parser, or the local reader), and
    # read by the oracle's scanner
    catalog, files = tricky_access_logs
    since, until = window
    events = oracle.read_access_log_events(files, OracleWindow(since, until))

    # WHEN the oracle answers the query
    expected = oracle_rows(events, name, since, until)

    # THEN over all time the oracle found something, and the bad line was counted, not read
    assert expected or window != (None, None), "the tricky lines should give every query something to find"
    assert [problem.split(" ", 1)[0] for problem in catalog.problems.values()] == ["1"]
    # AND the SQL on DuckDB gives the oracle's answer
    assert sql_rows(catalog, name, since, until) == expected


def test_the_host_header_names_the_region_when_the_key_does_not(
    tricky_access_logs: tuple[AccessLogCatalog | ReaderCatalog, list[Path]],
) -> None:
    # GIVEN the simple-layout lines, whose keys carry no region
    catalog, _files = tricky_access_logs
    # WHEN the requests are listed with their regions
    rows = catalog.connection.execute(
        to_duckdb(queries.render_source_events(access_logs.NAME, ACCESS_LOG_TABLE)), Window().parameters()[:2]
    ).fetchall()
    regions = {row[-1]: row[2] for row in rows if row[-1].startswith("S")}
    # THEN a regional or dual-stack endpoint names the region; the global endpoint and no Host name none
    assert regions == {"S1": "us-west-2", "S2": "ap-southeast-1", "S3": None, "S4": None}


def loud_event(when: str) -> oracle.Event:
    return cloudtrail_event(agent=LOUD_AGENT, signature="SigV2", tls="TLSv1", when=when)


DELIVERIES = {
    "inside": [("2026-11-21T10:00:00Z", UNTIL)],
    "partition-outside": [
        ("2026-11-20T10:00:00Z", SINCE - timedelta(days=1)),
        ("2026-11-21T10:00:00Z", UNTIL + timedelta(days=2)),
    ],
    "last-day-delivered-next-day": [("2026-11-21T23:59:59Z", UNTIL + timedelta(days=1))],
    "after-window-in-next-day-folder": [("2026-11-22T00:00:00Z", UNTIL + timedelta(days=1))],
}
"""(eventTime, delivery day) of loud events, one catalog per case, all queried for the window SINCE..UNTIL."""


@pytest.fixture(scope="module")
def delivered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, LocalCatalog]:
    catalogs = {}
    for case, deliveries in DELIVERIES.items():
        tree = LogTree(tmp_path_factory.mktemp(case))
        for when, day in deliveries:
            tree.write([loud_event(when)], day=day)
        catalogs[case] = load_catalog([tree.root])
    return catalogs


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_finds_an_event_of_the_window_delivered_inside_the_window(
    delivered: dict[str, LocalCatalog], name: str
) -> None:
    # GIVEN a loud event of the window's last day, delivered that day
    catalog = delivered["inside"]

    # WHEN the query runs for the window
    rows = catalog.run(name, Window(SINCE, UNTIL))

    # THEN it finds the event
    assert rows


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_skips_files_delivered_outside_the_window_even_if_their_events_are_inside(
    delivered: dict[str, LocalCatalog], name: str
) -> None:
    # GIVEN loud events of the window delivered the day before it and two days after it
    catalog = delivered["partition-outside"]

    # WHEN the query runs for the window
    rows = catalog.run(name, Window(SINCE, UNTIL))

    # THEN it finds nothing, for it reads no file delivered outside the window
    assert rows == []


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_includes_the_last_days_events_delivered_the_day_after(
    delivered: dict[str, LocalCatalog], name: str
) -> None:
    # GIVEN a loud event of the window's last second, delivered the day after
    catalog = delivered["last-day-delivered-next-day"]

    # WHEN the query runs for the window
    rows = catalog.run(name, Window(SINCE, UNTIL))

    # THEN it finds the event
    assert rows


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_leaves_out_events_after_the_window_in_the_day_after_folder(
    delivered: dict[str, LocalCatalog], name: str
) -> None:
    # GIVEN a loud event just after the window, in the day-after folder the window reads
    catalog = delivered["after-window-in-next-day-folder"]

    # WHEN the query runs for the window
    rows = catalog.run(name, Window(SINCE, UNTIL))

    # THEN it leaves the event out
    assert rows == []


def source_tables() -> dict[str, tuple[duckdb.DuckDBPyConnection, str]]:
    """Each source's demo logs, read by its own readers into the table its fragment names."""
    demo = DEMO_ACCESS_LOGS / "partitioned"
    return {
        cloudtrail.NAME: (load_catalog([DEMO_LOGS]).connection, TABLE),
        **{
            f"{access_logs.NAME}-{reader}": (read([demo]).connection, ACCESS_LOG_TABLE)
            for reader, read in ACCESS_LOG_READERS.items()
        },
    }


@pytest.mark.parametrize("source", [cloudtrail.NAME, *(f"{access_logs.NAME}-{r}" for r in ACCESS_LOG_READERS)])
def test_each_source_gives_exactly_the_common_event_columns(source: str) -> None:
    # GIVEN the source's demo logs, loaded by its reader, and the source's fragment
    connection, table = source_tables()[source]
    sql = queries.render_source_events(source.split("-", 1)[0], table)
    # WHEN the fragment runs over them
    cursor = connection.execute(to_duckdb(sql), Window().parameters()[:2])
    rows = cursor.fetchall()
    # THEN its columns are the common event columns, in order, with an event per request
    assert [column[0] for column in cursor.description or ()] == list(EVENT_COLUMNS)
    assert len(rows) == 1200
    # AND every event has a time in ISO 8601 UTC text, an operation and a request ID
    times = [row[0] for row in rows]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", text) for text in times)
    assert all(row[1] and row[-1] for row in rows)


@pytest.mark.parametrize("window", [(None, None), (SINCE, UNTIL)], ids=str)
def test_detection_ranks_findings_by_sigv2_then_legacy_tls_then_outdated(
    tricky_catalog: LocalCatalog, window: tuple[date | None, date | None]
) -> None:
    # GIVEN the tricky events, whose findings differ in SigV2, legacy-TLS and outdated requests
    since, until = window
    # WHEN the detection query runs, and the oracle ranks its own findings
    rows = tricky_catalog.run(queries.DETECTION, Window(since, until))
    expected = sorted(oracle.findings(TRICKY_EVENTS, OracleWindow(since, until)), key=oracle.urgency)
    # THEN the query returns them in the oracle's order
    assert [(row["principal_arn"], row["user_agent"]) for row in rows] == [
        (row["principal_arn"], row["user_agent"]) for row in expected
    ]
    # AND the Python ranking of the report gives the same order
    findings = [Finding.from_row(row) for row in rows]
    assert ranked(reversed(findings)) == findings
