"""What subscribers receive (an SQS subscriber the JSON summary, an email subscriber the text, a filter policy only
SigV2), the alertSubscriptions and tags settings, the dashboard and its URL, and the tags on every resource."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import boto3
import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from detector.aws.alert_message import SCHEMA, SCHEMA_VERSION, publish_arguments
from detector.aws.email import MESSAGE_MAX_BYTES
from detector.aws.location import ReportLocation
from detector.core import metrics
from detector.core.findings import Finding, Report
from detector.core.window import Window
from stacks.settings import DeploySettings
from tests.helpers import cached_synth, email_of, only, summary_of

REGION = "us-east-1"
WINDOW = Window(date(2026, 11, 20), date(2026, 11, 22), by_delivery=True)
DASHBOARD = "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/D"
LOCATION = ReportLocation("reports", "reports/", WINDOW, REGION, DASHBOARD)
UNTAGGABLE = {
    "AWS::IAM::Policy",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::Subscription",
    "AWS::Lambda::Permission",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::Athena::NamedQuery",
    "AWS::Glue::Database",
    "AWS::Glue::Table",
    "AWS::CloudWatch::Dashboard",
    "Custom::AWS",
    "Custom::S3AutoDeleteObjects",
    "Custom::BucketLogging",
}
"""Resource types whose CloudFormation schema has no `Tags` property."""

RowFactory = Any


def report_of(rows: list[dict[str, str | None]]) -> Report:
    return Report(window=WINDOW, findings=[Finding.from_row(row) for row in rows])


def subscribed_queue(sns: Any, sqs: Any, topic: str, name: str, filter_policy: dict[str, Any] | None = None) -> str:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = {"RawMessageDelivery": "true"}
    if filter_policy is not None:
        attributes["FilterPolicy"] = json.dumps(filter_policy)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)
    return str(url)


def received(sqs: Any, url: str) -> list[dict[str, Any]]:
    return list(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []))


def test_an_sqs_subscriber_gets_the_json_summary_and_an_email_subscriber_the_text(
    aws: None, detection_row: RowFactory
) -> None:
    # GIVEN a topic with a queue and an email address subscribed, and a report of two findings
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="findings")["TopicArn"]
    queue = subscribed_queue(sns, sqs, topic, "machines")
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")
    report = report_of([detection_row(1), detection_row(2, reasons="legacy_tls", signature_versions="SigV4")])
    # WHEN the alert is published
    sns.publish(TopicArn=topic, Subject="S3 legacy clients", **publish_arguments(report, LOCATION, "123456789012"))
    # THEN the queue receives the versioned summary: window, counts by reason, report URIs, top findings
    (message,) = received(sqs, queue)
    summary = json.loads(message["Body"])
    assert (summary["schema"], summary["version"], summary["account"]) == (SCHEMA, SCHEMA_VERSION, "123456789012")
    assert summary["window"] == {"since": "2026-11-20", "until": "2026-11-22", "by": "delivery"}
    assert summary["counts_by_reason"] == {"sigv2": 1, "outdated_sdk": 1, "legacy_tls": 1}
    assert summary["report"]["json"] == LOCATION.json_uri and summary["dashboard"] == DASHBOARD
    assert [top["principal_arn"] for top in summary["top_findings"]] == [f.principal_arn for f in report.findings][::-1]
    assert all(top["hint"] for top in summary["top_findings"])
    # AND the email subscriber's copy is the readable text, naming both principals and the dashboard
    (sent,) = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[topic].sent_notifications
    email = email_of(sent[1])
    assert email.startswith("Legacy S3 clients in account 123456789012")
    assert all(finding.principal_arn in email for finding in report.findings) and DASHBOARD in email
    assert summary_of(sent[1]) == summary


def test_a_filter_policy_on_the_attributes_routes_only_sigv2_alerts(aws: None, detection_row: RowFactory) -> None:
    # GIVEN a queue subscribed with a filter policy for alerts with at least one SigV2 finding
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="findings")["TopicArn"]
    queue = subscribed_queue(sns, sqs, topic, "sigv2-only", {"sigv2": [{"numeric": [">", 0]}]})
    sigv2 = report_of([detection_row(1)])
    tls_only = report_of([detection_row(2, reasons="legacy_tls", signature_versions="SigV4")])
    # WHEN a TLS-only alert and a SigV2 alert are published
    for report in (tls_only, sigv2):
        sns.publish(TopicArn=topic, Subject="S3 legacy clients", **publish_arguments(report, LOCATION, "1"))
    # THEN the queue receives the SigV2 one alone, its attributes counting by reason and naming the account
    (message,) = received(sqs, queue)
    assert json.loads(message["Body"])["counts_by_reason"]["sigv2"] == 1
    attributes = publish_arguments(sigv2, LOCATION, "1")["MessageAttributes"]
    assert attributes["account"] == {"DataType": "String", "StringValue": "1"}
    assert attributes["reasons"] == {"DataType": "String.Array", "StringValue": '["sigv2", "outdated_sdk"]'}


def test_5000_findings_make_one_message_within_the_sns_limit(detection_row: RowFactory) -> None:
    # GIVEN 5,000 findings with long agents
    long_agent = "[aws-cli/1.11.10 " + "x" * 900 + "]"
    report = report_of([detection_row(n, user_agent=long_agent) for n in range(5000)])
    # WHEN the alert is shaped
    message = publish_arguments(report, LOCATION, "123456789012")["Message"]
    # THEN the whole JSON message, both copies, fits SNS's 256 KB, and the email counts the rest
    assert len(message.encode("utf-8")) <= MESSAGE_MAX_BYTES
    assert "more, see the full report" in email_of(message)
    assert len(summary_of(message)["top_findings"]) == 20


def test_alert_subscriptions_subscribe_each_endpoint_to_the_topic() -> None:
    # GIVEN a queue and a webhook as alertSubscriptions
    queue = "arn:aws:sqs:us-east-1:111111111111:findings"
    _stack, template = cached_synth((("alertSubscriptions", f"sqs={queue},https=https://hooks.example.com/s3"),))
    # WHEN the topic's subscriptions are read
    subscriptions = [r["Properties"] for r in template.find_resources("AWS::SNS::Subscription").values()]
    # THEN each is subscribed with its protocol
    assert sorted((s["Protocol"], s["Endpoint"]) for s in subscriptions) == [
        ("https", "https://hooks.example.com/s3"),
        ("sqs", queue),
    ]


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("http=http://example.com/hook", "protocol 'http'"),
        ("sqs=https://sqs.us-east-1.amazonaws.com/1/q", "not an SQS queue ARN"),
        ("lambda=arn:aws:sqs:us-east-1:111111111111:q", "not a Lambda function ARN"),
        ("just-a-queue", "not protocol=endpoint"),
    ],
)
def test_a_bad_alert_subscription_fails_naming_the_key_and_what_is_allowed(entry: str, problem: str) -> None:
    # GIVEN a subscription SNS would refuse or that would leak the findings in clear
    # WHEN settings are built from it
    with pytest.raises(ValueError) as raised:
        DeploySettings.from_context({"alertSubscriptions": entry})
    # THEN synth stops, naming the key, the entry and the protocols allowed
    message = str(raised.value)
    assert "'alertSubscriptions'" in message and problem in message


def test_the_dashboard_graphs_each_reason_the_functions_health_and_the_alarms() -> None:
    # GIVEN the default stack
    stack, template = cached_synth()
    # WHEN its dashboard body is resolved
    _, dashboard = only(template, "AWS::CloudWatch::Dashboard")
    body = json.loads("".join(part if isinstance(part, str) else "TOKEN" for part in _parts(dashboard)))
    widgets = body["widgets"]
    graphed = [json.dumps(w["properties"].get("metrics", [])) for w in widgets if w["type"] == "metric"]
    # THEN one graph has the findings of each reason, one the requests, from the run's namespace, per day
    findings = next(text for text in graphed if f'"{metrics.FINDINGS}"' in text)
    assert all(f'"{metrics.REASON}", "{reason}"' in findings for reason in ("sigv2", "outdated_sdk", "legacy_tls"))
    assert all(w["properties"].get("period", 86400) == 86400 for w in widgets if w["type"] == "metric")
    assert any(f'"{metrics.SIGV2_REQUESTS}"' in text for text in graphed)
    assert any('"Errors"' in text and '"Duration"' in text for text in graphed)
    (alarms,) = [w for w in widgets if w["type"] == "alarm"]
    assert len(alarms["properties"]["alarms"]) == 3
    # AND its console URL is a stack output and the function's DASHBOARD_URL, for the email
    outputs = template.to_json()["Outputs"]
    _, function = only(template, "AWS::Lambda::Function", {"Handler": "detector.aws.handler.handler"})
    url = function["Properties"]["Environment"]["Variables"]["DASHBOARD_URL"]
    assert (
        url
        == f"https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/{stack.stack_name}-us-east-1"
    )
    assert outputs["DashboardUrl"]["Value"] == url


def _parts(dashboard: dict[str, Any]) -> list[Any]:
    body = dashboard["Properties"]["DashboardBody"]
    return body["Fn::Join"][1] if isinstance(body, dict) else [body]


@pytest.mark.parametrize("context", [(), (("source", "both"), ("watchedBuckets", "legacy-a,legacy-b@eu-west-1"))])
def test_every_taggable_resource_carries_project_and_owner(context: tuple[tuple[str, str], ...]) -> None:
    # GIVEN the synthesized stacks, with the default tags, and with access logs in two regions
    stack, template = cached_synth(context)
    templates = [template.to_json()]
    # WHEN each resource's tags are read
    resources = [resource for body in templates for resource in body["Resources"].values()]
    tagged = [r for r in resources if "Tags" in r.get("Properties", {})]
    # THEN each resource that can hold tags holds Project and Owner, and the rest are of types that cannot
    for resource in tagged:
        tags = resource["Properties"]["Tags"]
        pairs = {t["Key"]: t["Value"] for t in tags} if isinstance(tags, list) else dict(tags)
        assert pairs["Project"] == "legacy-s3-client-detector" and pairs["Owner"] == "unassigned", resource["Type"]
    assert {r["Type"] for r in resources if r not in tagged} <= UNTAGGABLE
    assert stack.stack_name == "LegacyS3ClientDetector"


def test_tags_setting_changes_the_owner_and_adds_tags() -> None:
    # GIVEN an owner and a cost center as the tags setting
    _stack, template = cached_synth((("tags", "Owner=platform-security,CostCenter=1234"),))
    # WHEN the log bucket's tags are read
    buckets = template.find_resources("AWS::S3::Bucket")
    tags = [{t["Key"]: t["Value"] for t in b["Properties"]["Tags"]} for b in buckets.values()]
    # THEN every bucket carries the given owner, the default project and the added tag
    assert all(
        t["Owner"] == "platform-security" and t["Project"] == "legacy-s3-client-detector" and t["CostCenter"] == "1234"
        for t in tags
    )


@pytest.mark.parametrize("value", ["Owner", '{"Owner": 5}', "aws:owner=x", "Owner=a;b"])
def test_a_bad_tag_fails_naming_the_key(value: str) -> None:
    # GIVEN a tags value AWS would refuse
    # WHEN settings are built from it
    with pytest.raises(ValueError) as raised:
        DeploySettings.from_context({"tags": value})
    # THEN synth stops naming the key
    assert "'tags'" in str(raised.value)
