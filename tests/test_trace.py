"""Tracing findings to the instance, interface, role session or user that sent them (moto EC2 and botocore Stubber)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from detector.aws.trace import EC2Client, ec2_clients, trace_sources, vpc_address
from detector.core.findings import Finding
from detector.local.cli import EXIT_USAGE, main
from tests.helpers import DEMO_LOGS, account_finding

USER = "arn:aws:iam::123456789012:user/backup-cron"
LAMBDA_DESCRIPTION = "AWS Lambda VPC ENI-my-fn-3f1c7a52-9d0e-4b8a-a1c2-5e6f7a8b9c0d"


def finding(source_ip: str | None, *regions: str, principal_arn: str = USER) -> Finding:
    return replace(
        account_finding("123456789012", 1, 5),
        principal_arn=principal_arn,
        source_ip=source_ip,
        regions=list(regions or ("us-east-1",)),
    )


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


class Recorder:
    """Real clients whose API calls (each page included) are counted per region and operation."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self.filter_values: list[int] = []

    def __call__(self, region: str) -> EC2Client:
        client = boto3.client("ec2", region_name=region)

        def count(params: dict[str, Any], model: Any, **_: Any) -> None:
            self.calls[(region, model.name)] += 1
            self.filter_values.append(sum(len(f["Values"]) for f in params.get("Filters", [])))

        client.meta.events.register("before-parameter-build.ec2", count)
        ec2: EC2Client = client
        return ec2


def subnet(region: str = "us-east-1", cidr: str = "10.0.0.0/16") -> str:
    ec2 = boto3.client("ec2", region_name=region)
    vpc_id = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    return str(ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr)["Subnet"]["SubnetId"])


def instance(subnet_id: str, name: str, region: str = "us-east-1") -> tuple[str, str]:
    ec2 = boto3.client("ec2", region_name=region)
    created = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet_id,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
    )["Instances"][0]
    return created["InstanceId"], created["PrivateIpAddress"]


def interface(subnet_id: str, address: str, description: str = "", region: str = "us-east-1") -> str:
    ec2 = boto3.client("ec2", region_name=region)
    created = ec2.create_network_interface(SubnetId=subnet_id, PrivateIpAddress=address, Description=description)
    return str(created["NetworkInterface"]["NetworkInterfaceId"])


def unreachable(region: str) -> EC2Client:
    raise AssertionError(f"no EC2 lookup expected, got one for {region}")


def stubbed(*responses: tuple[str, dict[str, Any]], error: tuple[str, str] | None = None) -> Callable[[str], Any]:
    """A region's client answering with canned pages, or failing its first call with `error` (code, message)."""
    client = boto3.client("ec2", region_name="us-east-1")
    stubber = Stubber(client)
    if error:
        stubber.add_client_error("describe_network_interfaces", service_error_code=error[0], service_message=error[1])
    for operation, response in responses:
        stubber.add_response(operation, response)
    stubber.activate()
    return lambda region: client


def test_instance_address_names_the_instance_and_its_name_tag(aws: None) -> None:
    # GIVEN an EC2 instance named "backup-host"
    instance_id, address = instance(subnet(), "backup-host")

    # WHEN a finding from its address is traced
    traced = trace_sources([finding(address)], Recorder())

    # THEN the source names the instance, its Name tag, its interface and its region
    assert traced[0].source is not None
    assert traced[0].source.startswith(f'{address}: EC2 instance {instance_id} "backup-host" (eni-')
    assert "us-east-1" in traced[0].source


