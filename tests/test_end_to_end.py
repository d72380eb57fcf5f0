"""The whole run over the sample logs: DuckDB in Athena's place, moto for S3 and SNS."""

from __future__ import annotations

import json
from datetime import date

import boto3
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from detector.aws.event import Request, parse_event
from detector.aws.handler import saved_query
from detector.aws.run import run_detection
from detector.core import queries
from detector.core.config import FunctionConfig
from detector.core.window import Window
from detector.local.discovery import find_log_files
from detector.local.duckdb_engine import DuckDBEngine
from detector.local.loading import LocalCatalog
from detector.local.projection import TABLE
from tests.helpers import DEMO_LOGS, email_of

REGION = "us-east-1"
BUCKET = "detector-reports"
SIGV2_PRINCIPALS = {
    "arn:aws:iam::123456789012:user/backup-cron",
    "arn:aws:sts::123456789012:assumed-role/legacy-uploader/i-0feedfacecafe0001",
    "arn:aws:iam::123456789012:user/reports",
    "arn:aws:iam::123456789012:user/share-links",
}


def test_samples_run_emails_the_sigv2_principals_once_and_stores_the_report(aws: None) -> None:
    # GIVEN the sample logs in DuckDB, the detection query saved in Athena, a report bucket and a topic
    files, _pruned = find_log_files([DEMO_LOGS], Window())
    catalog = LocalCatalog()
    catalog.load(files)
    s3 = boto3.client("s3", region_name=REGION)
    sns = boto3.client("sns", region_name=REGION)
    athena = boto3.client("athena", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    topic_arn = sns.create_topic(Name="findings")["TopicArn"]
    query_id = athena.create_named_query(
        Name="detection", Database="default", QueryString=queries.render(queries.DETECTION, TABLE, source="cloudtrail")
    )["NamedQueryId"]
    config = FunctionConfig(
        workgroup="primary",
        named_query_id=query_id,
        topic_arn=topic_arn,
        report_bucket=BUCKET,
        report_prefix="reports/",
        window_days=3,
        notify_when_clean=False,
    )
    event = {"id": "e2e-1", "account": DEFAULT_ACCOUNT_ID, "time": "2026-11-23T06:00:00Z"}
    request = parse_event(event, config.window_days, today=date(2026, 11, 23))

    def run() -> dict[str, object]:
        engine = DuckDBEngine(catalog.connection)
        sql = saved_query(athena, config.named_query_id)
        outcome = run_detection(
            engine, sql, request, s3=s3, sns=sns, config=config, account=DEFAULT_ACCOUNT_ID, region=REGION
        )
        return outcome.to_dict()

    # WHEN the scheduled event is handled, then delivered again
    first = run()
    second = run()

    # THEN one email names every SigV2 principal of the samples
    sent = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[topic_arn].sent_notifications
    assert len(sent) == 1
    message = email_of(sent[0][1])
    for principal in SIGV2_PRINCIPALS:
        assert principal in message
    # AND the report for 2026-11-20..2026-11-22 is in S3 with those principals as its SigV2 findings
    assert request == Request(
        Window(date(2026, 11, 20), date(2026, 11, 22), by_delivery=True), trigger="schedule", event_id="e2e-1"
    )
    key = "reports/2026-11-20_2026-11-22/report.json"
    report = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    assert {f["principal_arn"] for f in report["findings"] if "sigv2" in f["reasons"]} == SIGV2_PRINCIPALS
    assert first == {**second, "notified": True}
    assert second["notified"] is False
    assert first["report_uri"] == f"s3://{BUCKET}/{key}"
