"""What a finding's owner should change: the advice that fits the case, most specific first.

A client at or past the release that made SigV4 its default, or of a family that always signed SigV4, that still
signs SigV2 is configured to: upgrading it changes nothing. A presigned URL carries its signer's choice, so the
advice goes to the principal who signed it, not to the program that fetched it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from detector.core import reasons
from detector.core.clients import Client, by_name

if TYPE_CHECKING:
    from detector.core.findings import Finding

PRESIGNED_HINT = (
    "{signer} signed these presigned URLs with SigV2 (the fetcher, {fetcher}, did not choose it): re-create them with "
    "SigV4 where they are made; SDKs that sign SigV4 by default may still presign SigV2 in the older regions "
    "(botocore, the JS SDK v2), so ask for SigV4 explicitly"
)

CONFIGURED_HINT = (
    "{client} signs SigV4 by default ({since}), so it is configured to sign SigV2: look for a SigV2 setting in its "
    "configuration (signature_version = s3 in ~/.aws/config for the CLI, boto3 and botocore), an explicit v2 signer "
    "in the code or a custom signer, and switch it to SigV4"
)
"""Not an upgrade: the issue's own example is aws-cli 2.15 told to upgrade to ≥ 1.11.108."""


def hint(finding: Finding) -> str:
    """The presigned-URL and configured-signer advice first, then the client's upgrade advice for what an upgrade
    fixes, then each other reason's own hint, most urgent first."""
    hints: list[str] = []
    covered: set[str] = set()
    client = by_name(finding.client) if finding.client else None
    if "sigv2" in finding.reasons:
        if finding.presigned:
            hints.append(presigned(finding))
        if client and finding.outdated == 0 and _signs_in_headers(finding):
            hints.append(configured(client, finding))
        if hints:
            covered.add("sigv2")
    fixed_by_upgrade = {name for name in finding.reasons if _upgrade_fixes(name)} - covered
    if client and fixed_by_upgrade:
        hints.append(client.upgrade)
        covered |= fixed_by_upgrade
    hints += [r.hint for r in reasons.BY_RANK if r.name in finding.reasons and r.name not in covered]
    return "; ".join(hints)


def presigned(finding: Finding) -> str:
    fetcher = finding.user_agent.strip("[]").split(" ")[0] or "no user agent"
    return PRESIGNED_HINT.format(signer=finding.principal_arn, fetcher=fetcher)


def configured(client: Client, finding: Finding) -> str:
    since = f"from {client.threshold}" if client.threshold else "every release"
    name = " ".join(part for part in (client.name, finding.client_version) if part)
    return CONFIGURED_HINT.format(client=name, since=since)


def _signs_in_headers(finding: Finding) -> bool:
    """Signed in the Authorization header, or not logged how: not only presigned URLs."""
    return "AuthHeader" in finding.auth_methods or not finding.auth_methods


def _upgrade_fixes(name: str) -> bool:
    known = reasons.BY_NAME.get(name)
    return bool(known and known.upgrade_fixes)
