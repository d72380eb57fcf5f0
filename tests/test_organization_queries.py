"""The named queries over an organization's tables: every partition column filtered with literal values (Athena's
injected projection needs them), the accounts found at run time put in, and a request between two accounts of the
organization, logged in both, counted once (DuckDB against the oracle)."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlglot
from sqlglot import exp

from detector.core import queries
from detector.core.findings import Finding
from detector.core.partitions import ACCOUNTS_END, ACCOUNTS_START, PartitionFilter, with_accounts
from detector.core.window import Window
from detector.local.duckdb_engine import DuckDBEngine
from detector.local.loading import trail_accounts
from detector.local.projection import TABLE
from detector.local.scan import scan
from detector.sources import access_logs, cloudtrail
from tests import oracle
from tests.helpers import LogTree, cloudtrail_event, load_catalog

ORGANIZATION = "o-abcdefghij"
REQUESTER, OWNER, OUTSIDER, NOT_READ = "111122223333", "444455556666", "999988887777", "777788889999"
ACCOUNTS = (REQUESTER, OWNER)
REGIONS = ("us-east-1", "eu-west-1")
BUCKETS = ("legacy-a", "legacy-b")
PARTITION_COLUMNS = {cloudtrail.NAME: cloudtrail.PARTITION_KEYS, access_logs.NAME: access_logs.PARTITION_KEYS}
OLD_CLI = "[aws-cli/1.11.10 Python/2.7.8 Linux/3.2.0-4-amd64 botocore/1.4.67]"


def organization_filter(source: str, *, at_run_time: bool = False) -> PartitionFilter:
    buckets = BUCKETS if source == access_logs.NAME else ()
    return PartitionFilter(ACCOUNTS, REGIONS, buckets, accounts_at_run_time=at_run_time)


def table_scans(sql: str) -> list[exp.Select]:
    """Each SELECT whose FROM is the table itself, parsed as Athena's Trino."""
    tree = sqlglot.parse_one(sql, read="trino", error_level=sqlglot.ErrorLevel.RAISE)
    return [
        select
        for select in tree.find_all(exp.Select)
        if isinstance(source := (select.args.get("from_") or exp.From()).this, exp.Table) and source.name == "t"
    ]


def literal_in_lists(where: exp.Expr) -> dict[str, list[str]]:
    """Column -> the literal values of each `column IN (...)` ANDed into the WHERE (not under an OR or a NOT)."""
    found: dict[str, list[str]] = {}
    conjuncts = list(where.flatten()) if isinstance(where, exp.And) else [where]
    for conjunct in conjuncts:
        if isinstance(conjunct, exp.In) and isinstance(conjunct.this, exp.Column):
            values = conjunct.expressions
            assert all(isinstance(value, exp.Literal) and value.is_string for value in values), conjunct.sql()
            found[conjunct.this.name] = [value.this for value in values]
    return found


@pytest.mark.parametrize("at_run_time", [False, True], ids=["accounts-listed", "accounts-found-at-run-time"])
@pytest.mark.parametrize("source", queries.sources())
@pytest.mark.parametrize("name", queries.names())
def test_every_named_query_over_an_organization_filters_on_every_partition_column(
    name: str, source: str, at_run_time: bool
) -> None:
    # GIVEN a named query rendered for an organization's table, its accounts as a run puts them in
    sql = queries.render(name, "t", source=source, partitions=organization_filter(source, at_run_time=at_run_time))
    if at_run_time:
        sql = with_accounts(sql, ACCOUNTS)
    # WHEN the WHERE of the SELECT that reads the table is read
    (scan,) = table_scans(sql)
    where = scan.args["where"].this
    in_lists = literal_in_lists(where)
    days = [b for b in where.find_all(exp.Between) if isinstance(b.this, exp.Column) and b.this.name == "log_date"]
    # THEN every partition column is filtered: the day by the window's parameters, the others by literal values
    assert set(in_lists) | {"log_date"} == set(PARTITION_COLUMNS[source])
    assert sorted(in_lists["account"]) == sorted(ACCOUNTS)
    assert in_lists["region"] == list(REGIONS)
    if source == access_logs.NAME:
        assert in_lists["bucket"] == list(BUCKETS)
    assert len(days) == 1
    assert isinstance(days[0].args["low"], exp.Placeholder) and isinstance(days[0].args["high"], exp.Placeholder)
    # AND the window still takes four parameters
    assert len(list(scan.root().find_all(exp.Placeholder))) == queries.PARAMETER_COUNT


