"""What changed since the previous report: consecutive scheduled runs mark findings new then recurring, list the
resolved ones and set accepted ones apart until their expiry; `scan --baseline` does the same locally."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from detector.aws.event import Request
from detector.aws.location import POINTER
from detector.aws.run import Outcome, run_detection
from detector.core import accepted, queries
from detector.core.config import FunctionConfig
from detector.core.engine import Row
from detector.core.views import VIEW_QUERIES
from detector.core.window import Window
from detector.local.cli import EXIT_OK, EXIT_USAGE, main
from detector.local.discovery import find_log_files
from detector.local.duckdb_engine import DuckDBEngine
from detector.local.loading import LocalCatalog
from detector.local.projection import TABLE
from tests.helpers import DEMO_LOGS, LogTree, cloudtrail_event, email_of

REGION = "us-east-1"
BUCKET = "reports"
PREFIX = "reports/"
VIEWS = {"buckets": "BUCKETS SQL", "daily": "DAILY SQL"}
RowFactory = Callable[..., dict[str, str | None]]


@dataclass
class Engine:
    """Answers the detection query with `rows` and each view with nothing."""

    rows: list[dict[str, str | None]] = field(default_factory=list)

    def run(self, sql: str, parameters: Sequence[str]) -> list[Row]:
        return [] if sql in VIEWS.values() else [dict(row) for row in self.rows]


@dataclass
class Account:
    s3: Any
    sns: Any
    topic_arn: str

    def config(self, accepted_findings: tuple[accepted.Acceptance, ...] = ()) -> FunctionConfig:
        return FunctionConfig(
            workgroup="primary",
            named_query_id="q",
            topic_arn=self.topic_arn,
            report_bucket=BUCKET,
            report_prefix=PREFIX,
            window_days=1,
            accepted_findings=accepted_findings,
        )

    def run(
        self, day: date, rows: list[dict[str, str | None]], *, accepted_findings: tuple[accepted.Acceptance, ...] = ()
    ) -> Outcome:
        """The scheduled run for `day`, with the detection query finding `rows`."""
        return run_detection(
            Engine(rows),
            "DETECTION SQL",
            Request(Window(day, day), trigger="schedule"),
            s3=self.s3,
            sns=self.sns,
            config=self.config(accepted_findings),
            account=DEFAULT_ACCOUNT_ID,
            region=REGION,
            views=VIEWS,
            today=day,
        )

    def emails(self) -> list[str]:
        return [
            email_of(message)
            for _id, message, *_ in sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[self.topic_arn].sent_notifications
        ]

    def report(self, day: date) -> dict[str, Any]:
        key = f"{PREFIX}{day}_{day}/report.json"
        return dict(json.loads(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()))


@pytest.fixture
def account(aws: None) -> Account:
    s3 = boto3.client("s3", region_name=REGION)
    sns = boto3.client("sns", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    return Account(s3, sns, sns.create_topic(Name="findings")["TopicArn"])


DAY_1, DAY_2, DAY_3 = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)


def test_two_consecutive_scheduled_runs_mark_a_finding_new_then_recurring(
    account: Account, detection_row: RowFactory
) -> None:
    # GIVEN the first scheduled run finds clients 1 and 2
    account.run(DAY_1, [detection_row(1), detection_row(2)])

    # WHEN the next day's run finds client 1 again (its m/ feature list changed) and a new client 3
    again = detection_row(1, user_agent="[Boto3/1.44.8 ua/2.1 os/linux m/E,b]")
    first_agent = detection_row(1)["user_agent"]
    account.run(DAY_2, [{**again, "user_agent": first_agent}, detection_row(3)])

    # THEN the first report marked both new, the second marks client 1 recurring and client 3 new
    assert [f["status"] for f in account.report(DAY_1)["findings"]] == ["new", "new"]
    second = account.report(DAY_2)
    assert {f["principal_arn"].rsplit("-", 1)[1]: f["status"] for f in second["findings"]} == {
        "1": "recurring",
        "3": "new",
    }
    assert second["comparison"]["previous"] == f"s3://{BUCKET}/{PREFIX}{DAY_1}_{DAY_1}/report.json"
    # AND the second email lists only client 3, marked, counts client 1 in one line and lists client 2 as resolved
    first_email, second_email = account.emails()
    assert "[new] arn:aws:iam::123456789012:user/app-1" in first_email
    assert "1. [new] arn:aws:iam::123456789012:user/app-3" in second_email
    assert "user/app-1\n" not in second_email.split("Resolved since")[0]
    assert "1 recurring findings, also in the previous report: in the full report." in second_email
    assert (
        "Resolved since the previous report (1, no longer seen):\n  - arn:aws:iam::123456789012:user/app-2"
        in second_email
    )


def test_an_accepted_finding_leaves_the_list_and_returns_after_its_expiry(
    account: Account, detection_row: RowFactory
) -> None:
    # GIVEN an entry accepting client 1 until DAY_2
    entry = [
        {"principal": "arn:aws:iam::123456789012:user/app-1", "reason": "retired in December", "expires": str(DAY_2)}
    ]
    entries = accepted.parse_entries(entry)

    # WHEN runs on DAY_2 and DAY_3 find clients 1 and 2
    account.run(DAY_2, [detection_row(1), detection_row(2)], accepted_findings=entries)
    account.run(DAY_3, [detection_row(1), detection_row(2)], accepted_findings=entries)

    # THEN on DAY_2 client 1 is counted as accepted, not listed
    during, after = account.emails()
    assert "user/app-1" not in during
    assert "1 accepted findings (acceptedFindings) are counted, not listed" in during
    assert [a["finding"]["principal_arn"] for a in account.report(DAY_2)["accepted"]] == [
        "arn:aws:iam::123456789012:user/app-1"
    ]
    # AND on DAY_3 it is listed again, as new to the list, the email saying the acceptance expired
    assert "[new] arn:aws:iam::123456789012:user/app-1" in after
    assert "the acceptance of principal arn:aws:iam::123456789012:user/app-1 expired on 2026-11-21" in after


def test_a_backfill_of_an_older_window_is_not_compared_and_moves_no_pointer(
    account: Account, detection_row: RowFactory
) -> None:
    # GIVEN scheduled runs for DAY_2 and DAY_3
    account.run(DAY_2, [detection_row(1)])
    account.run(DAY_3, [detection_row(1)])
    pointer = account.s3.get_object(Bucket=BUCKET, Key=PREFIX + POINTER)["Body"].read()

    # WHEN DAY_1 is run by hand afterwards
    account.run(DAY_1, [detection_row(1)])

    # THEN its report is not compared, saying why, and the pointer still names DAY_3 then DAY_2
    report = account.report(DAY_1)
    assert report["comparison"] is None
    assert "not compared: this window is older than the latest report's" in report["notes"]
    assert account.s3.get_object(Bucket=BUCKET, Key=PREFIX + POINTER)["Body"].read() == pointer
    assert json.loads(pointer)["previous"]["window"]["until"] == str(DAY_2)


def test_a_previous_report_that_is_gone_is_said_and_the_email_still_goes(
    account: Account, detection_row: RowFactory
) -> None:
    # GIVEN a first run whose report and its seen.json were deleted since (expired, say)
    account.run(DAY_1, [detection_row(1)])
    for name in ("report.json", "seen.json"):
        account.s3.delete_object(Bucket=BUCKET, Key=f"{PREFIX}{DAY_1}_{DAY_1}/{name}")

    # WHEN the next day runs
    outcome = account.run(DAY_2, [detection_row(1)])

    # THEN its email is sent, saying the previous report could not be read, with the finding listed unmarked
    assert outcome.notified
    email = account.emails()[-1]
    assert f"Note: not compared with the previous report s3://{BUCKET}/{PREFIX}{DAY_1}_{DAY_1}/report.json" in email
    assert "1. arn:aws:iam::123456789012:user/app-1" in email


def test_the_html_report_lands_beside_report_json_and_the_email_links_it(
    account: Account, detection_row: RowFactory
) -> None:
    # GIVEN a scheduled run that finds a client
    account.run(DAY_1, [detection_row(1)])

    # WHEN its folder is read
    page = account.s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}{DAY_1}_{DAY_1}/report.html")

    # THEN the page is HTML naming the finding, and the email links to it
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert "arn:aws:iam::123456789012:user/app-1" in page["Body"].read().decode()
    assert f"prefix={PREFIX}{DAY_1}_{DAY_1}/report.html" in account.emails()[0]


OLD_CLI = "[aws-cli/1.11.10 Python/2.7.8 Linux/3.2.0-4-amd64 botocore/1.4.67]"


def scan_json(capsys: pytest.CaptureFixture[str], tree: LogTree, *extra: str) -> dict[str, Any]:
    assert main(["scan", str(tree.root), "--format", "json", *extra]) == EXIT_OK
    return dict(json.loads(capsys.readouterr().out))


def test_scan_baseline_marks_recurring_and_new_and_lists_the_resolved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN last week's report of users a and b, and this week's logs of users a and c
    def user(name: str) -> dict[str, Any]:
        return cloudtrail_event(arn=f"arn:aws:iam::111122223333:user/{name}", agent=OLD_CLI, signature="SigV2")

    before, now = LogTree(tmp_path / "before"), LogTree(tmp_path / "now")
    before.write([user("a"), user("b")])
    now.write([user("a"), user("c")])
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps(scan_json(capsys, before)))

    # WHEN this week's logs are scanned against it
    report = scan_json(capsys, now, "--baseline", str(previous))

    # THEN a is recurring, c new, b resolved
    assert {f["principal_arn"][-1]: f["status"] for f in report["findings"]} == {"a": "recurring", "c": "new"}
    assert [seen["principal_arn"][-1] for seen in report["comparison"]["resolved"]] == ["b"]


def test_scan_baseline_that_is_no_report_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a JSON file that is not a report
    odd = tmp_path / "odd.json"
    odd.write_text('{"Records": []}')
    # WHEN it is given as the baseline
    code = main(["scan", str(tmp_path), "--baseline", str(odd)])
    # THEN the scan exits 2, naming the file and what to give
    assert code == EXIT_USAGE
    err = " ".join(capsys.readouterr().err.split())
    assert f"--baseline {odd}: {odd} is not a detector report" in err
    assert "give a report written by `python -m detector scan --format json`" in err


@dataclass
class BrokenViews(Engine):
    """The buckets view's query fails, as Athena's would over its scan cutoff."""

    def run(self, sql: str, parameters: Sequence[str]) -> list[Row]:
        if sql == VIEWS["buckets"]:
            raise RuntimeError("Athena query q-9 FAILED: bytes scanned over the cutoff")
        return super().run(sql, parameters)


def test_a_failed_view_is_noted_and_the_findings_still_go_out(account: Account, detection_row: RowFactory) -> None:
    # GIVEN the buckets view's query fails
    engine = BrokenViews([detection_row(1)])

    # WHEN the scheduled run goes on
    outcome = run_detection(
        engine,
        "DETECTION SQL",
        Request(Window(DAY_1, DAY_1), trigger="schedule"),
        s3=account.s3,
        sns=account.sns,
        config=account.config(),
        account=DEFAULT_ACCOUNT_ID,
        region=REGION,
        views=VIEWS,
        today=DAY_1,
    )

    # THEN the finding is emailed and stored, the email and the report saying which view is missing and why
    assert outcome.notified and outcome.findings == 1
    note = "the buckets view is missing: its query failed (Athena query q-9 FAILED: bytes scanned over the cutoff)"
    assert account.report(DAY_1)["notes"] == [note]
    assert f"Note: {note}" in account.emails()[0]


def test_the_saved_view_queries_fill_the_deployed_report(account: Account) -> None:
    # GIVEN the sample logs in DuckDB, and the detection and view queries as the stack saves them
    files, _pruned = find_log_files([DEMO_LOGS], Window())
    catalog = LocalCatalog()
    catalog.load(files)
    sql = {name: queries.render(name, TABLE, source="cloudtrail") for name in (queries.DETECTION, *VIEW_QUERIES)}
    window = Window(date(2026, 11, 20), date(2026, 11, 22))

    # WHEN the function runs them for the samples' window
    run_detection(
        DuckDBEngine(catalog.connection),
        sql[queries.DETECTION],
        Request(window, trigger="schedule"),
        s3=account.s3,
        sns=account.sns,
        config=account.config(),
        account=DEFAULT_ACCOUNT_ID,
        region=REGION,
        views={name: sql[name] for name in VIEW_QUERIES},
        today=date(2026, 11, 23),
    )

    # THEN report.json has the buckets view and the daily counts, and the page draws a line per client
    folder = f"{PREFIX}2026-11-20_2026-11-22/"
    report = json.loads(account.s3.get_object(Bucket=BUCKET, Key=folder + "report.json")["Body"].read())
    assert {b["bucket"] for b in report["buckets"] if b["sigv2_requests"]} >= {"acme-backups", "acme-public-share"}
    assert {day["day"] for day in report["daily"]} == {"2026-11-20", "2026-11-21", "2026-11-22"}
    page = account.s3.get_object(Bucket=BUCKET, Key=folder + "report.html")["Body"].read().decode()
    assert page.count('<li data-series="') == len(report["findings"]) == 6
    assert report["notes"] == []


def test_the_next_run_reads_the_small_seen_json_not_the_whole_report(
    account: Account, detection_row: RowFactory
) -> None:
    # GIVEN a first run, whose report.json is then replaced by something unreadable
    account.run(DAY_1, [detection_row(1)])
    account.s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}{DAY_1}_{DAY_1}/report.json", Body=b"not json")

    # WHEN the next day runs
    account.run(DAY_2, [detection_row(1)])

    # THEN it compared with the first run through its seen.json, naming the report
    comparison = account.report(DAY_2)["comparison"]
    assert comparison["previous"] == f"s3://{BUCKET}/{PREFIX}{DAY_1}_{DAY_1}/report.json"
    assert (comparison["new"], comparison["recurring"]) == (0, 1)
