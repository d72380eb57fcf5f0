"""The synthesized stack: what the trail records, how the table reads it, what the function may touch, who is told.

Every template here comes from app.py's wiring with cdk-nag's AWS Solutions pack on, so an unacknowledged finding
fails the fixture (Template.from_stack raises ValidationFailed) and with it every test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from detector.core import queries
from detector.sources import cloudtrail
from detector.sources.columns import glue_columns
from stacks.detector_function import RUNTIME
from stacks.settings import commercial_regions
from tests.helpers import ACCOUNT, cached_synth, logical_id, only

STACK = "LegacyS3ClientDetector"
TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{STACK}-s3-data-events"
QUALIFIED_TABLE = '"legacy_s3_client_detector"."s3_data_events"'
GIVEN_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VARIANT = (
    ("kmsKeyArn", GIVEN_KEY),
    ("watchedBuckets", "legacy-data,partner-drop"),
    ("keepLogsOnDestroy", True),
    ("alertEmails", "ops@example.com"),
)


@pytest.fixture(scope="module")
def synthesized() -> tuple[cdk.Stack, Template]:
    return cached_synth()


@pytest.fixture(scope="module")
def stack(synthesized: tuple[cdk.Stack, Template]) -> cdk.Stack:
    return synthesized[0]


@pytest.fixture(scope="module")
def template(synthesized: tuple[cdk.Stack, Template]) -> Template:
    return synthesized[1]


@pytest.fixture(scope="module")
def variant() -> Template:
    """A given KMS key, two watched buckets, logs kept on destroy, one email."""
    return cached_synth(VARIANT)[1]


def arn_of(logical: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical, "Arn"]}


def objects_of(logical: str) -> dict[str, Any]:
    return {"Fn::Join": ["", [arn_of(logical), "/"]]}


# --- the trail --------------------------------------------------------------------------------------------------


def test_trail_never_records_the_stacks_own_buckets(stack: cdk.Stack, template: Template) -> None:
    # GIVEN the trail's single advanced selector
    _, trail = only(template, "AWS::CloudTrail::Trail")
    (selector,) = trail["Properties"]["AdvancedEventSelectors"]
    # WHEN its resources.ARN field selectors are read
    arn_fields = [f for f in selector["FieldSelectors"] if f["Field"] == "resources.ARN"]
    # THEN the log, access-log and Athena results buckets' objects are excluded
    excluded = [
        objects_of(logical_id(stack, path))
        for path in ("LogArchive/Bucket", "LogArchive/AccessLogBucket", "LogArchive/ResultsBucket")
    ]
    assert arn_fields == [{"Field": "resources.ARN", "NotStartsWith": excluded}]


def test_trail_has_no_basic_event_selectors(template: Template) -> None:
    # GIVEN the synthesized template
    # WHEN its trail is looked up
    # THEN the trail has no basic event selectors
    template.has_resource_properties("AWS::CloudTrail::Trail", {"EventSelectors": Match.absent()})


def test_trail_records_s3_object_data_events_and_no_management_events(template: Template) -> None:
    # GIVEN the trail's single advanced selector
    _, trail = only(template, "AWS::CloudTrail::Trail")
    (selector,) = trail["Properties"]["AdvancedEventSelectors"]
    # WHEN its field selectors are read
    fields = {f["Field"]: f for f in selector["FieldSelectors"]}
    # THEN it selects S3 object data events, filtered on nothing but the ARNs
    assert fields["eventCategory"] == {"Field": "eventCategory", "Equals": ["Data"]}
    assert fields["resources.type"] == {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}
    assert set(fields) == {"eventCategory", "resources.type", "resources.ARN"}  # no eventName/readOnly filter


def test_trail_is_multi_region_and_validates_log_files(template: Template) -> None:
    # GIVEN the synthesized template
    # WHEN its trail is looked up
    # THEN the trail logs every region and validates its log files
    template.has_resource_properties(
        "AWS::CloudTrail::Trail",
        {"IsMultiRegionTrail": True, "EnableLogFileValidation": True, "IsLogging": True},
    )


def test_watched_buckets_narrow_the_trail_to_their_objects(variant: Template) -> None:
    # GIVEN the variant watching two buckets
    _, trail = only(variant, "AWS::CloudTrail::Trail")
    # WHEN its trail's advanced selector is read
    (selector,) = trail["Properties"]["AdvancedEventSelectors"]
    # THEN it selects only the objects of those buckets
    assert {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::legacy-data/", "arn:aws:s3:::partner-drop/"]} in (
        selector["FieldSelectors"]
    )


def test_cloudtrail_may_write_only_as_this_trail(stack: cdk.Stack, template: Template) -> None:
    # GIVEN the log bucket's policy
    _, policy = only(template, "AWS::S3::BucketPolicy", {"Bucket": {"Ref": logical_id(stack, "LogArchive/Bucket")}})
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    # WHEN its statements for CloudTrail are picked out
    cloudtrail = [s for s in statements if s.get("Principal") == {"Service": "cloudtrail.amazonaws.com"}]
    # THEN both CloudTrail statements are conditioned on the trail's ARN
    assert sorted(s["Action"] for s in cloudtrail) == ["s3:GetBucketAcl", "s3:PutObject"]
    for statement in cloudtrail:
        assert statement["Condition"]["StringEquals"]["aws:SourceArn"] == TRAIL_ARN
    (write,) = [s for s in cloudtrail if s["Action"] == "s3:PutObject"]
    assert write["Condition"]["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"


def test_trail_is_deleted_before_its_bucket_is_emptied(stack: cdk.Stack, template: Template) -> None:
    # GIVEN the trail and the log bucket's auto-delete custom resource
    _, trail = only(template, "AWS::CloudTrail::Trail")
    (auto_delete,) = template.find_resources(
        "Custom::S3AutoDeleteObjects", {"Properties": {"BucketName": {"Ref": logical_id(stack, "LogArchive/Bucket")}}}
    )
    # WHEN the trail's dependencies are read
    # THEN the trail depends on it (CloudFormation deletes dependents first) and on the bucket policy it needs
    assert auto_delete in trail["DependsOn"]
    assert logical_id(stack, "LogArchive/Bucket/Policy") in trail["DependsOn"]


def test_kept_logs_survive_stack_deletion(variant: Template) -> None:
    # GIVEN keepLogsOnDestroy
    buckets = variant.find_resources("AWS::S3::Bucket")
    # WHEN its log and access-log buckets are picked out
    log_buckets = {k: v for k, v in buckets.items() if "ResultsBucket" not in k}
    # THEN the log and access-log buckets are retained and never emptied
    assert {v["DeletionPolicy"] for v in log_buckets.values()} == {"Retain"}
    emptied = variant.find_resources("Custom::S3AutoDeleteObjects")
    assert not any(v["Properties"]["BucketName"] in ({"Ref": k} for k in log_buckets) for v in emptied.values())


def test_log_bucket_is_versioned_and_expires_logs_and_old_versions_at_retention(template: Template) -> None:
    # GIVEN the synthesized template
    # WHEN its log bucket is looked up
    # THEN the bucket is versioned, expires its logs after the 90 days of retention, keeps a replaced or deleted
    # version as long again, then removes it and its delete marker
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LoggingConfiguration": Match.object_like({"LogFilePrefix": "log-bucket/"}),
            "VersioningConfiguration": {"Status": "Enabled"},
            "ObjectLockEnabled": Match.absent(),
            "LifecycleConfiguration": {
                "Rules": [
                    Match.object_like(
                        {
                            "ExpirationInDays": 90,
                            "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                            "Status": "Enabled",
                        }
                    ),
                    {"ExpiredObjectDeleteMarker": True, "Id": "remove-expired-delete-markers", "Status": "Enabled"},
                ],
            },
        },
    )


def test_every_bucket_is_versioned_with_noncurrent_versions_expiring(template: Template) -> None:
    # GIVEN the synthesized template
    # WHEN its buckets are read
    buckets = template.find_resources("AWS::S3::Bucket")
    # THEN each is versioned, and each of its expiring rules also expires noncurrent versions, so cost stays flat
    for logical, bucket in buckets.items():
        props = bucket["Properties"]
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}, logical
        expiring = [rule for rule in props["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in rule]
        assert expiring and all("NoncurrentVersionExpiration" in rule for rule in expiring), logical


def test_object_lock_locks_the_log_bucket_alone_in_governance_mode() -> None:
    # GIVEN objectLockDays=30 with the logs kept on destroy
    _stack, locked = cached_synth((("objectLockDays", 30), ("keepLogsOnDestroy", True)))
    # WHEN its buckets are read
    buckets = locked.find_resources("AWS::S3::Bucket")
    with_lock = {
        logical: bucket["Properties"]["ObjectLockConfiguration"]
        for logical, bucket in buckets.items()
        if bucket["Properties"].get("ObjectLockEnabled")
    }
    # THEN only the log bucket has Object Lock, 30 days of governance retention by default
    assert list(with_lock) == ["LogArchiveBucket6951A440"]
    assert with_lock["LogArchiveBucket6951A440"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Days": 30, "Mode": "GOVERNANCE"}},
    }


def test_every_bucket_is_private_encrypted_and_tls_only(template: Template) -> None:
    # GIVEN the synthesized template
    # WHEN its buckets and bucket policies are read
    buckets = template.find_resources("AWS::S3::Bucket")
    policies = template.find_resources("AWS::S3::BucketPolicy")
    # THEN there are three buckets, each blocking public access, encrypted and refusing requests without TLS
    assert len(buckets) == 3
    for logical, bucket in buckets.items():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        (policy,) = [p for p in policies.values() if p["Properties"]["Bucket"] == {"Ref": logical}]
        denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert {"Bool": {"aws:SecureTransport": "false"}} in [s["Condition"] for s in denies]


def test_given_kms_key_encrypts_logs_trail_and_topic(variant: Template) -> None:
    # GIVEN the variant given a KMS key
    # WHEN its trail, log bucket, topic and keys are looked up
    # THEN the given key encrypts the trail, the log bucket and the topic, and the stack makes no key of its own
    variant.has_resource_properties("AWS::CloudTrail::Trail", {"KMSKeyId": GIVEN_KEY})
    variant.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LoggingConfiguration": Match.object_like({"LogFilePrefix": "log-bucket/"}),
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    Match.object_like(
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": GIVEN_KEY}}
                    )
                ]
            },
        },
    )
    variant.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": GIVEN_KEY})
    variant.resource_count_is("AWS::KMS::Key", 0)


# --- table, workgroup, saved queries -------------------------------------------------------------------------


def test_workgroup_caps_scans_enforces_its_settings_and_deletes_recursively(template: Template) -> None:
    # GIVEN the synthesized template
    # WHEN its workgroup is looked up
    # THEN the workgroup caps each query's scan, enforces its configuration and is deleted with its queries
    template.has_resource_properties(
        "AWS::Athena::WorkGroup",
        {
            "RecursiveDeleteOption": True,
            "WorkGroupConfiguration": Match.object_like(
                {
                    "BytesScannedCutoffPerQuery": 10_000_000_000,
                    "EnforceWorkGroupConfiguration": True,
                    "PublishCloudWatchMetricsEnabled": True,
                    "EngineVersion": {"SelectedEngineVersion": "Athena engine version 3"},
                }
            ),
        },
    )


def test_workgroup_writes_encrypted_results_to_the_results_bucket(stack: cdk.Stack, template: Template) -> None:
    # GIVEN the results bucket
    results = logical_id(stack, "LogArchive/ResultsBucket")
    # WHEN the workgroup is looked up
    # THEN its results go to that bucket under athena/, encrypted
    template.has_resource_properties(
        "AWS::Athena::WorkGroup",
        {
            "WorkGroupConfiguration": Match.object_like(
                {
                    "ResultConfiguration": {
                        "OutputLocation": {"Fn::Join": ["", ["s3://", {"Ref": results}, "/athena/"]]},
                        "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
                    }
                }
            )
        },
    )


@pytest.mark.parametrize("name", queries.names())
def test_each_query_file_is_saved_as_rendered_for_the_deployed_table(
    stack: cdk.Stack, template: Template, name: str
) -> None:
    # GIVEN the saved query of that name
    _, saved = only(template, "AWS::Athena::NamedQuery", {"Name": name})
    # WHEN its properties are read
    props = saved["Properties"]
    # THEN it is the repository's query rendered for the deployed database.table, in the detector's workgroup
    assert props["QueryString"] == queries.render(name, QUALIFIED_TABLE, source="cloudtrail")
    assert props["Database"] == "legacy_s3_client_detector"
    assert props["WorkGroup"] == {"Ref": logical_id(stack, "Catalog/WorkGroup")}


def test_only_query_files_become_saved_queries(template: Template) -> None:
    # GIVEN the synthesized template
    # WHEN its saved queries are read
    saved = template.find_resources("AWS::Athena::NamedQuery")
    # THEN they are exactly the query files
    assert sorted(v["Properties"]["Name"] for v in saved.values()) == sorted(queries.names())


def test_table_columns_and_partitions_come_from_the_schema(template: Template) -> None:
    # GIVEN the Glue table
    _, table = only(template, "AWS::Glue::Table")
    table_input = table["Properties"]["TableInput"]
    # WHEN its columns are read
    columns = table_input["StorageDescriptor"]["Columns"]
    # THEN its columns and partition keys are the schema's, read by CloudTrail's input format and the JSON SerDe
    assert [(c["Name"], c["Type"]) for c in columns] == glue_columns(cloudtrail.COLUMNS)
    assert [k["Name"] for k in table_input["PartitionKeys"]] == list(cloudtrail.PARTITION_KEYS)
    assert table_input["StorageDescriptor"]["SerdeInfo"] == {
        "SerializationLibrary": "org.apache.hive.hcatalog.data.JsonSerDe"
    }
    assert table_input["StorageDescriptor"]["InputFormat"] == "com.amazon.emr.cloudtrail.CloudTrailInputFormat"


def test_table_projects_account_region_and_delivery_day(stack: cdk.Stack, template: Template) -> None:
    # GIVEN the Glue table
    _, table = only(template, "AWS::Glue::Table")
    # WHEN its parameters are read
    parameters = table["Properties"]["TableInput"]["Parameters"]
    # THEN it projects the account, every commercial region and each day up to now
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.account.type"] == "enum"
    assert parameters["projection.account.values"] == ACCOUNT
    assert parameters["projection.region.type"] == "enum"
    assert parameters["projection.region.values"].split(",") == list(commercial_regions())
    assert set(queries.SIGV2_REGIONS) <= set(commercial_regions())
    assert parameters["projection.log_date.type"] == "date"
    assert parameters["projection.log_date.format"] == "yyyy/MM/dd"
    assert parameters["projection.log_date.range"].endswith(",NOW")
    assert (parameters["projection.log_date.interval"], parameters["projection.log_date.interval.unit"]) == (
        "1",
        "DAYS",
    )
    # AND its partitions are the log bucket's CloudTrail folders
    bucket = {"Ref": logical_id(stack, "LogArchive/Bucket")}
    assert parameters["storage.location.template"] == {
        "Fn::Join": ["", ["s3://", bucket, "/AWSLogs/${account}/CloudTrail/${region}/${log_date}"]]
    }


def test_saved_query_construct_ids_follow_the_file_names(stack: cdk.Stack) -> None:
    # GIVEN the synthesized stack
    # WHEN the detection query's logical ID is read
    detection = logical_id(stack, "Catalog/DetectionQuery")
    # THEN it is named after detection.sql
    assert detection.startswith("CatalogDetectionQuery")


# --- the function ------------------------------------------------------------------------------------------------


def test_function_environment_points_at_the_deployed_resources(stack: cdk.Stack, template: Template) -> None:
    # GIVEN the detector function
    _, function = only(template, "AWS::Lambda::Function", {"Handler": "detector.aws.handler.handler"})
    # WHEN its environment is read
    variables = function["Properties"]["Environment"]["Variables"]
    # THEN it names the workgroup, saved query, topic and bucket deployed, and the default settings
    assert variables == {
        "WORKGROUP": {"Ref": logical_id(stack, "Catalog/WorkGroup")},
        "NAMED_QUERY_ID": {"Fn::GetAtt": [logical_id(stack, "Catalog/DetectionQuery"), "NamedQueryId"]},
        "TOPIC_ARN": {"Ref": logical_id(stack, "Alerting/Topic")},
        "REPORT_BUCKET": {"Ref": logical_id(stack, "LogArchive/ResultsBucket")},
        "REPORT_PREFIX": "reports/",
        "WINDOW_DAYS": "1",
        "NOTIFY_WHEN_CLEAN": "false",
        "SOURCE": "cloudtrail",
        "MORE_QUERIES": "",
        "DASHBOARD_URL": "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        "#dashboards/dashboard/LegacyS3ClientDetector-us-east-1",
    }


def test_function_runs_the_newest_python_with_the_maximum_timeout(template: Template) -> None:
    # GIVEN the newest Python runtime the CDK knows
    newest = max(
        (r for r in dir(cdk.aws_lambda.Runtime) if r.startswith("PYTHON_")),
        key=lambda r: tuple(int(p) for p in r.split("_")[1:]),
    )
    # WHEN the function's runtime is compared with it
    # THEN the function runs it, for the maximum 15 minutes, with no reserved concurrency
    assert getattr(cdk.aws_lambda.Runtime, newest).name == RUNTIME.name
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "detector.aws.handler.handler",
            "Runtime": RUNTIME.name,
            "Timeout": 900,
            "ReservedConcurrentExecutions": Match.absent(),
        },
    )


def test_function_logs_to_its_own_group_kept_for_the_retention(stack: cdk.Stack, template: Template) -> None:
    # GIVEN the function's log group
    log_group = logical_id(stack, "Detector/LogGroup")
    # WHEN the group and the function are looked up
    # THEN the group keeps logs for the 90 days of retention and the function logs to it
    template.has_resource("AWS::Logs::LogGroup", {"Properties": {"RetentionInDays": 90}, "DeletionPolicy": "Delete"})
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Handler": "detector.aws.handler.handler", "LoggingConfig": {"LogGroup": {"Ref": log_group}}},
    )


def test_schedule_invokes_the_function_with_retries(stack: cdk.Stack, template: Template) -> None:
    # GIVEN the synthesized template
    # WHEN its schedule rule is looked up
    # THEN the rule invokes the function daily, retrying twice within six hours, keeping what it cannot deliver
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "cron(0 1 * * ? *)",
            "State": "ENABLED",
            "Targets": [
                Match.object_like(
                    {
                        "Arn": {"Fn::GetAtt": [logical_id(stack, "Detector/Function"), "Arn"]},
                        "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 21600},
                    }
                )
            ],
        },
    )


TRACE_ACTIONS = ["ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces"]
"""The only actions allowed on every resource: EC2 Describe* calls have no resource-level scope."""


def test_function_role_has_no_managed_policies_and_no_wildcard_resource_but_the_trace_lookups(
    template: Template,
) -> None:
    # GIVEN the function's role
    _, role = only(template, "AWS::IAM::Role", {"Description": Match.string_like_regexp("detection query")})
    # WHEN its managed policies and every policy statement are read
    # THEN it has no managed policy, no wildcard action, and a wildcard resource only for the trace lookups
    assert "ManagedPolicyArns" not in role["Properties"]
    for policy in template.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Resource"] == "*":
                assert statement["Action"] == TRACE_ACTIONS
            assert "*" not in statement["Action"]


def test_function_may_only_describe_interfaces_and_instances_to_trace_sources(template: Template) -> None:
    # GIVEN the synthesized template
    # WHEN the function's policy is looked up
    # THEN its one statement on every resource allows describing interfaces and instances alone
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [{"Sid": "TraceSources", "Effect": "Allow", "Action": TRACE_ACTIONS, "Resource": "*"}]
                )
            }
        },
    )


def test_function_may_run_queries_only_in_its_workgroup(template: Template) -> None:
    # GIVEN the synthesized template
    # WHEN the function's policy is looked up
    # THEN it may run saved queries only in its workgroup, and read only its own table's definition
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "RunSavedQueries",
                                "Action": [
                                    "athena:GetNamedQuery",
                                    "athena:GetQueryExecution",
                                    "athena:GetQueryResults",
                                    "athena:StartQueryExecution",
                                    "athena:StopQueryExecution",
                                ],
                                "Resource": f"arn:aws:athena:us-east-1:{ACCOUNT}:workgroup/{STACK}",
                            }
                        ),
                        Match.object_like(
                            {
                                "Sid": "ReadTableDefinition",
                                "Resource": [
                                    f"arn:aws:glue:us-east-1:{ACCOUNT}:catalog",
                                    f"arn:aws:glue:us-east-1:{ACCOUNT}:database/legacy_s3_client_detector",
                                    f"arn:aws:glue:us-east-1:{ACCOUNT}:table/legacy_s3_client_detector/s3_data_events",
                                ],
                            }
                        ),
                    ]
                )
            }
        },
    )


def test_function_may_write_reports_and_release_markers_only_under_the_report_prefix(
    stack: cdk.Stack, template: Template
) -> None:
    # GIVEN the results bucket
    results = logical_id(stack, "LogArchive/ResultsBucket")
    # WHEN the function's policy is looked up
    # THEN it may read, write and delete objects only under reports/ in that bucket
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Sid": "ReportsAndMarkers",
                            "Effect": "Allow",
                            "Action": [
                                "s3:AbortMultipartUpload",
                                "s3:DeleteObject",
                                "s3:GetObject",
                                "s3:PutObject",
                            ],
                            "Resource": {"Fn::Join": ["", [arn_of(results), "/reports/*"]]},
                        }
                    ]
                )
            }
        },
    )


def test_function_may_publish_to_the_topic(stack: cdk.Stack, template: Template) -> None:
    # GIVEN the synthesized template
    # WHEN the function's policy is looked up
    # THEN it may publish to the topic
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Action": "sns:Publish",
                            "Effect": "Allow",
                            "Resource": {"Ref": logical_id(stack, "Alerting/Topic")},
                        }
                    ]
                )
            }
        },
    )


# --- alerting ----------------------------------------------------------------------------------------------------


def test_topic_is_tls_only_and_encrypted_with_a_rotating_key_cloudwatch_may_use(
    stack: cdk.Stack, template: Template
) -> None:
    # GIVEN the topic's key
    key = logical_id(stack, "Alerting/TopicKey")
    # WHEN the topic, the key and the topic policy are looked up
    # THEN the key encrypts the topic, rotates and lets CloudWatch use it, and the topic refuses requests without TLS
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": arn_of(key)})
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            }
                        )
                    ]
                )
            },
        },
    )
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )


def test_alert_emails_are_subscribed(variant: Template) -> None:
    # GIVEN the variant given one alert email
    # WHEN its subscriptions are looked up
    # THEN the email is subscribed to the topic
    variant.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"})


@pytest.mark.parametrize("alarm", ["Alerting/FunctionErrors", "Alerting/MissedRun", "Alerting/FailedRunsKept"])
def test_alarms_notify_the_topic(stack: cdk.Stack, template: Template, alarm: str) -> None:
    # GIVEN the alarm
    found = template.find_resources("AWS::CloudWatch::Alarm")[logical_id(stack, alarm)]
    # WHEN its actions are compared with the topic
    topic = {"Ref": logical_id(stack, "Alerting/Topic")}
    # THEN it notifies the topic both when it fires and when it clears
    assert found["Properties"]["AlarmActions"] == [topic]
    assert found["Properties"]["OKActions"] == [topic]


def test_function_errors_alarm_fires_on_any_error(template: Template) -> None:
    # GIVEN the synthesized template
    # WHEN its alarms are looked up
    # THEN one fires on any function error
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "Errors", "Threshold": 0, "ComparisonOperator": "GreaterThanThreshold", "Statistic": "Sum"},
    )


def test_missed_run_alarm_fires_when_no_invocation_within_a_schedule_period(template: Template) -> None:
    # GIVEN the synthesized template
    # WHEN its alarms are looked up
    # THEN one fires when a schedule period and an hour pass without an invocation
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "Invocations",
            "Statistic": "Sum",
            "Threshold": 1,
            "ComparisonOperator": "LessThanThreshold",
            "TreatMissingData": "breaching",
            "Period": 25 * 3600,  # rate(1 day) plus an hour of slack
            "EvaluationPeriods": 1,
        },
    )


def test_only_this_stacks_alarms_may_publish_to_the_topic(stack: cdk.Stack, template: Template) -> None:
    # GIVEN the topic's policy, which replaces SNS's default policy
    _, policy = only(template, "AWS::SNS::TopicPolicy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    # WHEN its statements for CloudWatch are picked out
    (allow,) = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    # THEN CloudWatch may publish to the topic, for this account's three alarms only
    alarms = [
        arn_of(logical_id(stack, f"Alerting/{name}")) for name in ("FunctionErrors", "MissedRun", "FailedRunsKept")
    ]
    assert allow["Effect"] == "Allow"
    assert allow["Action"] == "sns:Publish"
    assert allow["Resource"] == {"Ref": logical_id(stack, "Alerting/Topic")}
    assert allow["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": alarms}}


def test_cloudwatch_may_use_the_topic_key_only_for_this_accounts_alarms(template: Template) -> None:
    # GIVEN the topic's key
    _, key = only(template, "AWS::KMS::Key")
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    # WHEN its statement for CloudWatch is picked out
    (allow,) = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    # THEN it is conditioned on this account and on alarms of this account and region
    assert allow["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:*"},
    }


def test_the_detector_runs_once_at_deploy_before_the_missed_run_alarm_exists(
    stack: cdk.Stack, template: Template
) -> None:
    # GIVEN the deploy-time run and the missed-run alarm
    first_run, resource = only(template, "Custom::AWS")
    alarm = template.find_resources("AWS::CloudWatch::Alarm")[logical_id(stack, "Alerting/MissedRun")]
    # WHEN the call it makes on create and the alarm's dependencies are read
    create = resource["Properties"]["Create"]["Fn::Join"][1]
    call = json.loads(create[0] + "FUNCTION" + create[2])
    # THEN it invokes the detector asynchronously with an empty event (today's window), after its async settings,
    # and only once (a fixed physical ID, no update call); the alarm is created after it
    assert create[1] == {"Ref": logical_id(stack, "Detector/Function")}
    assert call["service"] == "Lambda" and call["action"] == "Invoke"
    assert call["parameters"] == {"FunctionName": "FUNCTION", "InvocationType": "Event", "Payload": "{}"}
    assert "Update" not in resource["Properties"]
    assert logical_id(stack, "Detector/Function/EventInvokeConfig") in resource["DependsOn"]
    assert first_run in alarm["DependsOn"]


def test_the_deploy_time_run_may_invoke_the_detector_and_nothing_else(stack: cdk.Stack, template: Template) -> None:
    # GIVEN the deploy-time run's policy
    _, policy = only(template, "AWS::IAM::Policy", {"PolicyName": Match.string_like_regexp("FirstRun")})
    # WHEN its statements are read
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    # THEN it may invoke the detector function alone
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"] == arn_of(logical_id(stack, "Detector/Function"))


def test_a_run_that_fails_every_attempt_is_kept_in_an_encrypted_queue(stack: cdk.Stack, template: Template) -> None:
    # GIVEN the failed-runs queue
    queue = logical_id(stack, "Detector/FailedRuns")
    # WHEN the function's async settings, the schedule and the queue are looked up
    _, config = only(template, "AWS::Lambda::EventInvokeConfig")
    props = config["Properties"]
    # THEN an asynchronous invocation (scheduled or the deploy-time one) that fails three times is sent there
    assert props["FunctionName"] == {"Ref": logical_id(stack, "Detector/Function")}
    assert props["Qualifier"] == "$LATEST"
    assert props["DestinationConfig"] == {"OnFailure": {"Destination": arn_of(queue)}}
    assert (props["MaximumRetryAttempts"], props["MaximumEventAgeInSeconds"]) == (2, 21600)
    # AND the schedule target keeps an event it could not deliver there too
    _, rule = only(template, "AWS::Events::Rule")
    (target,) = rule["Properties"]["Targets"]
    assert target["DeadLetterConfig"] == {"Arn": arn_of(queue)}
    # AND the queue is encrypted, TLS-only and keeps a message for 14 days
    template.has_resource_properties(
        "AWS::SQS::Queue", {"SqsManagedSseEnabled": True, "MessageRetentionPeriod": 14 * 86400}
    )
    _, policy = only(template, "AWS::SQS::QueuePolicy")
    denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert [s["Condition"] for s in denies] == [{"Bool": {"aws:SecureTransport": "false"}}]


def test_a_kept_failed_run_raises_an_alarm(stack: cdk.Stack, template: Template) -> None:
    # GIVEN the failed-runs alarm
    alarm = template.find_resources("AWS::CloudWatch::Alarm")[logical_id(stack, "Alerting/FailedRunsKept")]
    props = alarm["Properties"]
    # WHEN its metric and actions are read
    # THEN it fires as soon as one message waits in the queue, and tells the topic
    assert props["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert props["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [logical_id(stack, "Detector/FailedRuns"), "QueueName"]}}
    ]
    assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert props["AlarmActions"] == [{"Ref": logical_id(stack, "Alerting/Topic")}]


# --- the template as a whole ------------------------------------------------------------------------------------


def test_stateful_logical_ids_are_pinned(stack: cdk.Stack) -> None:
    # A changed logical ID replaces the resource: a new, empty log bucket, a new trail, a new table.
    # GIVEN the synthesized stack
    # WHEN the logical IDs of its stateful resources are read
    # THEN they are the ones deployed
    assert logical_id(stack, "LogArchive/Bucket") == "LogArchiveBucket6951A440"
    assert logical_id(stack, "LogArchive/AccessLogBucket") == "LogArchiveAccessLogBucketA7576278"
    assert logical_id(stack, "LogArchive/Trail") == "LogArchiveTrail73101419"
    assert logical_id(stack, "Catalog/Table") == "CatalogTableDBD579E9"


def test_outputs_name_what_an_operator_needs(template: Template) -> None:
    # GIVEN the synthesized template
    # WHEN its outputs are read
    outputs = template.find_outputs("*")
    # THEN they name the topic, log bucket, workgroup, function, database and table
    assert {"TopicArn", "LogBucketName", "WorkGroupName", "FunctionName", "DatabaseName", "TableName"} <= set(outputs)


def test_variant_with_every_option_is_nag_clean(variant: Template) -> None:
    # GIVEN a given key, watched buckets, kept logs and an email: the fixture synthesized it with cdk-nag on
    # WHEN its trails are counted
    # THEN it has the same resources minus the stack's own key
    variant.resource_count_is("AWS::CloudTrail::Trail", 1)


def test_template_passes_cfn_lint(template: Template, tmp_path: Path) -> None:
    # W3005: CDK adds DependsOn next to a Ref/GetAtt it also renders (redundant, harmless).
    # GIVEN the synthesized template written to a file
    path = tmp_path / f"{STACK}.template.json"
    path.write_text(json.dumps(template.to_json()), encoding="utf-8")
    # WHEN cfn-lint checks it
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--ignore-checks", "W3005", "--", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN it finds nothing
    assert result.returncode == 0, result.stdout + result.stderr