def test_lambda_interface_is_named_by_its_description(aws: None) -> None:
    # GIVEN a Lambda function's network interface, attached to no instance
    eni_id = interface(subnet(), "10.0.3.7", LAMBDA_DESCRIPTION)

    # WHEN a finding from its address is traced
    traced = trace_sources([finding("10.0.3.7")], Recorder())

    # THEN the source names the interface by its description, and no instance
    assert traced[0].source is not None
    assert f'"{LAMBDA_DESCRIPTION}"' in traced[0].source
    assert eni_id in traced[0].source
    assert "EC2 instance" not in traced[0].source


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"InterfaceType": "lambda", "RequesterId": "AROAEXAMPLE:my-fn"}, "Lambda ENI"),
        ({"InterfaceType": "nat_gateway", "Description": "Interface for NAT Gateway nat-0abc"}, "NAT gateway ENI"),
        ({"InterfaceType": "vpc_endpoint", "Description": "VPC Endpoint Interface vpce-0abc"}, "VPC endpoint ENI"),
        (
            {"InterfaceType": "interface", "Description": "arn:aws:ecs:us-east-1:123456789012:attachment/3f1c7a52"},
            'ECS task ENI "arn:aws:ecs:us-east-1:123456789012:attachment/3f1c7a52"',
        ),
        ({"InterfaceType": "interface", "RequesterId": "AIDAEXAMPLE"}, "ENI requested by AIDAEXAMPLE"),
    ],
)
def test_managed_interface_shows_its_type_description_and_requester(
    credentials: None, fields: dict[str, str], expected: str
) -> None:
    # GIVEN an interface managed by AWS for some service, holding the finding's address
    page = {
        "NetworkInterfaces": [{"NetworkInterfaceId": "eni-0a1", "VpcId": "vpc-0b2", "PrivateIpAddress": "10.0.4.4"}]
    }
    page["NetworkInterfaces"][0].update(fields)

    # WHEN the finding is traced
    traced = trace_sources([finding("10.0.4.4")], stubbed(("describe_network_interfaces", page)))

    # THEN the source shows the interface's type, description and requester, then its ids and the principal
    assert traced[0].source is not None
    assert traced[0].source.startswith(f"10.0.4.4: {expected}")
    assert traced[0].source.endswith("(eni-0a1, vpc-0b2, us-east-1); IAM user backup-cron")
    if "RequesterId" in fields:
        assert f"requested by {fields['RequesterId']}" in traced[0].source


def test_unknown_private_address_says_no_interface_holds_it(aws: None) -> None:
    # GIVEN a VPC where no interface holds 10.0.9.9
    subnet()

    # WHEN a finding from that address is traced
    traced = trace_sources([finding("10.0.9.9")], Recorder())

    # THEN the source says no interface in the region holds it, and why that may be
    assert traced[0].source == (
        "10.0.9.9: no network interface in us-east-1 holds this address "
        "(it may have been deleted, or belong to another account); IAM user backup-cron"
    )


def test_public_address_points_to_the_principal_without_a_lookup() -> None:
    # GIVEN a finding from a public address, and no EC2 to ask
    # WHEN it is traced
    traced = trace_sources([finding("203.0.113.10")], unreachable)

    # THEN the source points to the principal, with no lookup made
    assert traced[0].source == (
        "public IP 203.0.113.10: outside AWS or via a NAT or internet gateway; follow the principal; "
        "IAM user backup-cron"
    )


@pytest.mark.parametrize(
    ("source_ip", "looked_up"),
    [
        ("10.1.2.3", True),
        ("172.31.255.1", True),
        ("192.168.0.10", True),
        ("100.64.0.1", True),
        ("fd12:3456:789a::1", True),
        ("172.32.0.1", False),
        ("203.0.113.10", False),
        ("198.18.0.1", False),
        ("2600:1f18::1", False),
        ("s3.example.com", False),
        (None, False),
    ],
)
def test_only_addresses_a_vpc_can_hold_are_looked_up(source_ip: str | None, looked_up: bool) -> None:
    # GIVEN a source IP, private, public, not an address or missing
    # WHEN it is read as an address a VPC can hold
    address = vpc_address(source_ip)

    # THEN it is one only if private, shared (100.64.0.0/10) or IPv6 unique local
    assert (address is not None) is looked_up


