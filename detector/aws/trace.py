"""Trace each finding to what sent it: the EC2 instance or managed interface behind a private source IP, and the
role session or user behind the principal, so owners need not search the EC2 console by hand.

A private source IP means S3 was reached through a VPC endpoint, and the caller is the network interface holding that
address in the request's region (a gateway endpoint serves only buckets of its own region). A public IP is the caller
itself or the NAT or internet gateway it left through, so only the principal can name it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import Any, Protocol, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from detector.core.findings import Finding

Address = IPv4Address | IPv6Address
T = TypeVar("T")

VPC_NETWORKS = tuple(
    ip_network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
"""RFC 1918, RFC 6598 shared space and IPv6 ULA. Not `ipaddress`'s `is_private`: that also counts documentation and
benchmark ranges (203.0.113.0/24, 198.18.0.0/15, ...) and leaves out 100.64.0.0/10."""

MAX_FILTER_VALUES = 200
"""EC2 rejects a call with more filter values than this (FilterLimitExceeded), so addresses and instance IDs go in
chunks of 200: a region with N addresses costs ceil(N / 200) paginated calls."""

PAGE_SIZE = 1000
"""The largest page EC2 allows. EC2 applies filters page by page, so large pages keep a filtered call to few pages."""

MAX_CANDIDATES = 3
CLIENT_CONFIG = Config(retries={"mode": "standard"}, connect_timeout=5, read_timeout=30)
"""Standard retries back off on RequestLimitExceeded; short timeouts keep an unreachable endpoint from eating the
Lambda's time."""

INTERFACE_KINDS = {
    "lambda": "Lambda ENI (shared by the functions using its subnet and security groups)",
    "nat_gateway": "NAT gateway ENI",
    "natGateway": "NAT gateway ENI",
    "vpc_endpoint": "VPC endpoint ENI",
    "load_balancer": "load balancer ENI",
    "network_load_balancer": "Network Load Balancer ENI",
    "gateway_load_balancer": "Gateway Load Balancer ENI",
    "gateway_load_balancer_endpoint": "Gateway Load Balancer endpoint ENI",
    "branch": "ECS/EKS branch ENI",
    "trunk": "ECS/EKS trunk ENI",
    "transit_gateway": "transit gateway ENI",
}

ASSUMED_ROLE = re.compile(r"arn:aws[\w-]*:sts::\d{12}:assumed-role/(?P<role>[^/]+)/(?P<session>.+)")
IAM_USER = re.compile(r"arn:aws[\w-]*:iam::\d{12}:user/(?:.*/)?(?P<user>[^/]+)")
FEDERATED_USER = re.compile(r"arn:aws[\w-]*:sts::\d{12}:federated-user/(?P<user>.+)")
ROOT = re.compile(r"arn:aws[\w-]*:iam::(?P<account>\d{12}):root")
INSTANCE_ID = re.compile(r"i-[0-9a-f]{8}(?:[0-9a-f]{9})?")


class EC2Client(Protocol):
    def get_paginator(self, operation_name: str) -> Any: ...


@dataclass(frozen=True)
class RegionLookup:
    """What one region said about the addresses asked for: the interfaces holding each, or why it could not say."""

    holders: Mapping[Address, list[str]]
    error: str | None = None


def trace_sources(findings: Sequence[Finding], client_for_region: Callable[[str], EC2Client]) -> list[Finding]:
    """The findings with `source` filled. Each region is asked once for all its private addresses; a region whose
    lookup fails gives its findings the reason instead of stopping the report."""
    wanted: dict[str, set[Address]] = defaultdict(set)
    for finding in findings:
        address = vpc_address(finding.source_ip)
        if address is not None:
            for region in finding.regions:
                wanted[region].add(address)
    lookups = {region: lookup_region(client_for_region, region, wanted[region]) for region in sorted(wanted)}
    return [replace(finding, source=describe_source(finding, lookups)) for finding in findings]