@pytest.mark.parametrize("source", queries.sources())
def test_one_accounts_queries_carry_none_of_the_organization_lines(source: str) -> None:
    # GIVEN every named query rendered for one account's table
    texts = [queries.render(name, "t", source=source) for name in queries.names()]
    # WHEN they are searched for the organization's predicates and markers
    found = [text for text in texts if re.search(r"account IN|sharedeventid|scope: organization", text)]
    # THEN none has them: one account's queries are what they always were
    assert found == []


def test_accounts_found_at_run_time_replace_every_list_the_saved_query_has() -> None:
    # GIVEN the detection query saved for accounts found at run time (it lists the deploying account)
    saved = queries.render(
        queries.DETECTION, "t", source=cloudtrail.NAME, partitions=PartitionFilter((REQUESTER,), REGIONS, (), True)
    )
    # WHEN a run puts in the three accounts it found
    run = with_accounts(saved, [NOT_READ, OWNER, REQUESTER])
    # THEN both lists (the partition filter and the requester's copy) name the three, and nothing else changed
    lists = re.findall(re.escape(ACCOUNTS_START) + r"(.*?)" + re.escape(ACCOUNTS_END), run)
    assert lists == [f" '{REQUESTER}', '{OWNER}', '{NOT_READ}' "] * 2
    assert with_accounts(run, [REQUESTER]) == saved


@pytest.mark.parametrize(
    ("accounts", "sql", "problem"),
    [
        (["1111'); DROP TABLE t; --"], None, "12-digit"),
        ([], None, "12-digit"),
        ([REQUESTER], "SELECT 1", "no /\\* accounts"),
    ],
    ids=["not-an-id", "none", "no-list"],
)
def test_only_account_ids_are_put_into_a_query_that_has_a_list_for_them(
    accounts: list[str], sql: str | None, problem: str
) -> None:
    # GIVEN a saved query for accounts found at run time, or one without such a list, and what a run found
    saved = sql or queries.render(
        queries.DETECTION,
        "t",
        source=cloudtrail.NAME,
        partitions=organization_filter(cloudtrail.NAME, at_run_time=True),
    )
    # WHEN the accounts are put in
    # THEN anything but 12-digit IDs, or a query without a list, is refused
    with pytest.raises(ValueError, match=problem):
        with_accounts(saved, accounts)


def cross_account_tree(tree: LogTree) -> tuple[list[oracle.Event], list[oracle.Event]]:
    """An organization trail's logs: each request between two of its accounts written twice (the requester's copy and
    the bucket owner's, one sharedEventID), an outsider's once (the owner's copy), the owner's own once, and an
    account the queries do not read. Returns each request of the read accounts once, as the oracle should count
    them, and the requests of the account not read."""
    requests: list[oracle.Event] = []

    def arn(account: str, user: str) -> str:
        return f"arn:aws:iam::{account}:user/{user}"

    def request(account: str, user: str, n: int, *, shared: bool) -> oracle.Event:
        event = cloudtrail_event(
            arn=arn(account, user), agent=OLD_CLI, signature="SigV2", when=f"2026-11-20T0{n}:00:00Z"
        )
        event["userIdentity"]["accountId"] = account
        event["eventID"] = f"event-{account}-{n}"
        if shared:
            event["sharedEventID"] = f"shared-{account}-{n}"
        return event

    def copy_for(event: oracle.Event, recipient: str) -> oracle.Event:
        return {**event, "recipientAccountId": recipient, "eventID": event["eventID"] + f"-{recipient}"}

    crossing = [request(REQUESTER, "uploader", n, shared=True) for n in range(3)]
    outsider = [request(OUTSIDER, "vendor", n, shared=True) for n in range(2)]
    own = [request(OWNER, "reports", n, shared=False) for n in range(4)]
    hidden = [request(NOT_READ, "sandbox", n, shared=False) for n in range(5)]
    write = {
        REQUESTER: [copy_for(e, REQUESTER) for e in crossing],
        OWNER: [copy_for(e, OWNER) for e in crossing + outsider] + own,
        NOT_READ: hidden,
    }
    for account, events in write.items():
        tree.write(events, account=account, organization=ORGANIZATION)
    requests += crossing + outsider + own
    return requests, hidden