def test_malformed_or_missing_source_ip_says_so() -> None:
    # GIVEN a finding whose source is a host name, and one with no source IP
    # WHEN they are traced
    traced = trace_sources([finding("s3.example.com"), finding(None)], unreachable)

    # THEN each source says so, and points to the principal
    assert [t.source for t in traced] == [
        "source 's3.example.com' is not an IP address; follow the principal; IAM user backup-cron",
        "no source IP recorded; follow the principal; IAM user backup-cron",
    ]


def test_three_hundred_addresses_cost_two_interface_calls_not_three_hundred(aws: None) -> None:
    """Counted: DescribeNetworkInterfaces requests, pages included. 300 addresses make two chunks of at most 200
    filter values; moto answers each in one page, so 2 = ceil(300 / 200) requests."""
    # GIVEN 300 private addresses, the first and the last held by interfaces
    subnet_id = subnet()
    addresses = [f"10.0.{1 + i // 200}.{4 + i % 200}" for i in range(300)]
    first_chunk, second_chunk = interface(subnet_id, addresses[0]), interface(subnet_id, addresses[299])
    recorder = Recorder()

    # WHEN a finding from each is traced
    traced = trace_sources([finding(address) for address in addresses], recorder)

    # THEN two calls of at most 200 filter values are made
    assert recorder.calls[("us-east-1", "DescribeNetworkInterfaces")] == 2
    assert max(recorder.filter_values) <= 200
    # AND both interfaces are found, and every other address is said to be held by none
    assert first_chunk in (traced[0].source or "")
    assert second_chunk in (traced[299].source or "")
    assert all("no network interface in us-east-1" in (t.source or "") for t in traced[1:299])


def test_instance_names_are_read_in_one_call_for_all_instances(aws: None) -> None:
    # GIVEN three instances, "worker-0" to "worker-2"
    subnet_id = subnet()
    created = [instance(subnet_id, f"worker-{n}") for n in range(3)]
    recorder = Recorder()

    # WHEN a finding from each is traced
    traced = trace_sources([finding(address) for _, address in created], recorder)

    # THEN their names are read in one DescribeInstances call, each source naming its own instance
    assert recorder.calls[("us-east-1", "DescribeInstances")] == 1
    for (instance_id, _), (n, result) in zip(created, enumerate(traced), strict=True):
        assert f'EC2 instance {instance_id} "worker-{n}"' in (result.source or "")


def test_each_region_is_asked_once_for_its_own_addresses(aws: None) -> None:
    # GIVEN an instance in us-east-1 and one in eu-west-1
    east_id, east_address = instance(subnet("us-east-1"), "east-host", "us-east-1")
    west_id, west_address = instance(subnet("eu-west-1", "10.1.0.0/16"), "west-host", "eu-west-1")
    recorder = Recorder()

    # WHEN findings from each, and one from an unknown address, are traced
    traced = trace_sources(
        [finding(east_address, "us-east-1"), finding(west_address, "us-east-1", "eu-west-1"), finding("10.0.7.7")],
        recorder,
    )

    # THEN each region is asked for interfaces once
    assert {key: n for key, n in recorder.calls.items() if key[1] == "DescribeNetworkInterfaces"} == {
        ("us-east-1", "DescribeNetworkInterfaces"): 1,
        ("eu-west-1", "DescribeNetworkInterfaces"): 1,
    }
    # AND each instance is found in its own region
    assert f"EC2 instance {east_id}" in (traced[0].source or "")
    assert f'EC2 instance {west_id} "west-host"' in (traced[1].source or "")
    assert "eu-west-1)" in (traced[1].source or "")


@pytest.mark.parametrize("code", ["UnauthorizedOperation", "AccessDenied"])
def test_denied_lookup_gives_every_finding_of_the_region_the_reason(credentials: None, code: str) -> None:
    # GIVEN an EC2 that refuses the lookup, and two private findings and a public one
    message = "You are not authorized to perform this operation."
    findings = [finding("10.0.1.1"), finding("10.0.1.2"), finding("198.51.100.23")]

    # WHEN they are traced
    traced = trace_sources(findings, stubbed(error=(code, message)))

    # THEN each private finding gives the refusal as the reason, and the public one is traced as usual
    assert [t.source for t in traced] == [
        f"10.0.1.1: lookup in us-east-1 failed: {code}: {message}; IAM user backup-cron",
        f"10.0.1.2: lookup in us-east-1 failed: {code}: {message}; IAM user backup-cron",
        "public IP 198.51.100.23: outside AWS or via a NAT or internet gateway; follow the principal; "
        "IAM user backup-cron",
    ]