def ec2_clients(session: boto3.session.Session | None = None) -> Callable[[str], EC2Client]:
    """EC2 clients for `trace_sources`, from the default credential chain unless a session is given."""
    session = session or boto3.session.Session()
    return lambda region: session.client("ec2", region_name=region, config=CLIENT_CONFIG)


def vpc_address(source_ip: str | None) -> Address | None:
    """The source IP when a VPC network interface can hold it; None for public, missing or malformed ones."""
    try:
        address = ip_address((source_ip or "").strip())
    except ValueError:
        return None
    return address if any(address in network for network in VPC_NETWORKS) else None


def lookup_region(client_for_region: Callable[[str], EC2Client], region: str, addresses: set[Address]) -> RegionLookup:
    try:
        client = client_for_region(region)
        interfaces = find_interfaces(client, addresses)
    except (ClientError, BotoCoreError) as error:
        return RegionLookup({}, error=error_text(error))
    instance_ids = {i["Attachment"]["InstanceId"] for i in interfaces if i.get("Attachment", {}).get("InstanceId")}
    try:
        names: Mapping[str, str] | str = instance_names(client, instance_ids)
    except (ClientError, BotoCoreError) as error:
        names = error_text(error)
    holders: dict[Address, list[str]] = defaultdict(list)
    for interface in interfaces:
        for address in interface_addresses(interface) & addresses:
            holders[address].append(describe_interface(interface, region, names))
    return RegionLookup(holders)


def find_interfaces(client: EC2Client, addresses: Iterable[Address]) -> list[dict[str, Any]]:
    """The network interfaces holding any of the addresses: one paginated DescribeNetworkInterfaces call per 200
    addresses of a family (IPv4 and IPv6 use different filters). Never called with no values: an empty filter
    would describe every interface."""
    by_filter = {
        "addresses.private-ip-address": sorted(str(a) for a in addresses if a.version == 4),
        "ipv6-addresses.ipv6-address": sorted(str(a) for a in addresses if a.version == 6),
    }
    paginator = client.get_paginator("describe_network_interfaces")
    interfaces: dict[str, dict[str, Any]] = {}
    for name, values in by_filter.items():
        for chunk in chunks(values, MAX_FILTER_VALUES):
            pages = paginator.paginate(
                Filters=[{"Name": name, "Values": chunk}], PaginationConfig={"PageSize": PAGE_SIZE}
            )
            for page in pages:
                interfaces.update((i["NetworkInterfaceId"], i) for i in page["NetworkInterfaces"])
    return list(interfaces.values())


def instance_names(client: EC2Client, instance_ids: Iterable[str]) -> dict[str, str]:
    """Name tags by instance ID, one paginated DescribeInstances call per 200 IDs. An `instance-id` filter rather
    than `InstanceIds`, which fails the whole call when one instance is gone."""
    paginator = client.get_paginator("describe_instances")
    names: dict[str, str] = {}
    for chunk in chunks(sorted(instance_ids), MAX_FILTER_VALUES):
        pages = paginator.paginate(
            Filters=[{"Name": "instance-id", "Values": chunk}], PaginationConfig={"PageSize": PAGE_SIZE}
        )
        for page in pages:
            for reservation in page["Reservations"]:
                for instance in reservation["Instances"]:
                    name = tag_value(instance.get("Tags", []), "Name")
                    if name:
                        names[instance["InstanceId"]] = name
    return names


def interface_addresses(interface: Mapping[str, Any]) -> set[Address]:
    texts = [interface.get("PrivateIpAddress")]
    texts += [a.get("PrivateIpAddress") for a in interface.get("PrivateIpAddresses", [])]
    texts += [a.get("Ipv6Address") for a in interface.get("Ipv6Addresses", [])]
    return {ip_address(text) for text in texts if text}


