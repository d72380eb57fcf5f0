"""The stack in organization scope: reading an existing organization trail (no trail of its own), creating one when
asked, one table over every account, the function's grants across accounts, and the member StackSet.

Every template comes from app.py's wiring with cdk-nag on: an unacknowledged finding in the central stack or in the
member template (synthesized in its own stage of the same app) fails the synth. cfn-lint checks both templates.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from detector.core.config import FunctionConfig
from detector.sources import access_logs, cloudtrail
from detector.sources.table import ENUM_MAX_ACCOUNTS
from stacks.detector_stack import DetectorStack
from stacks.member_stackset import BUCKET_LOGGING_SOURCE, INLINE_HANDLER, TEMPLATE_BODY_MAX_BYTES, TRACE_ROLE_NAME
from tests.helpers import ACCOUNT, cached_synth, logical_id, only

ORGANIZATION = "o-abcdefghij"
TRAIL_BUCKET = "org-trail-logs"
READ_EXISTING = (("scope", "organization"), ("organizationTrailBucket", TRAIL_BUCKET), ("organizationId", ORGANIZATION))
CREATE_TRAIL = (*READ_EXISTING, ("createOrganizationTrail", "true"), ("watchedBuckets", "legacy-a,legacy-b"))
TRAIL_KEY = "arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab"
EVERYTHING = (
    ("scope", "organization"),
    ("organizationId", ORGANIZATION),
    ("organizationTrailBucket", TRAIL_BUCKET),
    ("organizationTrailPrefix", "org"),
    ("organizationTrailKmsKeyArn", TRAIL_KEY),
    ("source", "both"),
    ("watchedBuckets", "legacy-a,legacy-b@eu-west-1"),
    ("memberOrganizationalUnits", "ou-ab12-cdef3456,ou-ab12-ghij7890"),
)
TRACE_ROLE = f"arn:aws:iam::*:role/legacy-s3-client-detector/{TRACE_ROLE_NAME}"


@pytest.fixture(scope="module")
def reading() -> tuple[cdk.Stack, Template]:
    return cached_synth(READ_EXISTING)


@pytest.fixture(scope="module")
def creating() -> tuple[cdk.Stack, Template]:
    return cached_synth(CREATE_TRAIL)


@pytest.fixture(scope="module")
def everything() -> tuple[cdk.Stack, Template]:
    return cached_synth(EVERYTHING)


def member_template(stack: cdk.Stack) -> dict[str, Any]:
    assert isinstance(stack, DetectorStack) and stack.members is not None
    body = stack.members.stack_set.template_body
    assert isinstance(body, str)
    template: dict[str, Any] = json.loads(body)
    return template


def cfn_lint(template: Mapping[str, Any], path: Path) -> subprocess.CompletedProcess[str]:
    path.write_text(json.dumps(template), encoding="utf-8")
    return subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--ignore-checks", "W3005", "--", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def statements(template: Template) -> list[dict[str, Any]]:
    """Every statement of every IAM policy of the detector function's role."""
    found = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        roles = policy["Properties"].get("Roles", [])
        if any("DetectorRole" in json.dumps(role) for role in roles):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def environment(template: Template) -> dict[str, Any]:
    _logical, function = only(template, "AWS::Lambda::Function", {"Handler": "detector.aws.handler.handler"})
    variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return variables


# --- reading an existing organization trail ------------------------------------------------------------------------


def test_reading_an_existing_trail_deploys_no_trail_and_no_log_bucket(reading: tuple[cdk.Stack, Template]) -> None:
    # GIVEN the stack pointed at an existing organization trail's bucket (cdk-nag passed in the fixture)
    _stack, template = reading
    # WHEN its trails and buckets are counted
    # THEN there is no trail (the organization already pays for one), and no log bucket of its own: only the
    # results bucket and the access-log bucket of that one
    template.resource_count_is("AWS::CloudTrail::Trail", 0)
    template.resource_count_is("AWS::S3::Bucket", 2)
    assert "LogBucketName" not in template.find_outputs("*")