def test_missing_credentials_fail_each_lookup_with_the_reason(no_credentials: None) -> None:
    # GIVEN no AWS credentials, and a private finding seen in two regions
    # WHEN it is traced with real EC2 clients
    traced = trace_sources([finding("10.0.1.1", "us-east-1", "eu-west-1")], ec2_clients())

    # THEN the lookup in both regions fails, giving the reason
    assert traced[0].source == (
        "10.0.1.1: lookup in us-east-1 and eu-west-1 failed: Unable to locate credentials; IAM user backup-cron"
    )


def test_unreadable_name_tags_keep_the_instance_id(credentials: None) -> None:
    # GIVEN an interface attached to an instance whose tags may not be read
    page = {
        "NetworkInterfaces": [
            {"NetworkInterfaceId": "eni-0a1", "PrivateIpAddress": "10.0.1.1", "Attachment": {"InstanceId": "i-0abc"}}
        ]
    }
    client = boto3.client("ec2", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response("describe_network_interfaces", page)
    stubber.add_client_error("describe_instances", "UnauthorizedOperation", "not allowed")
    stubber.activate()

    # WHEN a finding from its address is traced
    traced = trace_sources([finding("10.0.1.1")], lambda region: client)

    # THEN the source keeps the instance ID, saying why its Name tag was not read
    assert traced[0].source == (
        "10.0.1.1: EC2 instance i-0abc (Name tag not read: UnauthorizedOperation: not allowed) "
        "(eni-0a1, us-east-1); IAM user backup-cron"
    )


def test_interfaces_on_later_pages_are_found(credentials: None) -> None:
    # GIVEN two pages of interfaces, one address on each
    first = {"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "PrivateIpAddress": "10.0.1.1"}], "NextToken": "t"}
    second = {"NetworkInterfaces": [{"NetworkInterfaceId": "eni-2", "PrivateIpAddress": "10.0.1.2"}]}
    clients = stubbed(("describe_network_interfaces", first), ("describe_network_interfaces", second))

    # WHEN findings from both addresses are traced
    traced = trace_sources([finding("10.0.1.1"), finding("10.0.1.2")], clients)

    # THEN both interfaces are found
    assert "eni-1" in (traced[0].source or "")
    assert "eni-2" in (traced[1].source or "")


def test_ipv6_ula_is_looked_up_by_its_own_filter(credentials: None) -> None:
    # GIVEN an EC2 expecting a lookup of fd00::a by the IPv6 address filter
    client = boto3.client("ec2", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response(
        "describe_network_interfaces",
        {"NetworkInterfaces": [{"NetworkInterfaceId": "eni-6", "Ipv6Addresses": [{"Ipv6Address": "fd00::a"}]}]},
        {"Filters": [{"Name": "ipv6-addresses.ipv6-address", "Values": ["fd00::a"]}], "MaxResults": 1000},
    )
    stubber.activate()

    # WHEN a finding from that address, spelt otherwise, is traced
    traced = trace_sources([finding("FD00:0:0::A")], lambda region: client)

    # THEN that lookup is made and the interface found
    assert (traced[0].source or "").startswith("fd00::a: ENI (eni-6, us-east-1)")
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("principal_arn", "expected"),
    [
        (
            "arn:aws:sts::123456789012:assumed-role/legacy-uploader/i-0feedfacecafe0001",
            "role legacy-uploader, session i-0feedfacecafe0001 "
            "(an EC2 instance role's session is named after the instance ID)",
        ),
        ("arn:aws:sts::123456789012:assumed-role/batch-etl/emr-step-42", "role batch-etl, session emr-step-42"),
        ("arn:aws:iam::123456789012:user/reports", "IAM user reports"),
        ("arn:aws:iam::123456789012:user/division/team/reports", "IAM user reports"),
        ("arn:aws-us-gov:sts::123456789012:federated-user/alice", "federated user alice"),
        ("arn:aws:iam::123456789012:root", "the root user of account 123456789012"),
    ],
)
def test_principal_shows_role_and_session_or_user(principal_arn: str, expected: str) -> None:
    # GIVEN a public finding of a role session, an IAM user, a federated user or the root user
    # WHEN it is traced
    traced = trace_sources([finding("203.0.113.10", principal_arn=principal_arn)], unreachable)

    # THEN the source ends naming the principal in plain words
    assert (traced[0].source or "").endswith(f"; follow the principal; {expected}")


def test_unrecognised_principal_adds_nothing_to_the_network_part() -> None:
    # GIVEN a public finding of a principal that is no ARN
    # WHEN it is traced
    traced = trace_sources([finding("203.0.113.10", principal_arn="anonymous")], unreachable)

    # THEN the source is the network part alone
    assert (
        traced[0].source == "public IP 203.0.113.10: outside AWS or via a NAT or internet gateway; follow the principal"
    )


def test_scan_with_trace_and_no_credentials_stops_before_writing_a_report(no_credentials: None, tmp_path: Path) -> None:
    # GIVEN no AWS credentials
    output = tmp_path / "report.json"

    # WHEN the samples are scanned with --trace into a JSON report
    code = main(["scan", str(DEMO_LOGS), "--trace", "--format", "json", "--output", str(output)])

    # THEN the scan is a usage error before anything is read or written, not a lookup failure on every finding
    assert code == EXIT_USAGE
    assert not output.exists()


def test_scan_without_trace_makes_no_lookups(no_credentials: None, tmp_path: Path) -> None:
    # GIVEN no AWS credentials
    output = tmp_path / "report.json"

    # WHEN the samples are scanned without --trace into a JSON report
    main(["scan", str(DEMO_LOGS), "--format", "json", "--output", str(output)])

    # THEN no finding has a source
    assert all("source" not in item for item in json.loads(output.read_text())["findings"])


def test_table_shows_the_traced_source_only_when_traced(aws: None, tmp_path: Path) -> None:
    # GIVEN credentials AWS accepts (moto), and no instance holding the samples' addresses
    traced, plain = tmp_path / "traced.txt", tmp_path / "plain.txt"

    # WHEN the samples are scanned into a table with --trace, and again without
    main(["scan", str(DEMO_LOGS), "--trace", "--output", str(traced)])
    main(["scan", str(DEMO_LOGS), "--output", str(plain)])

    # THEN only the traced table has a traced source column
    assert "Source (traced)" in traced.read_text()
    assert "public IP 203.0.113.10" in traced.read_text()
    assert "Source (traced)" not in plain.read_text()


def test_a_failed_region_and_a_region_without_the_address_are_both_reported(aws: None) -> None:
    # GIVEN a VPC in us-east-1 where no interface holds 10.0.9.9, and an eu-west-1 that fails
    subnet()

    def clients(region: str) -> EC2Client:
        if region == "eu-west-1":
            error = {"Error": {"Code": "RequestLimitExceeded", "Message": "Request limit exceeded."}}
            raise ClientError(error, "DescribeNetworkInterfaces")
        ec2: EC2Client = boto3.client("ec2", region_name=region)
        return ec2

    # WHEN a finding from that address, seen in both regions, is traced
    traced = trace_sources([finding("10.0.9.9", "eu-west-1", "us-east-1")], clients)

    # THEN the source reports both the address held by none and the failed lookup
    assert traced[0].source == (
        "10.0.9.9: no network interface in us-east-1 holds this address "
        "(it may have been deleted, or belong to another account); "
        "lookup in eu-west-1 failed: RequestLimitExceeded: Request limit exceeded.; IAM user backup-cron"
    )