def describe_interface(interface: Mapping[str, Any], region: str, names: Mapping[str, str] | str) -> str:
    """One interface as an owner would look for it: the instance and its Name tag, or the managed interface's type,
    description and requester. `names` is the Name tags, or why they could not be read."""
    where = ", ".join(filter(None, (interface.get("NetworkInterfaceId"), interface.get("VpcId"), region)))
    instance_id = interface.get("Attachment", {}).get("InstanceId")
    if instance_id:
        if isinstance(names, str):
            label = f"(Name tag not read: {names})"
        else:
            label = f'"{names[instance_id]}"' if instance_id in names else "(no Name tag)"
        return f"EC2 instance {instance_id} {label} ({where})"
    description = interface.get("Description") or ""
    kind = INTERFACE_KINDS.get(interface.get("InterfaceType") or "")
    if kind is None:
        kind = "ECS task ENI" if description.startswith("arn:aws") and ":ecs:" in description else "ENI"
    parts = [kind]
    if description:
        parts.append(f'"{description}"')
    if interface.get("RequesterId"):
        parts.append(f"requested by {interface['RequesterId']}")
    return " ".join(parts) + f" ({where})"


def describe_source(finding: Finding, lookups: Mapping[str, RegionLookup]) -> str:
    principal = describe_principal(finding.principal_arn)
    network = describe_network(finding, lookups)
    return f"{network}; {principal}" if principal else network


def describe_network(finding: Finding, lookups: Mapping[str, RegionLookup]) -> str:
    address = vpc_address(finding.source_ip)
    if address is None:
        if not finding.source_ip:
            return "no source IP recorded; follow the principal"
        try:
            public = ip_address(finding.source_ip.strip())
        except ValueError:
            return f"source {finding.source_ip!r} is not an IP address; follow the principal"
        return f"public IP {public}: outside AWS or via a NAT or internet gateway; follow the principal"
    if not finding.regions:
        return f"{address}: no region recorded, so no network interface was looked up"
    holders = [holder for region in finding.regions for holder in lookups[region].holders.get(address, [])]
    if holders:
        shown = " or ".join(holders[:MAX_CANDIDATES])
        more = len(holders) - MAX_CANDIDATES
        return f"{address}: {shown}" + (f" or {more} more interfaces holding this address" if more > 0 else "")
    reasons = []
    if missing := [region for region in finding.regions if lookups[region].error is None]:
        reasons.append(
            f"no network interface in {' or '.join(missing)} holds this address "
            "(it may have been deleted, or belong to another account)"
        )
    failed: dict[str, list[str]] = defaultdict(list)
    for region in finding.regions:
        if (error := lookups[region].error) is not None:
            failed[error].append(region)
    reasons += [f"lookup in {' and '.join(regions)} failed: {error}" for error, regions in failed.items()]
    return f"{address}: " + "; ".join(reasons)


def describe_principal(arn: str | None) -> str | None:
    """The role and session, or user, behind a principal ARN; None when the ARN says nothing more than itself."""
    text = arn or ""
    if match := ASSUMED_ROLE.fullmatch(text):
        role, session = match["role"], match["session"]
        if INSTANCE_ID.fullmatch(session):
            return f"role {role}, session {session} (an EC2 instance role's session is named after the instance ID)"
        return f"role {role}, session {session}"
    if match := IAM_USER.fullmatch(text):
        return f"IAM user {match['user']}"
    if match := FEDERATED_USER.fullmatch(text):
        return f"federated user {match['user']}"
    if match := ROOT.fullmatch(text):
        return f"the root user of account {match['account']}"
    return None


def error_text(error: ClientError | BotoCoreError) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        text = f"{details.get('Code', 'Unknown')}: {details.get('Message', '')}".rstrip(": ")
    else:
        text = str(error)
    return " ".join(text.split())


def tag_value(tags: Iterable[Mapping[str, str]], key: str) -> str | None:
    return next((tag.get("Value") for tag in tags if tag.get("Key") == key), None)


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