def test_a_request_between_two_accounts_of_the_organization_is_counted_once(log_tree: LogTree) -> None:
    # GIVEN an organization trail's logs with both copies of each request between its accounts
    expected, _not_read = cross_account_tree(log_tree)
    catalog = load_catalog([log_tree.root])
    window = Window(date(2026, 11, 20), date(2026, 11, 20))
    # WHEN the organization's detection query runs over the two accounts it reads
    sql = queries.render(queries.DETECTION, TABLE, source=cloudtrail.NAME, partitions=organization_filter("cloudtrail"))
    rows = DuckDBEngine(catalog.connection).run(sql, window.parameters())
    # THEN it finds what the oracle finds counting each request once: the requester's copy is read, the owner's copy
    # of an outsider's requests is read, and the account outside the filter is not read at all
    found = oracle.canonical(Finding.from_row(row).to_dict() for row in rows)
    assert found == oracle.canonical(oracle.findings(expected))
    assert {row["principal_arn"]: int(str(row["requests"])) for row in rows} == {
        f"arn:aws:iam::{REQUESTER}:user/uploader": 3,
        f"arn:aws:iam::{OUTSIDER}:user/vendor": 2,
        f"arn:aws:iam::{OWNER}:user/reports": 4,
    }


@pytest.mark.parametrize("workers", [1, 2])
def test_a_local_scan_of_several_accounts_trails_counts_a_request_between_two_of_them_once(
    log_tree: LogTree, workers: int
) -> None:
    # GIVEN a downloaded organization trail holding both copies of each request between two of its accounts
    read, not_read = cross_account_tree(log_tree)
    window = Window(date(2026, 11, 20), date(2026, 11, 20))
    # WHEN the whole tree is scanned locally, with its views
    report = scan([log_tree.root], window, workers=workers, views=True)
    # THEN every account in the tree is read and each request counted once, as the oracle counts them
    found = oracle.canonical({k: v for k, v in f.to_dict().items() if k != "log_source"} for f in report.findings)
    assert found == oracle.canonical(oracle.findings(read + not_read))
    assert {f.principal_arn: f.requests for f in report.findings} == {
        f"arn:aws:iam::{REQUESTER}:user/uploader": 3,
        f"arn:aws:iam::{OUTSIDER}:user/vendor": 2,
        f"arn:aws:iam::{OWNER}:user/reports": 4,
        f"arn:aws:iam::{NOT_READ}:user/sandbox": 5,
    }
    # AND the buckets view counts the same requests once
    assert sum(bucket.sigv2_requests for bucket in report.buckets) == 3 + 2 + 4 + 5


def test_one_accounts_tree_and_a_tree_outside_the_layout_are_read_without_an_account_filter() -> None:
    # GIVEN one account's trail, two accounts' trails, and two accounts' trails beside a file in no known layout
    one = [f"AWSLogs/{REQUESTER}/CloudTrail/us-east-1/2026/11/20/a.json.gz"]
    two = [*one, f"AWSLogs/{ORGANIZATION}/{OWNER}/CloudTrail/eu-west-1/2026/11/20/b.json.gz"]
    # WHEN their filters are derived
    # THEN only the tree of several accounts, every file placed, gets one: its accounts and regions
    assert trail_accounts(one) is None
    assert trail_accounts(two) == PartitionFilter((REQUESTER, OWNER), ("eu-west-1", "us-east-1"))
    assert trail_accounts([*two, "downloads/trail.json.gz"]) is None
