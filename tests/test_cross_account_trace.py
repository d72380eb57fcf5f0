"""Tracing an organization's findings in their own accounts: through the member trace role (moto's assume_role really
switches account), and without it (botocore Stubber: moto checks no trust policy, so it cannot refuse)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto.core.models import DEFAULT_ACCOUNT_ID

from detector.aws.cross_account import NO_ROLE, role_arn, role_assumer, trace_across_accounts
from detector.aws.trace import EC2Client, ec2_clients
from detector.core.findings import Finding
from stacks.member_stackset import trace_role_arn
from tests.helpers import account_finding

MEMBER = "222233334444"
PATTERN = trace_role_arn("aws", "*")
UPLOADER = f"arn:aws:sts::{MEMBER}:assumed-role/legacy-uploader/i-0feedfacecafe0001"


def finding(account: str, source_ip: str, principal_arn: str = UPLOADER) -> Finding:
    return replace(account_finding(account, 1, 12), principal_arn=principal_arn, source_ip=source_ip)


def member_session(sts: Any, account: str) -> boto3.session.Session:
    """A session in `account`, as the member's own admin would have (moto switches account on assumed keys)."""
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/admin", RoleSessionName="setup")["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name="us-east-1",
    )


def instance_in(session: boto3.session.Session, name: str) -> str:
    """An EC2 instance named `name` in the session's account; its private address."""
    ec2 = session.client("ec2", region_name="us-east-1")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/16")["Subnet"]["SubnetId"]
    created = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet_id,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
    )["Instances"][0]
    return str(created["PrivateIpAddress"])


def never(region: str) -> EC2Client:
    raise AssertionError(f"no lookup with the function's own credentials expected, got one in {region}")


def denied_sts() -> tuple[Any, Stubber]:
    """An STS client whose AssumeRole is refused, as for a role that is missing or does not trust the function."""
    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(sts)
    stubber.add_client_error(
        "assume_role",
        service_error_code="AccessDenied",
        service_message=f"User is not authorized to perform: sts:AssumeRole on resource: {role_arn(PATTERN, MEMBER)}",
        http_status_code=403,
    )
    return sts, stubber


def test_a_finding_in_a_member_account_is_traced_there_through_its_trace_role(aws: None) -> None:
    # GIVEN an instance "uploader-1" in the member account, and an interface holding the same address in the hub's
    sts = boto3.client("sts", region_name="us-east-1")
    address = instance_in(member_session(sts, MEMBER), "uploader-1")
    hub = boto3.client("ec2", region_name="us-east-1")
    vpc_id = hub.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_id = hub.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/16")["Subnet"]["SubnetId"]
    hub.create_network_interface(SubnetId=subnet_id, PrivateIpAddress=address, Description="hub-host")
    calls: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append(params["RoleArn"])

    sts.meta.events.register("before-parameter-build.sts.AssumeRole", record)
    # WHEN two findings of the member account from that address are traced
    traced = trace_across_accounts(
        [finding(MEMBER, address), finding(MEMBER, address, f"arn:aws:iam::{MEMBER}:user/backup-cron")],
        home_account=DEFAULT_ACCOUNT_ID,
        home_clients=never,
        assume=role_assumer(sts, PATTERN),
        pattern=PATTERN,
    )
    # THEN both name the member's instance, not the hub's, and the member's trace role was assumed once
    assert all('"uploader-1"' in (f.source or "") for f in traced), [f.source for f in traced]
    assert not any("hub-host" in (f.source or "") for f in traced)
    assert calls == [f"arn:aws:iam::{MEMBER}:role/legacy-s3-client-detector/LegacyS3ClientDetectorTrace"]


def test_without_the_trace_role_the_finding_says_it_was_not_traced_and_why() -> None:
    # GIVEN a member account whose trace role cannot be assumed
    sts, stubber = denied_sts()
    # WHEN a private and a public finding of that account are traced
    with stubber:
        private, public = trace_across_accounts(
            [finding(MEMBER, "10.0.2.44"), finding(MEMBER, "198.51.100.23")],
            home_account=DEFAULT_ACCOUNT_ID,
            home_clients=never,
            assume=role_assumer(sts, PATTERN),
            pattern=PATTERN,
        )
    # THEN the private one says it was not traced there, which role failed and with what, and still names the role
    # session; the public one is described as always, needing no lookup
    assert private.source is not None
    assert private.source.startswith(f"10.0.2.44: not traced in account {MEMBER}: the trace role ")
    assert role_arn(PATTERN, MEMBER) in private.source
    assert "(AccessDenied: User is not authorized to perform: sts:AssumeRole" in private.source
    assert private.source.endswith(
        "; role legacy-uploader, session i-0feedfacecafe0001 (an EC2 instance role's "
        "session is named after the instance ID)"
    )
    assert public.source == (
        "public IP 198.51.100.23: outside AWS or via a NAT or internet gateway; follow the principal; "
        "role legacy-uploader, session i-0feedfacecafe0001 (an EC2 instance role's session is named after the "
        "instance ID)"
    )


def test_without_a_trace_role_deployed_the_finding_says_how_to_deploy_one() -> None:
    # GIVEN an organization run without the member trace role (traceRole=false)
    # WHEN a member account's private finding is traced
    (traced,) = trace_across_accounts(
        [finding(MEMBER, "10.0.2.44")], home_account=DEFAULT_ACCOUNT_ID, home_clients=never, assume=None
    )
    # THEN it says no role is deployed and which setting deploys it
    assert traced.source is not None
    assert traced.source.startswith(f"10.0.2.44: not traced in account {MEMBER}: {NO_ROLE}")
    assert "traceRole=true" in NO_ROLE


class NoAssume:
    """An STS that fails the test if asked."""

    def assume_role(self, **request: Any) -> Any:
        raise AssertionError(f"no role should be assumed, got {request}")


def test_findings_of_the_functions_own_account_use_its_own_credentials(aws: None) -> None:
    # GIVEN an instance in the hub's own account, and an STS that must not be asked
    address = instance_in(boto3.session.Session(region_name="us-east-1"), "hub-host")
    # WHEN a finding of the hub's account, and one of no known account, are traced
    own, unknown = trace_across_accounts(
        [finding(DEFAULT_ACCOUNT_ID, address), replace(finding(MEMBER, address), account_id=None)],
        home_account=DEFAULT_ACCOUNT_ID,
        home_clients=ec2_clients(),
        assume=role_assumer(NoAssume(), PATTERN),
        pattern=PATTERN,
    )
    # THEN both are looked up with the function's own credentials, and no role was assumed
    assert '"hub-host"' in (own.source or "")
    assert '"hub-host"' in (unknown.source or "")


@pytest.mark.parametrize("account", ["22223333444", "2222333344445", "22223333444a", "../role"])
def test_only_a_twelve_digit_account_becomes_a_role_arn(account: str) -> None:
    # GIVEN an account ID from the logs that is not twelve digits
    # WHEN the trace role's ARN is built for it
    # THEN it is refused, so nothing else reaches AssumeRole
    with pytest.raises(ValueError, match="12-digit"):
        role_arn(PATTERN, account)