def test_reading_an_existing_trail_passes_cfn_lint(reading: tuple[cdk.Stack, Template], tmp_path: Path) -> None:
    # GIVEN the synthesized template
    # WHEN cfn-lint checks it
    result = cfn_lint(reading[1].to_json(), tmp_path / "organization.template.json")
    # THEN it finds nothing
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_table_reads_every_accounts_folder_of_the_organization_trail(reading: tuple[cdk.Stack, Template]) -> None:
    # GIVEN the organization's CloudTrail table
    _logical, table = only(reading[1], "AWS::Glue::Table")
    table_input = table["Properties"]["TableInput"]
    parameters = table_input["Parameters"]
    # WHEN its location and projection are read
    # THEN it is rooted at the organization's folder and projects account, region and day from the key; the
    # accounts are found by each run (accounts=auto), so the account is injected
    prefix = f"s3://{TRAIL_BUCKET}/AWSLogs/{ORGANIZATION}/"
    assert table_input["StorageDescriptor"]["Location"] == prefix
    assert parameters["storage.location.template"] == f"{prefix}${{account}}/CloudTrail/${{region}}/${{log_date}}"
    assert parameters["projection.account.type"] == "injected"
    assert "projection.account.values" not in parameters
    assert parameters["projection.region.type"] == "enum"
    assert [key["Name"] for key in table_input["PartitionKeys"]] == list(cloudtrail.PARTITION_KEYS)


@pytest.mark.parametrize(
    ("count", "kind"), [(3, "enum"), (ENUM_MAX_ACCOUNTS, "enum"), (ENUM_MAX_ACCOUNTS + 1, "injected")]
)
def test_listed_accounts_are_an_enum_up_to_three_dozen_and_injected_beyond(count: int, kind: str) -> None:
    # GIVEN the stack with a list of accounts
    accounts = [f"{100000000000 + n}" for n in range(count)]
    _stack, template = cached_synth((*READ_EXISTING, ("accounts", ",".join(accounts))))
    # WHEN the table's account projection and the saved detection query are read
    _logical, table = only(template, "AWS::Glue::Table")
    parameters = table["Properties"]["TableInput"]["Parameters"]
    _logical, query = only(template, "AWS::Athena::NamedQuery", {"Name": "detection"})
    # THEN the projection is the kind its size calls for, and the query names every account either way
    assert parameters["projection.account.type"] == kind
    assert (parameters.get("projection.account.values") == ",".join(accounts)) == (kind == "enum")
    assert "account IN ('" + "', '".join(accounts) + "')" in query["Properties"]["QueryString"]


def test_the_function_reads_the_organization_trail_and_lists_account_names(
    reading: tuple[cdk.Stack, Template],
) -> None:
    # GIVEN the function role's statements
    found = statements(reading[1])
    # WHEN those on the trail's bucket and on Organizations are picked out
    by_sid = {statement.get("Sid"): statement for statement in found}
    names = [s for s in found if s["Action"] == "organizations:ListAccounts"]
    # THEN it may list the bucket and read only the organization's log objects, and list the accounts' names
    assert by_sid["ListOrganizationTrailBucket"]["Resource"] == f"arn:aws:s3:::{TRAIL_BUCKET}"
    assert by_sid["ReadOrganizationTrailLogs"] == {
        "Sid": "ReadOrganizationTrailLogs",
        "Action": "s3:GetObject",
        "Effect": "Allow",
        "Resource": f"arn:aws:s3:::{TRAIL_BUCKET}/AWSLogs/{ORGANIZATION}/*",
    }
    assert names == [{"Action": "organizations:ListAccounts", "Effect": "Allow", "Resource": "*"}]
    assert "DecryptOrganizationTrailLogs" not in by_sid


def test_the_function_knows_the_organization_and_where_to_find_its_accounts(
    reading: tuple[cdk.Stack, Template],
) -> None:
    # GIVEN the function's environment
    variables = environment(reading[1])
    # WHEN it is read as the handler reads it
    config = FunctionConfig.from_environ({k: v if isinstance(v, str) else "x" for k, v in variables.items()})
    # THEN it names the organization, finds the accounts under the trail's prefix, and has no trace role to assume
    assert config.organization_id == ORGANIZATION
    assert config.folders_by_source == {cloudtrail.NAME: f"s3://{TRAIL_BUCKET}/AWSLogs/{ORGANIZATION}/"}
    assert config.trace_role == ""


