"""The scheduled run over every deployed source: one query per source, their findings merged in one email."""

from __future__ import annotations

import json

import boto3
import pytest
from moto.athena.models import athena_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from detector.aws.handler import handler
from detector.core.config import SOURCE_CHOICES, FunctionConfig, InvalidConfig
from detector.sources import access_logs, cloudtrail
from tests.helpers import REGION, RowFactory, ScheduledContext, email_of, queue_athena_rows
from tests.helpers import REPORT_BUCKET as BUCKET

TRAIL_SQL = "SELECT 'trail' WHERE ? <= ? AND ? < ?"
ACCESS_SQL = "SELECT 'access' WHERE ? <= ? AND ? < ?"


@pytest.fixture
def both_deployed(aws: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """Moto resources of a `source=both` stack: a saved detection query per source; returns the topic ARN."""
    s3, sns, athena = (boto3.client(name, region_name=REGION) for name in ("s3", "sns", "athena"))
    s3.create_bucket(Bucket=BUCKET)
    topic = sns.create_topic(Name="findings")["TopicArn"]
    athena.create_work_group(Name="wg", Configuration={})
    ids = {
        source: athena.create_named_query(Name=source, Database="d", QueryString=sql, WorkGroup="wg")["NamedQueryId"]
        for source, sql in ((cloudtrail.NAME, TRAIL_SQL), (access_logs.NAME, ACCESS_SQL))
    }
    config = FunctionConfig(
        workgroup="wg",
        named_query_id=ids[cloudtrail.NAME],
        topic_arn=topic,
        report_bucket=BUCKET,
        window_days=1,
        report_prefix="reports/",
        source=cloudtrail.NAME,
        more_queries=f"{access_logs.NAME}={ids[access_logs.NAME]}",
    )
    for name, value in config.to_environ().items():
        monkeypatch.setenv(name, value)
    return str(topic)


def test_both_sources_run_their_own_query_and_share_one_email(both_deployed: str, detection_row: RowFactory) -> None:
    # GIVEN CloudTrail's query finds principals 1 and 2, the access logs' query principal 3
    queue_athena_rows([detection_row(1), detection_row(2)])
    queue_athena_rows([detection_row(3, requests="40")])
    # WHEN the schedule invokes the handler
    result = handler({"time": "2026-11-23T06:00:00Z", "detail-type": "Scheduled Event"}, ScheduledContext())
    # THEN each source's saved query ran once, CloudTrail's first
    executions = list(athena_backends[DEFAULT_ACCOUNT_ID][REGION].executions.values())
    assert [execution.query for execution in executions] == [TRAIL_SQL, ACCESS_SQL]
    # AND one email carries all three findings, each saying which log it was found in
    sent = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[both_deployed].sent_notifications
    ((_id, published, subject, *_),) = sent
    message = email_of(published)
    assert str(subject).startswith("S3 legacy clients: 3 findings")
    assert message.count("logged in   cloudtrail") == 2
    assert message.count("logged in   access_logs") == 1
    # AND the report lists them by requests, each with its log source
    s3 = boto3.client("s3", region_name=REGION)
    key = result["report_uri"].removeprefix(f"s3://{BUCKET}/")
    report = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    assert [(f["principal_arn"][-5:], f["log_source"]) for f in report["findings"]] == [
        ("app-3", "access_logs"),
        ("app-2", "cloudtrail"),
        ("app-1", "cloudtrail"),
    ]


def test_config_names_each_deployed_sources_query_and_round_trips_through_the_environment() -> None:
    # GIVEN the config of a stack deploying both sources
    config = FunctionConfig("wg", "q-trail", "arn:t", "b", more_queries="access_logs=q-access")
    # WHEN it goes through the function's environment
    again = FunctionConfig.from_environ(config.to_environ())
    # THEN each source keeps its query, CloudTrail's first
    assert again.detection_queries == {"cloudtrail": "q-trail", "access_logs": "q-access"}


@pytest.mark.parametrize("more", ["access_logs", "=q", "cloudtrail=q2", "access_logs=a,access_logs=b"])
def test_a_malformed_list_of_more_queries_is_refused_when_read(more: str) -> None:
    # GIVEN an environment whose MORE_QUERIES lacks a query ID, a source, or repeats one
    environ = FunctionConfig("wg", "q", "arn:t", "b").to_environ() | {"MORE_QUERIES": more}
    # WHEN the config is read
    # THEN it is refused, naming the variable
    with pytest.raises(InvalidConfig, match="MORE_QUERIES"):
        FunctionConfig.from_environ(environ)


def test_every_source_setting_names_source_modules() -> None:
    # GIVEN the values of the `source` setting
    # WHEN the sources each deploys are listed
    deployed = {name for names in SOURCE_CHOICES.values() for name in names}
    # THEN they are exactly the source modules
    assert deployed == {cloudtrail.NAME, access_logs.NAME}
