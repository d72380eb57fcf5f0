"""The stack with the access-log source: a destination per region, logging switched on, the table, the queries.

Every template comes from app.py's wiring with cdk-nag on (an unacknowledged finding fails the synth), and each is
checked by cfn-lint too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template

from detector.core import queries
from detector.sources import access_logs
from stacks.access_logs import HANDLER, RESOURCE_TYPE
from tests.helpers import ACCOUNT, REGION, cached_synth, logical_id, only

STACK = "LegacyS3ClientDetector"
ACCESS_ONLY = (("source", "access-logs"), ("watchedBuckets", "legacy-a,legacy-b"))
BOTH = (("source", "both"), ("watchedBuckets", "legacy-a,legacy-b@eu-west-1"), ("logRetentionDays", "30"))
HOME_DESTINATION = f"legacys3clientdetector-access-{ACCOUNT}-{REGION}"
IRISH_DESTINATION = f"legacys3clientdetector-access-{ACCOUNT}-eu-west-1"
QUALIFIED_TABLE = '"legacy_s3_client_detector"."s3_access_logs"'


def region_stack(stack: cdk.Stack, region: str) -> cdk.Stack:
    app = stack.node.root
    child = app.node.find_child(f"{STACK}-AccessLogs-{region}")
    assert isinstance(child, cdk.Stack)
    return child


@pytest.fixture(scope="module")
def access_only() -> tuple[cdk.Stack, Template]:
    return cached_synth(ACCESS_ONLY)


@pytest.fixture(scope="module")
def both() -> tuple[cdk.Stack, Template, Template]:
    stack, template = cached_synth(BOTH)
    return stack, template, Template.from_stack(region_stack(stack, "eu-west-1"))


def cfn_lint(template: Template, path: Path) -> subprocess.CompletedProcess[str]:
    path.write_text(json.dumps(template.to_json()), encoding="utf-8")
    return subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--ignore-checks", "W3005", "--", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_access_logs_alone_deploy_no_trail_and_no_data_events(access_only: tuple[cdk.Stack, Template]) -> None:
    # GIVEN the stack synthesized with source=access-logs and two watched buckets, cdk-nag on
    _stack, template = access_only
    # WHEN its trails are counted
    # THEN there is none: nothing is billed per request
    template.resource_count_is("AWS::CloudTrail::Trail", 0)


@pytest.mark.parametrize("variant", ["access-only", "both-home", "both-eu-west-1"])
def test_every_template_passes_cfn_lint(
    access_only: tuple[cdk.Stack, Template], both: tuple[cdk.Stack, Template, Template], variant: str, tmp_path: Path
) -> None:
    # GIVEN each synthesized template of the access-log variants
    template = {"access-only": access_only[1], "both-home": both[1], "both-eu-west-1": both[2]}[variant]
    # WHEN cfn-lint checks it
    result = cfn_lint(template, tmp_path / f"{variant}.template.json")
    # THEN it finds nothing
    assert result.returncode == 0, result.stdout + result.stderr


def test_destination_is_sse_s3_private_tls_only_and_expires_logs_at_retention(
    both: tuple[cdk.Stack, Template, Template],
) -> None:
    # GIVEN the home region's destination bucket, with a 30-day retention
    _stack, template, _irish = both
    _, bucket = only(template, "AWS::S3::Bucket", {"BucketName": HOME_DESTINATION})
    props = bucket["Properties"]
    # WHEN its encryption, access and lifecycle are read
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    # THEN it is SSE-S3 (access logs cannot be delivered to a KMS-encrypted bucket), never public, ACLs off,
    # and its objects expire at the retention
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert [r["ExpirationInDays"] for r in props["LifecycleConfiguration"]["Rules"]] == [30]
    assert "ObjectLockEnabled" not in props


def policy_statements(template: Template, bucket_name: str) -> list[dict[str, Any]]:
    logical, _ = only(template, "AWS::S3::Bucket", {"BucketName": bucket_name})
    _, policy = only(template, "AWS::S3::BucketPolicy", {"Bucket": {"Ref": logical}})
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def test_only_the_logging_service_for_the_watched_buckets_of_this_account_may_write(
    both: tuple[cdk.Stack, Template, Template],
) -> None:
    # GIVEN the eu-west-1 destination's bucket policy
    stack, _home, irish = both
    statements = policy_statements(irish, IRISH_DESTINATION)
    # WHEN its statements for the logging service are read
    (allow,) = [s for s in statements if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}]
    # THEN it may only put objects under the prefix, for legacy-b (the bucket in that region) of this account
    assert allow["Action"] == "s3:PutObject"
    assert allow["Condition"] == {
        "ArnLike": {"aws:SourceArn": ["arn:aws:s3:::legacy-b"]},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }
    bucket = logical_id(region_stack(stack, "eu-west-1"), "AccessLogs/Bucket")
    assert allow["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/{access_logs.LOG_PREFIX}*"]]}
    # AND requests that are not TLS are denied
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in statements)


def test_each_watched_bucket_is_switched_on_in_its_own_region(both: tuple[cdk.Stack, Template, Template]) -> None:
    # GIVEN legacy-a in the home region and legacy-b in eu-west-1
    stack, home, irish = both
    # WHEN the custom resources of each region's template are read
    home_switches = home.find_resources(RESOURCE_TYPE)
    irish_switches = irish.find_resources(RESOURCE_TYPE)
    # THEN each region switches on its own bucket, pointing at its own destination under the prefix
    ((_, home_switch),) = home_switches.items()
    ((_, irish_switch),) = irish_switches.items()
    assert home_switch["Properties"]["Bucket"] == "legacy-a"
    assert irish_switch["Properties"]["Bucket"] == "legacy-b"
    assert irish_switch["Properties"]["TargetPrefix"] == access_logs.LOG_PREFIX
    destination = logical_id(region_stack(stack, "eu-west-1"), "AccessLogs/Bucket")
    assert irish_switch["Properties"]["TargetBucket"] == {"Ref": destination}
    # AND after the destination's policy exists, so the logging service can write from the start
    assert any("Policy" in dependency for dependency in irish_switch["DependsOn"])


def test_the_switch_function_may_only_read_and_set_the_logging_of_its_regions_buckets(
    both: tuple[cdk.Stack, Template, Template],
) -> None:
    # GIVEN the eu-west-1 stack's custom-resource function
    _stack, _home, irish = both
    function_logical, _function = only(irish, "AWS::Lambda::Function", {"Handler": HANDLER})
    # WHEN its role's policy is read
    policies = irish.find_resources("AWS::IAM::Policy")
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    (logging,) = [s for s in statements if s.get("Sid") == "WatchedBucketsLogging"]
    # THEN it may get and put the logging configuration of legacy-b only
    assert sorted(logging["Action"]) == ["s3:GetBucketLogging", "s3:PutBucketLogging"]
    assert logging["Resource"] == "arn:aws:s3:::legacy-b"
    assert function_logical


def test_access_log_table_reads_every_region_with_the_parsers_regex(both: tuple[cdk.Stack, Template, Template]) -> None:
    # GIVEN the access-log table of the both-sources stack
    _stack, template, _irish = both
    _, table = only(template, "AWS::Glue::Table", {"TableInput": {"Name": "s3_access_logs"}})
    table_input = table["Properties"]["TableInput"]
    storage = table_input["StorageDescriptor"]
    parameters = table_input["Parameters"]
    # WHEN its SerDe and projection are read
    # THEN RegexSerDe reads each line with the regex the local parser uses, into the source's columns
    assert storage["SerdeInfo"] == {
        "SerializationLibrary": "org.apache.hadoop.hive.serde2.RegexSerDe",
        "Parameters": {"input.regex": access_logs.LINE_REGEX},
    }
    assert [c["Name"] for c in storage["Columns"]] == list(access_logs.COLUMN_NAMES)
    # AND it projects the account, both regions, both buckets and the delivery day over each region's bucket
    assert [k["Name"] for k in table_input["PartitionKeys"]] == ["account", "region", "bucket", "log_date"]
    assert parameters["projection.region.values"] == "eu-west-1,us-east-1"
    assert parameters["projection.bucket.values"] == "legacy-a,legacy-b"
    assert parameters["storage.location.template"].startswith(
        "s3://legacys3clientdetector-access-${account}-${region}/"
    )


@pytest.mark.parametrize("name", queries.names())
def test_each_query_is_saved_for_each_source(both: tuple[cdk.Stack, Template, Template], name: str) -> None:
    # GIVEN the both-sources stack
    _stack, template, _irish = both
    # WHEN the saved queries of that file are read
    _, trail_query = only(template, "AWS::Athena::NamedQuery", {"Name": name})
    _, access_query = only(template, "AWS::Athena::NamedQuery", {"Name": f"access_logs_{name}"})
    # THEN CloudTrail's keeps its name, and the access logs' copy is the same file rendered over their table
    assert "s3_data_events" in trail_query["Properties"]["QueryString"]
    assert access_query["Properties"]["QueryString"] == queries.render(name, QUALIFIED_TABLE, source="access_logs")


def test_function_runs_each_sources_detection_query(both: tuple[cdk.Stack, Template, Template]) -> None:
    # GIVEN the detector function of the both-sources stack
    stack, template, _irish = both
    _, function = only(template, "AWS::Lambda::Function", {"Handler": "detector.aws.handler.handler"})
    variables = function["Properties"]["Environment"]["Variables"]
    # WHEN its sources and queries are read
    access_query = logical_id(stack, "Catalog/AccessLogsDetectionQuery")
    trail_query = logical_id(stack, "Catalog/DetectionQuery")
    # THEN CloudTrail's detection query is the first, the access logs' the other
    assert variables["SOURCE"] == "cloudtrail"
    assert variables["NAMED_QUERY_ID"] == {"Fn::GetAtt": [trail_query, "NamedQueryId"]}
    assert variables["MORE_QUERIES"] == {
        "Fn::Join": ["", ["access_logs=", {"Fn::GetAtt": [access_query, "NamedQueryId"]}]]
    }


def test_function_may_read_every_regions_access_logs_by_name(both: tuple[cdk.Stack, Template, Template]) -> None:
    # GIVEN the detector function's policy in the both-sources stack
    _stack, template, _irish = both
    statements = [
        s
        for p in template.find_resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    # WHEN the access-log statements are read
    (read,) = [s for s in statements if s.get("Sid") == "ReadAccessLogs"]
    (listing,) = [s for s in statements if s.get("Sid") == "ListAccessLogBuckets"]
    # THEN it may read the logging prefix of each region's bucket, and list those buckets, nothing else
    assert sorted(read["Resource"]) == sorted(
        f"arn:aws:s3:::{name}/{access_logs.LOG_PREFIX}*" for name in (HOME_DESTINATION, IRISH_DESTINATION)
    )
    assert sorted(listing["Resource"]) == sorted(f"arn:aws:s3:::{n}" for n in (HOME_DESTINATION, IRISH_DESTINATION))


def test_both_sources_keep_the_trail_for_the_watched_bucket_names(both: tuple[cdk.Stack, Template, Template]) -> None:
    # GIVEN the both-sources stack watching legacy-a and legacy-b@eu-west-1
    _stack, template, _irish = both
    _, trail = only(template, "AWS::CloudTrail::Trail")
    # WHEN the trail's selector is read
    (selector,) = trail["Properties"]["AdvancedEventSelectors"]
    # THEN it records both buckets' objects, by name (a trail's ARNs carry no region)
    assert {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::legacy-a/", "arn:aws:s3:::legacy-b/"]} in (
        selector["FieldSelectors"]
    )


@pytest.mark.parametrize(
    ("context", "warned"),
    [
        ((), True),
        ((("watchedBuckets", "all"),), False),
        ((("watchedBuckets", "legacy-a"),), False),
        (ACCESS_ONLY, False),
    ],
    ids=["not-set", "all", "listed", "access-logs"],
)
def test_synth_warns_of_the_cost_only_when_the_trail_records_every_bucket_unasked(
    context: tuple[tuple[str, str], ...], warned: bool
) -> None:
    # GIVEN the stack synthesized with or without watchedBuckets
    stack, _template = cached_synth(context)
    # WHEN its warnings are read
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("per 100,000 requests"))
    # THEN it warns, with the price, only when CloudTrail records every bucket without watchedBuckets=all
    assert bool(warnings) == warned