def test_one_accounts_function_environment_has_no_organization_variables() -> None:
    # GIVEN the default stack
    _stack, template = cached_synth()
    # WHEN the function's environment is read
    variables = environment(template)
    # THEN it has none of the organization's variables
    assert not {"ORGANIZATION_ID", "TRACE_ROLE", "ACCOUNT_FOLDERS"} & set(variables)


# --- creating the organization trail -------------------------------------------------------------------------------


def test_asked_the_stack_creates_one_organization_trail_of_the_watched_buckets(
    creating: tuple[cdk.Stack, Template],
) -> None:
    # GIVEN the stack asked to create the organization trail, two buckets watched (cdk-nag passed in the fixture)
    _stack, template = creating
    # WHEN its trail is read
    _logical, trail = only(template, "AWS::CloudTrail::Trail")
    props = trail["Properties"]
    # THEN it is an organization, multi-region trail into the given bucket, of those buckets' object data events only
    assert props["IsOrganizationTrail"] is True
    assert props["IsMultiRegionTrail"] is True
    assert props["S3BucketName"] == TRAIL_BUCKET
    assert "EventSelectors" not in props
    ((selector,),) = [props["AdvancedEventSelectors"]]
    assert {"Field": "eventCategory", "Equals": ["Data"]} in selector["FieldSelectors"]
    assert {"Field": "resources.type", "Equals": ["AWS::S3::Object"]} in selector["FieldSelectors"]
    assert {
        "Field": "resources.ARN",
        "StartsWith": ["arn:aws:s3:::legacy-a/", "arn:aws:s3:::legacy-b/"],
    } in selector["FieldSelectors"]


