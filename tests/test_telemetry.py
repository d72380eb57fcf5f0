"""What a run tells CloudWatch: JSON log lines with the request ID and the window (Powertools' Logger), and the run's
metrics in the embedded metric format, with the names and values the dashboard graphs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import boto3
import pytest
import requests
from botocore.stub import Stubber
from moto.core.models import DEFAULT_ACCOUNT_ID

from detector.aws import handler as handler_module
from detector.aws.athena import AthenaEngine
from detector.aws.handler import BOTO_CONFIG, handler
from detector.aws.run_metrics import publish
from detector.core import metrics
from detector.core.config import FunctionConfig
from detector.core.findings import Finding, Report
from detector.core.window import Window

REGION = "us-east-1"
REQUEST_ID = "5b1c0f9e-7a2d-4c3b-9e8f-0123456789ab"
MOTO_ATHENA_RESULTS = "http://motoapi.amazonaws.com/moto-api/static/athena/query-results"
SCHEDULED = {
    "id": "e1",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": DEFAULT_ACCOUNT_ID,
    "time": "2026-11-23T01:00:00Z",
}
"""Run with WINDOW_DAYS=3: the files delivered 2026-11-20 .. 2026-11-22."""

RowFactory = Callable[..., dict[str, str | None]]


@dataclass
class Context:
    function_name: str = "detector"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:detector"
    aws_request_id: str = REQUEST_ID

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@pytest.fixture
def deployed(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The stack's bucket, topic, workgroup and saved query in moto, and the function's environment."""
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="reports")
    topic = boto3.client("sns", region_name=REGION).create_topic(Name="findings")["TopicArn"]
    athena = boto3.client("athena", region_name=REGION)
    athena.create_work_group(Name="detector", Configuration={})
    query = athena.create_named_query(Name="detection", Database="d", QueryString="SELECT 1", WorkGroup="detector")
    environment = FunctionConfig(
        workgroup="detector",
        named_query_id=query["NamedQueryId"],
        topic_arn=topic,
        report_bucket="reports",
        window_days=3,
    ).to_environ()
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    yield


