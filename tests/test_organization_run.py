"""A scheduled run over an organization, end to end in moto: the accounts found under the trail's prefix go into the
query, the findings of two accounts are traced in their own account and named from Organizations, and one email
lists them by account."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.athena.models import athena_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from detector.aws.accounts import AccountNames
from detector.aws.handler import handler
from detector.aws.organization import OrganizationRun
from detector.core import queries
from detector.core.config import FunctionConfig
from detector.core.partitions import PartitionFilter
from detector.sources import cloudtrail
from stacks.member_stackset import trace_role_arn
from tests.helpers import REGION, RowFactory, ScheduledContext, email_of, queue_athena_rows, summary_of
from tests.helpers import REPORT_BUCKET as BUCKET

ORGANIZATION_TRAIL = "org-trail-logs"
PREFIX = "AWSLogs/o-abcdefghij/"


def saved_detection() -> str:
    """The detection query as the stack saves it for accounts found at run time: it lists the hub's account."""
    partitions = PartitionFilter((DEFAULT_ACCOUNT_ID,), (REGION,), accounts_at_run_time=True)
    return queries.render(queries.DETECTION, '"db"."s3_data_events"', source=cloudtrail.NAME, partitions=partitions)


def member_instance(account: str) -> str:
    """An instance named "uploader-1" in `account`; its private address."""
    sts = boto3.client("sts", region_name=REGION)
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/admin", RoleSessionName="setup")["Credentials"]
    ec2 = boto3.client(
        "ec2",
        region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/16")["Subnet"]["SubnetId"]
    created = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet_id,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "uploader-1"}]}],
    )["Instances"][0]
    return str(created["PrivateIpAddress"])