def test_the_organization_trail_passes_cfn_lint(creating: tuple[cdk.Stack, Template], tmp_path: Path) -> None:
    # GIVEN the template with the organization trail
    # WHEN cfn-lint checks it
    result = cfn_lint(creating[1].to_json(), tmp_path / "organization-trail.template.json")
    # THEN it finds nothing
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_trail_into_the_stacks_own_bucket_may_write_only_as_the_management_accounts_trail() -> None:
    # GIVEN the stack creating the organization trail without a bucket of its own (cdk-nag passed in the synth)
    stack, template = cached_synth(
        (("scope", "organization"), ("organizationId", ORGANIZATION), ("createOrganizationTrail", "true"))
    )
    bucket = logical_id(stack, "LogArchive/Bucket")
    # WHEN CloudTrail's statements in the log bucket's policy are read
    _logical, policy = only(template, "AWS::S3::BucketPolicy", {"Bucket": {"Ref": bucket}})
    cloudtrail_statements = {
        s["Sid"]: s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Principal") == {"Service": "cloudtrail.amazonaws.com"}
    }
    # THEN CloudTrail may check the ACL and write under this account's and the organization's folders, each only as
    # this (the management) account's trail
    trail_arn = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/LegacyS3ClientDetector-organization-s3-data-events"
    assert set(cloudtrail_statements) == {
        "AWSCloudTrailAclCheck",
        "AWSCloudTrailWrite",
        "AWSCloudTrailOrganizationWrite",
    }
    for statement in cloudtrail_statements.values():
        assert statement["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    written = cloudtrail_statements["AWSCloudTrailOrganizationWrite"]["Resource"]
    assert written == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/AWSLogs/{ORGANIZATION}/*"]]}
    # AND the table reads the organization's folder of that bucket
    _logical, table = only(template, "AWS::Glue::Table")
    assert table["Properties"]["TableInput"]["StorageDescriptor"]["Location"] == {
        "Fn::Join": ["", ["s3://", {"Ref": bucket}, f"/AWSLogs/{ORGANIZATION}/"]]
    }


# --- everything: a prefixed, encrypted trail, access logs, the member StackSet ---------------------------------------


def test_a_prefixed_encrypted_trail_is_read_under_its_prefix_with_its_key(
    everything: tuple[cdk.Stack, Template],
) -> None:
    # GIVEN the stack reading a trail with a key prefix and a KMS key of another account
    by_sid = {statement.get("Sid"): statement for statement in statements(everything[1])}
    # WHEN its read statements are picked out
    # THEN the objects under the prefix may be read, and decrypted with that key alone
    assert (
        by_sid["ReadOrganizationTrailLogs"]["Resource"] == f"arn:aws:s3:::{TRAIL_BUCKET}/org/AWSLogs/{ORGANIZATION}/*"
    )
    assert by_sid["DecryptOrganizationTrailLogs"]["Resource"] == TRAIL_KEY
    assert by_sid["DecryptOrganizationTrailLogs"]["Action"] == "kms:Decrypt"


def test_member_access_logs_replicate_into_one_central_table(everything: tuple[cdk.Stack, Template]) -> None:
    # GIVEN the stack with both sources over the organization
    stack, template = everything
    central = logical_id(stack, "Organization/CentralAccessLogs/Bucket")
    # WHEN the access-log table and the central bucket's policy are read
    tables = template.find_resources("AWS::Glue::Table")
    (access_table,) = [t for t in tables.values() if t["Properties"]["TableInput"]["Name"] == "s3_access_logs"]
    parameters = access_table["Properties"]["TableInput"]["Parameters"]
    _logical, policy = only(template, "AWS::S3::BucketPolicy", {"Bucket": {"Ref": central}})
    replicate = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid") == "MembersReplicateAccessLogs"
    ]
    # THEN one table reads every account, region and bucket under the central bucket's logging prefix
    assert parameters["storage.location.template"] == {
        "Fn::Join": [
            "",
            ["s3://", {"Ref": central}, f"/{access_logs.LOG_PREFIX}${{account}}/${{region}}/${{bucket}}/${{log_date}}"],
        ]
    }
    assert parameters["projection.bucket.values"] == "legacy-a,legacy-b"
    # AND only the member StackSet's replication roles of this organization may replicate into it, nothing else
    assert replicate == [
        {
            "Sid": "MembersReplicateAccessLogs",
            "Action": "s3:ReplicateObject",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [central, "Arn"]}, f"/{access_logs.LOG_PREFIX}*"]]},
            "Condition": {
                "StringEquals": {"aws:PrincipalOrgID": ORGANIZATION},
                "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/legacy-s3-client-detector/replication/*"},
            },
        }
    ]
    # AND the one-account parts are not deployed: no region stack, no access-log bucket named for this account
    assert not [child for child in stack.node.root.node.children if "AccessLogs-" in child.node.id]


def test_the_stackset_is_service_managed_and_auto_deploys_to_the_ous(everything: tuple[cdk.Stack, Template]) -> None:
    # GIVEN the stack with member OUs
    stack, template = everything
    # WHEN its StackSet is read
    _logical, stack_set = only(template, "AWS::CloudFormation::StackSet")
    props = stack_set["Properties"]
    # THEN it is service-managed, auto-deploys (and removes stacks from accounts that leave), in the home region and
    # the watched buckets' regions of every account of the two OUs, and gets the function's role and the central bucket
    assert props["PermissionModel"] == "SERVICE_MANAGED"
    assert props["CallAs"] == "DELEGATED_ADMIN"
    assert props["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert props["StackInstancesGroup"] == [
        {
            "DeploymentTargets": {"OrganizationalUnitIds": ["ou-ab12-cdef3456", "ou-ab12-ghij7890"]},
            "Regions": ["eu-west-1", "us-east-1"],
        }
    ]
    assert props["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in props["Parameters"]} == {
        "DetectorRoleArn": {"Fn::GetAtt": [logical_id(stack, "Detector/Role"), "Arn"]},
        "CentralAccessLogBucket": {"Ref": logical_id(stack, "Organization/CentralAccessLogs/Bucket")},
    }
    assert len(props["TemplateBody"].encode()) <= TEMPLATE_BODY_MAX_BYTES


def test_the_member_template_synthesizes_without_assets_and_passes_cfn_lint(
    everything: tuple[cdk.Stack, Template], tmp_path: Path
) -> None:
    # GIVEN the StackSet's template (its stage was synthesized with cdk-nag on, in the fixture)
    template = member_template(everything[0])
    # WHEN it is checked by cfn-lint and its functions' code is read
    result = cfn_lint(template, tmp_path / "member.template.json")
    functions = Template.from_json(template).find_resources("AWS::Lambda::Function")
    # THEN cfn-lint finds nothing, nothing needs CDK's bootstrap, and the one function's code is inline: the handler
    # file itself, as CloudFormation's `index`
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BootstrapVersion" not in template.get("Parameters", {})
    assert "S3Bucket" not in json.dumps(functions)
    ((function,),) = [list(functions.values())]
    assert function["Properties"]["Code"] == {"ZipFile": BUCKET_LOGGING_SOURCE.read_text(encoding="utf-8")}
    assert function["Properties"]["Handler"] == INLINE_HANDLER


def test_the_member_trace_role_is_read_only_and_trusts_only_the_detectors_role(
    everything: tuple[cdk.Stack, Template],
) -> None:
    # GIVEN the member template
    member = Template.from_json(member_template(everything[0]))
    # WHEN its trace role and the role's policy are read
    _logical, role = only(member, "AWS::IAM::Role", {"RoleName": TRACE_ROLE_NAME})
    policies = member.find_resources(
        "AWS::IAM::Policy", {"Properties": {"PolicyName": Match.string_like_regexp("^TraceRole")}}
    )
    ((policy,),) = [list(policies.values())]
    # THEN only the detector's role may assume it, only in the home region, and it may only describe interfaces
    # and instances
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"AWS": {"Ref": "DetectorRoleArn"}}}
    ]
    assert role["Properties"]["Path"] == "/legacy-s3-client-detector/"
    assert role["Condition"] == "InUsEast1"
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Sid": "TraceSources",
            "Action": ["ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces"],
            "Effect": "Allow",
            "Resource": "*",
        }
    ]


def test_the_function_may_assume_only_the_member_trace_roles(everything: tuple[cdk.Stack, Template]) -> None:
    # GIVEN the function role's statements and environment
    found = [s for s in statements(everything[1]) if s["Action"] == "sts:AssumeRole"]
    # WHEN the AssumeRole grants are read
    # THEN there is one, on the member trace role of any account, and the function is told that role
    assert found == [
        {"Sid": "AssumeMemberTraceRoles", "Action": "sts:AssumeRole", "Effect": "Allow", "Resource": TRACE_ROLE}
    ]
    assert environment(everything[1])["TRACE_ROLE"] == TRACE_ROLE


def test_each_member_region_switches_only_its_own_buckets_and_replicates_to_the_hub(
    everything: tuple[cdk.Stack, Template],
) -> None:
    # GIVEN the member template
    template = member_template(everything[0])
    resources = template["Resources"]
    # WHEN its logging resources, the access-log bucket and the conditions are read
    logging = {r["Properties"]["Bucket"]: r for r in resources.values() if r["Type"] == "Custom::BucketLogging"}
    (bucket,) = [r for r in resources.values() if r["Type"] == "AWS::S3::Bucket"]
    rule = bucket["Properties"]["ReplicationConfiguration"]["Rules"][0]
    # THEN each watched bucket is switched only in its own region, only where its account owns it
    assert {name: r["Condition"] for name, r in logging.items()} == {"legacy-a": "InUsEast1", "legacy-b": "InEuWest1"}
    assert all(r["Properties"]["OnlyIfOwned"] == "true" for r in logging.values())
    assert template["Conditions"]["InEuWest1"] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}
    # AND the region's access-log bucket is versioned, kept when the instance goes (no asset to empty it), and
    # replicates the logging prefix, without deletes, into the hub's bucket
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["Condition"] == "InWatchedRegion"
    assert rule["Filter"] == {"Prefix": access_logs.LOG_PREFIX}
    assert rule["DeleteMarkerReplication"] == {"Status": "Disabled"}
    assert rule["Destination"]["Bucket"] == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "CentralAccessLogBucket"}]]
    }


def test_every_bucket_of_either_template_expires_its_old_versions(everything: tuple[cdk.Stack, Template]) -> None:
    # GIVEN every bucket of the central stack and of the member template
    stack, template = everything
    buckets = {**template.find_resources("AWS::S3::Bucket")}
    buckets |= Template.from_json(member_template(stack)).find_resources("AWS::S3::Bucket")
    # WHEN their expiring lifecycle rules are read
    # THEN each is versioned and each expiring rule expires noncurrent versions too, so storage stays bounded
    for logical, bucket in buckets.items():
        props = bucket["Properties"]
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}, logical
        expiring = [rule for rule in props["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in rule]
        assert expiring and all("NoncurrentVersionExpiration" in rule for rule in expiring), logical
