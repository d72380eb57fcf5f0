"""Tracing the findings of an organization: the network interface behind a private source IP is in the caller's own
account (the finding's `account_id`), so its lookup runs there, through the member trace role the member StackSet
ships. Findings of the function's own account use its own credentials. Where the role cannot be assumed, the
finding says it was not traced and why; a public source IP needs no lookup, so it is described as in one account.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from detector.aws.trace import EC2Client, describe_principal, describe_source, ec2_clients, error_text, trace_sources
from detector.aws.trace import vpc_address as private_address
from detector.core.findings import Finding
from detector.core.partitions import ACCOUNT_ID

SESSION_NAME = "legacy-s3-client-detector"
ClientsForRegion = Callable[[str], EC2Client]
Assume = Callable[[str], ClientsForRegion]
"""Account -> EC2 clients in it; raises ClientError or BotoCoreError when its role cannot be assumed."""

NO_ROLE = "no trace role is deployed (the member StackSet with traceRole=true deploys one in each member account)"


def role_arn(pattern: str, account: str) -> str:
    """The trace role of `account`, from its ARN with `*` for the account (`FunctionConfig.trace_role`)."""
    if not ACCOUNT_ID.match(account):
        raise ValueError(f"{account!r} is not a 12-digit account ID")
    head, star, tail = pattern.partition(":*:")
    if not star:
        raise ValueError(f"TRACE_ROLE={pattern!r} has no '*' account to fill in")
    return f"{head}:{account}:{tail}"


def role_assumer(sts: Any, pattern: str, *, session_factory: Callable[..., Any] = boto3.session.Session) -> Assume:
    """Assumes the trace role of an account, at most once an account a run (each region's client comes from the
    same session)."""
    sessions: dict[str, ClientsForRegion] = {}

    def assume(account: str) -> ClientsForRegion:
        if account not in sessions:
            credentials = sts.assume_role(RoleArn=role_arn(pattern, account), RoleSessionName=SESSION_NAME)[
                "Credentials"
            ]
            session = session_factory(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
            )
            sessions[account] = ec2_clients(session)
        return sessions[account]

    return assume


def trace_across_accounts(
    findings: Sequence[Finding],
    *,
    home_account: str,
    home_clients: ClientsForRegion,
    assume: Assume | None,
    pattern: str = "",
) -> list[Finding]:
    """The findings with `source` filled, each account's looked up in that account; order kept."""
    by_account: dict[str | None, list[int]] = defaultdict(list)
    for index, finding in enumerate(findings):
        by_account[finding.account_id].append(index)
    traced = list(findings)
    for account, indices in by_account.items():
        group = [findings[index] for index in indices]
        done = _trace_account(
            group, account, home_account=home_account, home_clients=home_clients, assume=assume, pattern=pattern
        )
        for index, finding in zip(indices, done, strict=True):
            traced[index] = finding
    return traced


def _trace_account(
    group: list[Finding],
    account: str | None,
    *,
    home_account: str,
    home_clients: ClientsForRegion,
    assume: Assume | None,
    pattern: str,
) -> list[Finding]:
    if account is None or account == home_account or not any(private_address(f.source_ip) for f in group):
        return trace_sources(group, home_clients)
    if assume is None:
        return [_not_traced(finding, NO_ROLE) for finding in group]
    try:
        clients = assume(account)
    except (ClientError, BotoCoreError, ValueError) as error:
        reason = f"the trace role {_shown_role(pattern, account)} could not be assumed ({_text(error)})"
        return [_not_traced(finding, reason) for finding in group]
    return trace_sources(group, clients)


def _not_traced(finding: Finding, reason: str) -> Finding:
    """A private address says why it was not looked up; a public one is described as always (no lookup needed)."""
    address = private_address(finding.source_ip)
    if address is None:
        return replace(finding, source=describe_source(finding, {}))
    network = f"{address}: not traced in account {finding.account_id}: {reason}"
    principal = describe_principal(finding.principal_arn)
    return replace(finding, source=f"{network}; {principal}" if principal else network)


def _shown_role(pattern: str, account: str) -> str:
    try:
        return role_arn(pattern, account)
    except ValueError:
        return f"of account {account}"


def _text(error: Exception) -> str:
    return error_text(error) if isinstance(error, ClientError | BotoCoreError) else str(error)