@pytest.fixture
def organization(aws: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Moto resources of an organization-scope stack: two named member accounts with logs, the saved query, the
    topic; the function's environment set. Returns the accounts by name and the topic."""
    s3, sns, athena, orgs = (
        boto3.client(name, region_name=REGION) for name in ("s3", "sns", "athena", "organizations")
    )
    orgs.create_organization(FeatureSet="ALL")
    for name in ("payments-prod", "data-lake"):
        orgs.create_account(Email=f"{name}@example.com", AccountName=name)
    accounts = {a["Name"]: a["Id"] for a in orgs.list_accounts()["Accounts"]}
    s3.create_bucket(Bucket=BUCKET)
    s3.create_bucket(Bucket=ORGANIZATION_TRAIL)
    for name in ("payments-prod", "data-lake"):
        key = f"{PREFIX}{accounts[name]}/CloudTrail/{REGION}/2026/11/22/x.json.gz"
        s3.put_object(Bucket=ORGANIZATION_TRAIL, Key=key, Body=b"{}")
    athena.create_work_group(Name="wg", Configuration={})
    query_id = athena.create_named_query(Name="detection", Database="db", QueryString=saved_detection(), WorkGroup="wg")
    config = FunctionConfig(
        workgroup="wg",
        named_query_id=query_id["NamedQueryId"],
        topic_arn=sns.create_topic(Name="findings")["TopicArn"],
        report_bucket=BUCKET,
        window_days=1,
        report_prefix="reports/",
        organization_id="o-abcdefghij",
        trace_role=trace_role_arn("aws", "*"),
        account_folders=f"{cloudtrail.NAME}=s3://{ORGANIZATION_TRAIL}/{PREFIX}",
    )
    for variable, value in config.to_environ().items():
        monkeypatch.setenv(variable, value)
    return {"accounts": accounts, "topic": config.topic_arn}


def test_one_run_reads_every_account_found_traces_each_in_its_account_and_emails_them_by_account(
    organization: dict[str, Any], detection_row: RowFactory
) -> None:
    # GIVEN two member accounts with logs, the data lake's uploader calling from an instance of its own account
    accounts = organization["accounts"]
    payments, data_lake = accounts["payments-prod"], accounts["data-lake"]
    address = member_instance(data_lake)
    queue_athena_rows(
        [
            detection_row(
                1,
                principal_arn=f"arn:aws:iam::{data_lake}:user/uploader",
                account_id=data_lake,
                source_ip=address,
                requests="30",
            ),
            detection_row(
                2,
                principal_arn=f"arn:aws:iam::{payments}:user/batch",
                account_id=payments,
                source_ip="198.51.100.7",
                requests="20",
            ),
            detection_row(
                3,
                principal_arn=f"arn:aws:iam::{payments}:user/reports",
                account_id=payments,
                source_ip="198.51.100.8",
                requests="10",
            ),
        ]
    )
    # WHEN the schedule invokes the handler
    result = handler({"time": "2026-11-23T06:00:00Z", "detail-type": "Scheduled Event"}, ScheduledContext())
    # THEN the query that ran names the two accounts found under the trail's prefix, in both of its account lists
    (execution,) = athena_backends[DEFAULT_ACCOUNT_ID][REGION].executions.values()
    found = f"'{min(payments, data_lake)}', '{max(payments, data_lake)}'"
    assert execution.query.count(f"/* accounts: */ {found} /* :accounts */") == 2
    # AND the report carries each finding's account and its name, the data lake's traced to its own instance
    s3 = boto3.client("s3", region_name=REGION)
    report = json.loads(
        s3.get_object(Bucket=BUCKET, Key=result["report_uri"].removeprefix(f"s3://{BUCKET}/"))["Body"].read()
    )
    assert [(f["account_id"], f["account_name"]) for f in report["findings"]] == [
        (data_lake, "data-lake"),
        (payments, "payments-prod"),
        (payments, "payments-prod"),
    ]
    assert '"uploader-1"' in report["findings"][0]["source"]
    # AND one email goes out, counting per account by name, then the findings under each account
    ((_id, message, subject, *_),) = (
        sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[organization["topic"]].sent_notifications
    )
    email = email_of(message)
    assert str(subject) == "S3 legacy clients: 3 findings in 2 accounts of o-abcdefghij, 2026-11-22..2026-11-22"
    assert email.index(f"payments-prod ({payments})  2 findings") < email.index(
        f"data-lake ({data_lake})      1 finding"
    )
    assert email.index(f"== payments-prod ({payments}) ==") < email.index(f"== data-lake ({data_lake}) ==")
    # AND the JSON summary for machines names the organization and each top finding's account
    summary = summary_of(message)
    assert summary["organization"] == "o-abcdefghij"
    assert [(f["account_id"], f["account_name"]) for f in summary["top_findings"]] == [
        (data_lake, "data-lake"),
        (payments, "payments-prod"),
        (payments, "payments-prod"),
    ]


def test_accounts_that_cannot_be_listed_fail_the_run_instead_of_reading_fewer(
    organization: dict[str, Any], detection_row: RowFactory
) -> None:
    # GIVEN an organization whose trail bucket cannot be listed (here: it is gone)
    s3 = boto3.client("s3", region_name=REGION)
    for entry in s3.list_objects_v2(Bucket=ORGANIZATION_TRAIL)["Contents"]:
        s3.delete_object(Bucket=ORGANIZATION_TRAIL, Key=entry["Key"])
    s3.delete_bucket(Bucket=ORGANIZATION_TRAIL)
    queue_athena_rows([detection_row(1)])
    # WHEN the schedule invokes the handler
    # THEN the run fails with S3's error (the error alarm fires, Lambda retries), and no query ran over fewer accounts
    with pytest.raises(ClientError, match="NoSuchBucket"):
        handler({"time": "2026-11-23T06:00:00Z", "detail-type": "Scheduled Event"}, ScheduledContext())
    assert not athena_backends[DEFAULT_ACCOUNT_ID][REGION].executions


def test_a_trail_without_account_folders_yet_reads_the_accounts_the_query_saved(aws: None) -> None:
    # GIVEN a fresh organization trail bucket with no account folder yet
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=ORGANIZATION_TRAIL)
    run = OrganizationRun(
        organization_id="o-abcdefghij",
        home_account=DEFAULT_ACCOUNT_ID,
        names=AccountNames(boto3.client("organizations", region_name=REGION)),
        s3=s3,
        folders={cloudtrail.NAME: f"s3://{ORGANIZATION_TRAIL}/{PREFIX}"},
        assume=None,
    )
    # WHEN the run prepares its query
    prepared = run.queries({cloudtrail.NAME: saved_detection()})
    # THEN it is the saved query, over the hub's account
    assert prepared == {cloudtrail.NAME: saved_detection()}