def queue_rows(rows: list[dict[str, str | None]]) -> None:
    columns = list(rows[0])
    result: list[dict[str, Any]] = [{"Data": [{"VarCharValue": name} for name in columns]}]
    result += [{"Data": [{"VarCharValue": row[n]} if row[n] is not None else {} for n in columns]} for row in rows]
    payload: dict[str, Any] = {
        "region": REGION,
        "results": [{"rows": result, "column_info": [{"Name": n} for n in columns]}],
    }
    requests.post(MOTO_ATHENA_RESULTS, json=payload, timeout=5).raise_for_status()


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the Powertools logger writes during the test, instead of standard output."""
    stream = io.StringIO()
    powertools_handler = handler_module.logger.registered_handler
    assert isinstance(powertools_handler, logging.StreamHandler)
    previous = powertools_handler.setStream(stream)
    yield stream
    powertools_handler.setStream(previous)


def emf_records(text: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [record for record in records if "_aws" in record]


def test_every_log_line_of_a_run_is_json_with_the_request_id_and_the_window(
    deployed: None, log_lines: io.StringIO, detection_row: RowFactory
) -> None:
    # GIVEN a scheduled run whose query finds one principal
    queue_rows([detection_row(1)])
    # WHEN the handler runs it
    handler(SCHEDULED, Context())
    # THEN every line it logged is JSON naming the invocation and the window, the delivery module's lines included
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    assert lines
    assert {line["function_request_id"] for line in lines} == {REQUEST_ID}
    assert {line["window"] for line in lines} == {"2026-11-20..2026-11-22"}
    assert any(line["message"].startswith("window 2026-11-20..2026-11-22: 1 findings") for line in lines)
    assert {line["level"] for line in lines} <= {"INFO", "WARNING", "ERROR"}


def test_a_rejected_event_is_logged_as_json_with_the_request_id(deployed: None, log_lines: io.StringIO) -> None:
    # GIVEN an event that names no window
    # WHEN the handler is invoked with it
    with pytest.raises(ValueError, match="expected an EventBridge scheduled event"):
        handler({"hello": "world"}, Context())
    # THEN the rejection is one JSON line with the request ID and the traceback
    (line,) = [json.loads(text) for text in log_lines.getvalue().splitlines()]
    assert line["function_request_id"] == REQUEST_ID
    assert line["level"] == "ERROR" and "InvalidEvent" in line["exception"]


def finding(n: int, reasons: list[str], requests: int, principal: str | None = None) -> Finding:
    return Finding(
        principal_arn=principal or f"arn:aws:iam::123456789012:user/app-{n}",
        account_id="123456789012",
        source_ip=f"10.0.0.{n}",
        user_agent="agent",
        client=None,
        client_version=None,
        sigv4_default_version=None,
        signature_versions=["SigV2"] if "sigv2" in reasons else ["SigV4"],
        tls_versions=["TLSv1"] if "legacy_tls" in reasons else ["TLSv1.2"],
        auth_methods=["AuthHeader"],
        reasons=reasons,
        requests=requests,
        sigv2_requests=requests if "sigv2" in reasons else 0,
        legacy_tls_requests=requests if "legacy_tls" in reasons else 0,
        failed_requests=0,
        buckets=["b"],
        event_names=["GetObject"],
        regions=[REGION],
        first_seen="2026-11-20T00:00:00Z",
        last_seen="2026-11-20T01:00:00Z",
    )


KNOWN_REPORT = Report(
    window=Window(date(2026, 11, 20), date(2026, 11, 20), by_delivery=True),
    findings=[
        finding(1, ["outdated_sdk", "sigv2"], 16),
        finding(2, ["sigv2"], 13),
        finding(3, ["legacy_tls"], 9),
        finding(4, ["outdated_sdk"], 24, principal="arn:aws:iam::123456789012:user/app-1"),
    ],
)
"""Four findings of three principals: sigv2 on 2 (29 requests), outdated_sdk on 2 (40), legacy_tls on 1 (9)."""


def test_metrics_of_a_known_report_have_the_dashboards_names_and_the_reports_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a report of four findings, and what its run measured
    # WHEN its metrics are published
    publish(KNOWN_REPORT, duration_seconds=12.5, bytes_scanned=123_456_789)
    records = emf_records(capsys.readouterr().out)
    # THEN there is a record per reason with its findings and requests, and one for the run
    by_reason = {record[metrics.REASON]: record for record in records if metrics.REASON in record}
    assert {reason: (r[metrics.FINDINGS], r[metrics.REQUESTS]) for reason, r in by_reason.items()} == {
        "sigv2": ([2.0], [29.0]),
        "outdated_sdk": ([2.0], [40.0]),
        "legacy_tls": ([1.0], [9.0]),
    }
    (run,) = [record for record in records if metrics.REASON not in record]
    assert (run[metrics.FINDINGS], run[metrics.SIGV2_REQUESTS], run[metrics.PRINCIPALS]) == ([4.0], [29.0], [3.0])
    assert (run[metrics.RUN_DURATION], run[metrics.BYTES_SCANNED]) == ([12.5], [123_456_789.0])
    # AND each record is in the namespace, with its dimensions and units declared as CloudWatch reads them
    for record in records:
        (declared,) = record["_aws"]["CloudWatchMetrics"]
        assert declared["Namespace"] == metrics.NAMESPACE
        assert record["service"] == metrics.SERVICE
        expected = [metrics.REASON, "service"] if metrics.REASON in record else ["service"]
        assert declared["Dimensions"] == [expected]
    units = {m["Name"]: m["Unit"] for r in records for m in r["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert units[metrics.RUN_DURATION] == "Seconds" and units[metrics.BYTES_SCANNED] == "Bytes"


def test_a_clean_run_publishes_zero_for_every_reason(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a report without findings
    report = Report(window=KNOWN_REPORT.window)
    # WHEN its metrics are published
    publish(report, duration_seconds=1.0, bytes_scanned=0)
    records = emf_records(capsys.readouterr().out)
    # THEN each reason still has its record, at zero, so the graph shows a zero instead of a gap
    zeros = {r[metrics.REASON]: r[metrics.FINDINGS] for r in records if metrics.REASON in r}
    assert zeros == {"sigv2": [0.0], "outdated_sdk": [0.0], "legacy_tls": [0.0]}


def test_the_engine_adds_up_the_bytes_athena_scanned() -> None:
    # GIVEN Athena answering two queries that scanned 1,000 and 2,500 bytes
    client = boto3.client(
        "athena", region_name=REGION, config=BOTO_CONFIG, aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    for number, scanned in enumerate((1_000, 2_500)):
        stubber.add_response("start_query_execution", {"QueryExecutionId": f"q{number}"})
        done = {"State": "SUCCEEDED"}
        stubber.add_response(
            "get_query_execution", {"QueryExecution": {"Status": done, "Statistics": {"DataScannedInBytes": scanned}}}
        )
        empty = {"ResultSet": {"Rows": [], "ResultSetMetadata": {"ColumnInfo": [{"Name": "a", "Type": "varchar"}]}}}
        stubber.add_response("get_query_results", empty)
    engine = AthenaEngine(client, "detector", timeout_seconds=60, sleep=lambda _s: None)
    # WHEN the engine runs both
    with stubber:
        engine.run("SELECT ?", ["a"])
        engine.run("SELECT ?", ["b"])
    # THEN it counts what both scanned
    assert engine.bytes_scanned == 3_500


def test_a_scheduled_run_publishes_its_metrics(
    deployed: None, capsys: pytest.CaptureFixture[str], detection_row: RowFactory
) -> None:
    # GIVEN a scheduled run whose query finds two principals, one signing SigV2
    queue_rows(
        [detection_row(1), detection_row(2, reasons="outdated_sdk", signature_versions="SigV4", sigv2_requests="0")]
    )
    # WHEN the handler runs it
    handler(SCHEDULED, Context())
    records = emf_records(capsys.readouterr().out)
    # THEN its metrics count them (the first principal's 2 requests signed SigV2), and the run's duration is measured
    (run,) = [record for record in records if metrics.REASON not in record and metrics.FINDINGS in record]
    assert (run[metrics.FINDINGS], run[metrics.PRINCIPALS], run[metrics.SIGV2_REQUESTS]) == ([2.0], [2.0], [2.0])
    assert run[metrics.RUN_DURATION][0] > 0
