"""The Lambda handler against moto's S3, SNS and Athena (a botocore Stubber where moto cannot fail or page)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto.athena.models import athena_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from detector.aws.athena import AthenaEngine, QueryFailed
from detector.aws.email import MESSAGE_MAX_BYTES
from detector.aws.event import InvalidEvent, Request, parse_event
from detector.aws.handler import BOTO_CONFIG, handler
from detector.aws.location import MARKER
from detector.aws.run import Outcome, run_detection
from detector.core.config import FunctionConfig, InvalidConfig
from detector.core.window import Window
from tests.helpers import FaultyS3, client_error, email_of

REGION = "us-east-1"
WORKGROUP = "detector"
BUCKET = "detector-reports"
PREFIX = "reports/"
SAVED_SQL = "SELECT * FROM detector.cloudtrail_logs WHERE log_date BETWEEN ? AND ? AND t >= ? AND t < ?"
SCHEDULED_WINDOW = Window(date(2026, 11, 20), date(2026, 11, 22), by_delivery=True)
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:detector"
MOTO_ATHENA_RESULTS = "http://motoapi.amazonaws.com/moto-api/static/athena/query-results"

RowFactory = Callable[..., dict[str, str | None]]


def scheduled_event(event_id: str = "5f0e3c2a-1111-2222-3333-444455556666") -> dict[str, Any]:
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": DEFAULT_ACCOUNT_ID,
        "time": "2026-11-23T06:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{DEFAULT_ACCOUNT_ID}:rule/detector-schedule"],
        "detail": {},
    }


@dataclass
class FakeContext:
    invoked_function_arn: str = FUNCTION_ARN
    remaining_ms: int = 900_000
    function_name: str = "detector"
    memory_limit_in_mb: int = 512
    aws_request_id: str = "3f4b2c1d-0000-4000-8000-00000000c0de"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class Deployment:
    """What the stack would have created, in moto."""

    s3: Any
    sns: Any
    athena: Any
    topic_arn: str
    config: FunctionConfig

    def queue_results(self, rows: list[dict[str, str | None]]) -> None:
        """The next Athena query returns these rows, header row first as Athena sends it."""
        columns = list(rows[0]) if rows else ["principal_arn"]
        result_rows: list[dict[str, Any]] = [{"Data": [{"VarCharValue": name} for name in columns]}]
        result_rows += [
            {"Data": [{"VarCharValue": row[name]} if row[name] is not None else {} for name in columns]} for row in rows
        ]
        column_info = [{"Name": name, "Type": "varchar"} for name in columns]
        payload: dict[str, Any] = {"region": REGION, "results": [{"rows": result_rows, "column_info": column_info}]}
        requests.post(MOTO_ATHENA_RESULTS, json=payload, timeout=5).raise_for_status()

    def messages(self) -> list[tuple[str, str]]:
        """(subject, email text) of every publish to the topic; each must have a subject."""
        sent = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[self.topic_arn].sent_notifications
        assert all(subject for _id, _message, subject, *_ in sent)
        return [(str(subject), email_of(message)) for _id, message, subject, *_ in sent]

    def object_text(self, key: str) -> str:
        return str(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode("utf-8"))

    def object_keys(self) -> list[str]:
        return [item["Key"] for item in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]

    def run_scheduled(self, athena: Any, config: FunctionConfig | None = None) -> Outcome:
        """The scheduled window's detection on `athena`, with this deployment's S3, SNS and settings."""
        return run_detection(
            AthenaEngine(athena, WORKGROUP, timeout_seconds=840),
            SAVED_SQL,
            Request(SCHEDULED_WINDOW, trigger="schedule"),
            s3=self.s3,
            sns=self.sns,
            config=config or self.config,
            account=DEFAULT_ACCOUNT_ID,
            region=REGION,
        )


@pytest.fixture
def deployment(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployment]:
    s3 = boto3.client("s3", region_name=REGION)
    sns = boto3.client("sns", region_name=REGION)
    athena = boto3.client("athena", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    topic_arn = sns.create_topic(Name="detector-findings")["TopicArn"]
    athena.create_work_group(Name=WORKGROUP, Configuration={})
    query_id = athena.create_named_query(
        Name="detection", Database="detector", QueryString=SAVED_SQL, WorkGroup=WORKGROUP
    )
    environment = FunctionConfig(
        WORKGROUP, query_id["NamedQueryId"], topic_arn, BUCKET, report_prefix=PREFIX, window_days=3
    ).to_environ()
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    yield Deployment(s3, sns, athena, topic_arn, FunctionConfig.from_environ(environment))


def stubbed_athena() -> tuple[Any, Stubber]:
    client = boto3.client("athena", region_name=REGION, config=BOTO_CONFIG)
    return client, Stubber(client)


def page(columns: list[str], rows: list[list[str]], next_token: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "ResultSet": {
            "Rows": [{"Data": [{"VarCharValue": value} for value in row]} for row in rows],
            "ResultSetMetadata": {"ColumnInfo": [{"Name": name, "Type": "varchar"} for name in columns]},
        }
    }
    if next_token:
        response["NextToken"] = next_token
    return response


def test_scheduled_run_emails_the_found_principals_and_stores_the_report(
    deployment: Deployment, detection_row: RowFactory
) -> None:
    # GIVEN Athena will return three findings
    rows = [detection_row(n) for n in range(3)]
    deployment.queue_results(rows)

    # WHEN the schedule invokes the handler
    result = handler(scheduled_event(), FakeContext())

    # THEN the saved query ran in the workgroup for the three days before the scheduled time
    (execution,) = athena_backends[DEFAULT_ACCOUNT_ID][REGION].executions.values()
    assert execution.query == SAVED_SQL
    assert execution.workgroup is not None and execution.workgroup.name == WORKGROUP
    assert execution.execution_parameters == [f"'{value}'" for value in SCHEDULED_WINDOW.parameters()]
    # AND one email names every principal
    ((subject, message),) = deployment.messages()
    assert subject.startswith("S3 legacy clients: 3 findings")
    for row in rows:
        assert str(row["principal_arn"]) in message
    # AND the full report is in S3 as JSON and CSV
    folder = f"{PREFIX}2026-11-20_2026-11-22/"
    report = json.loads(deployment.object_text(folder + "report.json"))
    assert [finding["principal_arn"] for finding in report["findings"]] == [row["principal_arn"] for row in rows]
    csv_rows = list(csv.DictReader(io.StringIO(deployment.object_text(folder + "report.csv"))))
    assert [line["principal_arn"] for line in csv_rows] == [row["principal_arn"] for row in rows]
    assert result == {
        "window": {"since": "2026-11-20", "until": "2026-11-22", "by": "delivery"},
        "findings": 3,
        "report_uri": f"s3://{BUCKET}/{folder}report.json",
        "notified": True,
    }


def test_retried_delivery_of_the_same_scheduled_event_sends_no_second_email(
    deployment: Deployment, detection_row: RowFactory
) -> None:
    # GIVEN a scheduled run that emailed its findings
    deployment.queue_results([detection_row(1)])
    handler(scheduled_event(), FakeContext())

    # WHEN the same event is delivered again
    deployment.queue_results([detection_row(1)])
    result = handler(scheduled_event(), FakeContext())

    # THEN nothing more is sent
    assert len(deployment.messages()) == 1
    assert result["notified"] is False
    assert result["findings"] == 1


def test_manual_rerun_with_force_emails_the_window_again(deployment: Deployment, detection_row: RowFactory) -> None:
    # GIVEN the scheduled run emailed the window
    deployment.queue_results([detection_row(1)])
    handler(scheduled_event(), FakeContext())

    # WHEN the same window is re-run by hand, without and then with force
    deployment.queue_results([detection_row(1)])
    unforced = handler({"since": "2026-11-20", "until": "2026-11-22"}, FakeContext())
    deployment.queue_results([detection_row(1)])
    forced = handler({"since": "2026-11-20", "until": "2026-11-22", "force": True}, FakeContext())

    # THEN only the forced run sends a second email
    assert (unforced["notified"], forced["notified"]) == (False, True)
    assert len(deployment.messages()) == 2


def test_manual_window_runs_exactly_the_given_days(deployment: Deployment, detection_row: RowFactory) -> None:
    # GIVEN a finding for an older window
    deployment.queue_results([detection_row(4)])

    # WHEN the handler is invoked by hand with that window
    result = handler({"since": "2026-10-01", "until": "2026-10-05"}, FakeContext())

    # THEN the query covers those days and the report lands in their folder
    (execution,) = athena_backends[DEFAULT_ACCOUNT_ID][REGION].executions.values()
    window = Window(date(2026, 10, 1), date(2026, 10, 5))
    assert execution.execution_parameters == [f"'{value}'" for value in window.parameters()]
    assert result["report_uri"] == f"s3://{BUCKET}/{PREFIX}2026-10-01_2026-10-05/report.json"
    assert f"{PREFIX}2026-10-01_2026-10-05/report.csv" in deployment.object_keys()
    # AND the email names the function's account
    ((subject, _message),) = deployment.messages()
    assert DEFAULT_ACCOUNT_ID in subject


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"since": "2026-11-31", "until": "2026-12-02"}, r"since '2026-11-31' is not a date"),
        ({"since": "20261101", "until": "2026-11-02"}, r"since '20261101' is not a date: use YYYY-MM-DD"),
        ({"since": 20261101, "until": "2026-11-02"}, r"since 20261101 is not a date: use YYYY-MM-DD"),
        ({"since": "2026-11-05", "until": "2026-11-01"}, r"since 2026-11-05 is after until 2026-11-01"),
        ({"since": "2026-11-05"}, r'needs both "since" and "until"; "until" is missing'),
        ({"since": "2026-11-01", "until": "2026-11-23"}, r"until 2026-11-23 is not over yet \(today is 2026-11-23"),
        ({"since": "2026-11-01", "until": "2026-11-02", "forced": True}, r"unknown keys \['forced'\]"),
        ({"since": "2026-11-01", "until": "2026-11-02", "force": "yes"}, r"force must be true or false"),
        ({"time": "yesterday"}, r"event time 'yesterday' is not an ISO 8601 timestamp"),
        ({"detail": {}}, r'expected an EventBridge scheduled event \(with "time"\) or a manual window'),
        (["2026-11-01"], r"or a manual window .*; got list"),
    ],
)
def test_invalid_event_is_rejected_with_a_clear_error(event: Any, message: str) -> None:
    # GIVEN an event that is wrong in some way
    # WHEN it is parsed on 2026-11-23
    # THEN it is rejected with an error saying what is wrong
    with pytest.raises(InvalidEvent, match=message):
        parse_event(event, window_days=3, today=date(2026, 11, 23))


def test_scheduled_window_comes_from_the_event_time_not_the_clock() -> None:
    # GIVEN a scheduled event delivered (or retried) on some later day
    # WHEN it is parsed
    request = parse_event(scheduled_event(), window_days=3, today=date(2026, 11, 25))

    # THEN the window is the three days before the scheduled time
    assert request == Request(SCHEDULED_WINDOW, trigger="schedule", event_id=scheduled_event()["id"])


def test_empty_event_runs_the_window_the_schedule_would_run_today() -> None:
    # GIVEN `aws lambda invoke --payload '{}'` on 2026-11-23
    # WHEN it is parsed
    request = parse_event({}, window_days=3, today=date(2026, 11, 23))

    # THEN it is a manual run of the three days before today
    assert request == Request(SCHEDULED_WINDOW, trigger="manual")


def test_invalid_manual_window_runs_nothing(deployment: Deployment) -> None:
    # GIVEN a deployment where nothing has run yet
    # WHEN the handler is invoked with since after until
    with pytest.raises(InvalidEvent, match="is after until"):
        handler({"since": "2026-11-05", "until": "2026-11-01"}, FakeContext())

    # THEN no query started, nothing was written or sent
    assert not athena_backends[DEFAULT_ACCOUNT_ID][REGION].executions
    assert deployment.object_keys() == []
    assert deployment.messages() == []


def test_clean_window_sends_no_email_by_default(deployment: Deployment) -> None:
    # GIVEN Athena finds nothing
    deployment.queue_results([])

    # WHEN the schedule invokes the handler
    result = handler(scheduled_event(), FakeContext())

    # THEN the (empty) report is stored and no email is sent
    assert result["findings"] == 0 and result["notified"] is False
    assert json.loads(deployment.object_text(f"{PREFIX}2026-11-20_2026-11-22/report.json"))["findings"] == []
    assert deployment.messages() == []


def test_clean_window_is_emailed_when_notify_when_clean(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN NOTIFY_WHEN_CLEAN is on and Athena finds nothing
    monkeypatch.setenv("NOTIFY_WHEN_CLEAN", "true")
    deployment.queue_results([])

    # WHEN the schedule invokes the handler
    result = handler(scheduled_event(), FakeContext())

    # THEN one email says the window is clean
    ((subject, message),) = deployment.messages()
    assert result["notified"] is True
    assert "no findings" in subject
    assert "No findings" in message


def test_5000_findings_give_one_message_within_sns_limits(deployment: Deployment, detection_row: RowFactory) -> None:
    # GIVEN Athena returns 5,000 findings
    deployment.queue_results([detection_row(n, reasons="legacy_tls,outdated_sdk,sigv2") for n in range(5000)])

    # WHEN the schedule invokes the handler
    result = handler(scheduled_event(), FakeContext())

    # THEN exactly one message is sent, its subject one line under 100 characters, its body under 256 KB
    ((subject, message),) = deployment.messages()
    assert result["findings"] == 5000
    assert len(subject) < 100 and "\n" not in subject
    assert len(message.encode("utf-8")) < MESSAGE_MAX_BYTES
    assert "more, see the full report" in message
    # AND the report still holds all of them
    report = json.loads(deployment.object_text(f"{PREFIX}2026-11-20_2026-11-22/report.json"))
    assert len(report["findings"]) == 5000


def test_every_result_page_is_read(deployment: Deployment, detection_row: RowFactory) -> None:
    # GIVEN Athena returns 2,500 findings in pages of at most 1,000 rows, the first starting with the header
    rows = [detection_row(n) for n in range(2500)]
    columns = list(rows[0])
    values = [[str(row[name]) for name in columns] for row in rows]
    athena, stubber = stubbed_athena()
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
    stubber.add_response("get_query_execution", {"QueryExecution": {"Status": {"State": "SUCCEEDED"}}})
    pages = [([columns, *values[:999]], "t1"), (values[999:1999], "t2"), (values[1999:], None)]
    for number, (page_rows, token) in enumerate(pages):
        expected: dict[str, Any] = {"QueryExecutionId": "q-1", "MaxResults": 1000}
        if number:
            expected["NextToken"] = f"t{number}"
        stubber.add_response("get_query_results", page(columns, page_rows, token), expected)

    # WHEN the detection runs on that Athena
    with stubber:
        outcome = deployment.run_scheduled(athena)

    # THEN every row became a finding in the report, and the email counts them all
    stubber.assert_no_pending_responses()
    report = json.loads(deployment.object_text(f"{PREFIX}2026-11-20_2026-11-22/report.json"))
    assert outcome.findings == 2500
    assert [f["principal_arn"] for f in report["findings"]] == [row["principal_arn"] for row in rows]
    ((subject, _message),) = deployment.messages()
    assert "2500 findings" in subject


def test_failed_query_raises_and_sends_nothing(deployment: Deployment, caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN an Athena query that ends FAILED
    athena, stubber = stubbed_athena()
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-failed"})
    status = {"State": "FAILED", "StateChangeReason": "TABLE_NOT_FOUND: cloudtrail_logs"}
    stubber.add_response("get_query_execution", {"QueryExecution": {"Status": status}})

    # WHEN the detection runs
    with stubber, pytest.raises(QueryFailed, match="q-failed FAILED: TABLE_NOT_FOUND"):
        deployment.run_scheduled(athena)

    # THEN the failure is logged with its window and workgroup, and nothing is stored or sent
    assert "window 2026-11-20..2026-11-22 (workgroup detector, schedule run)" in caplog.text
    assert deployment.object_keys() == []
    assert deployment.messages() == []


def test_failed_publish_releases_the_window_for_a_retry(deployment: Deployment, detection_row: RowFactory) -> None:
    # GIVEN a topic that does not exist
    deployment.queue_results([detection_row(1)])
    missing_topic = deployment.topic_arn + "-gone"

    # WHEN the run cannot publish
    with pytest.raises(ClientError, match="NotFound"):
        deployment.run_scheduled(deployment.athena, replace(deployment.config, topic_arn=missing_topic))

    # THEN the report is stored but the window is not marked as emailed, so a retry sends it
    assert f"{PREFIX}2026-11-20_2026-11-22/report.json" in deployment.object_keys()
    assert f"{PREFIX}2026-11-20_2026-11-22/{MARKER}" not in deployment.object_keys()


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        (
            {},
            "environment variables not set: WINDOW_DAYS, NOTIFY_WHEN_CLEAN, ACCEPTED_FINDINGS, WORKGROUP, "
            "NAMED_QUERY_ID, TOPIC_ARN, REPORT_BUCKET",
        ),
        ({"WINDOW_DAYS": "0"}, "WINDOW_DAYS='0': expected a whole number, 1 or more"),
        ({"WINDOW_DAYS": "three"}, "WINDOW_DAYS='three'"),
        ({"NOTIFY_WHEN_CLEAN": "yes"}, "NOTIFY_WHEN_CLEAN='yes': expected 'true' or 'false'"),
        ({"ACCEPTED_FINDINGS": '[{"reason": "r"}]'}, "ACCEPTED_FINDINGS: entry 1 names neither a principal"),
        ({"ACCEPTED_FINDINGS": "{"}, "ACCEPTED_FINDINGS: is not valid JSON"),
    ],
)
def test_bad_environment_names_the_variable(environment: dict[str, str], message: str) -> None:
    # GIVEN a complete environment with one variable wrong, or no environment at all
    complete = FunctionConfig("w", "q", "arn:aws:sns:us-east-1:123456789012:t", "b", window_days=3).to_environ()
    given = {**complete, **environment} if environment else {}
    # WHEN the function's settings are read from it
    with pytest.raises(InvalidConfig) as raised:
        FunctionConfig.from_environ(given)
    # THEN the error names the variable and what it should be
    assert message in str(raised.value)


def test_scheduled_run_traces_each_finding_to_the_instance_that_sent_it(
    deployment: Deployment, detection_row: RowFactory
) -> None:
    # GIVEN an EC2 instance named "backup-host" holding a private address
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    (instance,) = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet,
        PrivateIpAddress="10.9.1.17",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "backup-host"}]}],
    )["Instances"]
    # AND Athena finds one client at that address and one on the internet
    deployment.queue_results([detection_row(1, source_ip="10.9.1.17"), detection_row(2, source_ip="203.0.113.10")])

    # WHEN the schedule invokes the handler
    handler(scheduled_event(), FakeContext())

    # THEN the email and the report name the instance, and say plainly the other address is public
    ((_subject, message),) = deployment.messages()
    assert f'traced to   10.9.1.17: EC2 instance {instance["InstanceId"]} "backup-host"' in message
    report = json.loads(deployment.object_text(f"{PREFIX}2026-11-20_2026-11-22/report.json"))
    sources = {finding["source_ip"]: finding["source"] for finding in report["findings"]}
    assert instance["InstanceId"] in sources["10.9.1.17"] and "backup-host" in sources["10.9.1.17"]
    assert sources["203.0.113.10"].startswith("public IP 203.0.113.10")


def test_report_csv_in_s3_neutralises_formulas(deployment: Deployment, detection_row: RowFactory) -> None:
    # GIVEN Athena returns a finding whose user agent is a spreadsheet formula
    deployment.queue_results([detection_row(1, user_agent="=cmd|' /C calc'!A0")])

    # WHEN the schedule invokes the handler
    handler(scheduled_event(), FakeContext())

    # THEN the report.csv cell is text, and report.json keeps the agent as logged
    folder = f"{PREFIX}2026-11-20_2026-11-22/"
    (line,) = csv.DictReader(io.StringIO(deployment.object_text(folder + "report.csv")))
    assert line["user_agent"] == "'=cmd|' /C calc'!A0"
    assert (
        json.loads(deployment.object_text(folder + "report.json"))["findings"][0]["user_agent"] == "=cmd|' /C calc'!A0"
    )


def run_event(deployment: Deployment, event_id: str, *, s3: Any, topic_arn: str) -> Outcome:
    """The scheduled window for one EventBridge event (a retry has the same event ID)."""
    return run_detection(
        AthenaEngine(deployment.athena, WORKGROUP, timeout_seconds=840),
        SAVED_SQL,
        Request(SCHEDULED_WINDOW, trigger="schedule", event_id=event_id),
        s3=s3,
        sns=deployment.sns,
        config=replace(deployment.config, topic_arn=topic_arn),
        account=DEFAULT_ACCOUNT_ID,
        region=REGION,
    )


def test_a_failed_publish_whose_marker_cannot_be_released_is_still_sent_by_the_retry(
    deployment: Deployment, detection_row: RowFactory
) -> None:
    # GIVEN a run whose publish fails (the topic is gone) and whose S3 refuses to delete the marker
    deployment.queue_results([detection_row(1)])
    denied = client_error("DeleteObject", "AccessDenied", 403)
    faulty = FaultyS3(deployment.s3, lambda operation, _arguments: denied if operation == "delete_object" else None)
    with pytest.raises(ClientError):
        run_event(deployment, "event-7", s3=faulty, topic_arn=deployment.topic_arn + "-gone")

    # WHEN Lambda retries the same event, with publishing working again
    deployment.queue_results([detection_row(1)])
    outcome = run_event(deployment, "event-7", s3=deployment.s3, topic_arn=deployment.topic_arn)

    # THEN the window is emailed: the marker left behind did not swallow it
    assert outcome.notified is True
    assert len(deployment.messages()) == 1


def test_a_409_on_the_marker_is_not_a_failed_run(deployment: Deployment, detection_row: RowFactory) -> None:
    # GIVEN an S3 that answers the first conditional marker write with 409 ConditionalRequestConflict
    deployment.queue_results([detection_row(1)])
    answered: list[str] = []

    def conflict_once(operation: str, arguments: dict[str, Any]) -> ClientError | None:
        if operation == "put_object" and arguments.get("IfNoneMatch") == "*" and not answered:
            answered.append(operation)
            return client_error("PutObject", "ConditionalRequestConflict", 409)
        return None

    # WHEN the scheduled run delivers its window
    outcome = run_event(
        deployment, "event-8", s3=FaultyS3(deployment.s3, conflict_once), topic_arn=deployment.topic_arn
    )

    # THEN it neither fails nor loses the email: the competitor never wrote a marker, so this run claimed and sent
    assert answered == ["put_object"]
    assert outcome.notified is True
    assert len(deployment.messages()) == 1


class Killed(BaseException):
    """Lambda ending the invocation at its timeout: no `except Exception` runs."""


@dataclass
class DyingTopic:
    def publish(self, **_kwargs: Any) -> dict[str, str]:
        raise Killed


def test_a_run_killed_between_claim_and_publish_is_emailed_by_the_retry(
    deployment: Deployment, detection_row: RowFactory
) -> None:
    # GIVEN a run of an event that is killed while publishing, after it claimed the window
    deployment.queue_results([detection_row(1)])
    request = Request(SCHEDULED_WINDOW, trigger="schedule", event_id="event-9")
    engine = AthenaEngine(deployment.athena, WORKGROUP, timeout_seconds=840)
    arguments: dict[str, Any] = {"config": deployment.config, "account": DEFAULT_ACCOUNT_ID, "region": REGION}
    with pytest.raises(Killed):
        run_detection(engine, SAVED_SQL, request, s3=deployment.s3, sns=DyingTopic(), **arguments)

    # WHEN Lambda retries the same event
    deployment.queue_results([detection_row(1)])
    outcome = run_detection(engine, SAVED_SQL, request, s3=deployment.s3, sns=deployment.sns, **arguments)

    # THEN the retry takes the dead run's claim over and sends the email
    assert outcome.notified is True
    assert len(deployment.messages()) == 1
