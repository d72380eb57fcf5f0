"""The message one window's alert publishes: the readable email for email subscribers, and for every other
subscriber (SQS, Lambda, HTTPS, AWS Chatbot, ...) a versioned JSON summary, with message attributes that subscription
filter policies can route on.

SNS delivers a `MessageStructure=json` message's `email` value to email subscribers and its `default` value to the
rest; the message must be a JSON object with a string `default`
(https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). The schema is `SCHEMA`, version `SCHEMA_VERSION`:
fields are only ever added within a version; a renamed or removed field is a new version.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from detector.aws.email import MESSAGE_MAX_BYTES, TOP_FINDINGS, body, reason_counts
from detector.aws.location import ReportLocation
from detector.core import reasons
from detector.core.findings import Finding, Report
from detector.core.text import printable

SCHEMA = "legacy-s3-client-detector/alert"
SCHEMA_VERSION = 1
HEADROOM_BYTES = 2_048
"""Kept free for the message's own JSON and the subject."""
TOP_FIELDS = ("principal_arn", "source_ip", "user_agent", "client", "client_version", "reasons", "requests", "buckets")
ORGANIZATION_FIELDS = ("account_id", "account_name")
"""Added to each top finding in an organization's summary, with `organization` at the top."""


class AlertEmail(Protocol):
    """An email of its own (an organization's), instead of one account's."""

    @property
    def organization_id(self) -> str: ...

    def subject(self, report: Report) -> str: ...

    def body(self, report: Report, location: ReportLocation, max_bytes: int) -> str: ...


def summary(
    report: Report, location: ReportLocation, account: str, *, top: int = TOP_FINDINGS, organization: str | None = None
) -> dict[str, Any]:
    """The `default` message: what a machine needs to act or route, and where the full report is; an organization's
    also names it, and each top finding's account."""
    ranked = sorted(report.findings, key=lambda finding: -finding.requests)[:top]
    fields = ORGANIZATION_FIELDS if organization else ()
    extra = {"organization": organization} if organization else {}
    return {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "account": account,
        "window": report.window.to_dict(),
        "findings": len(report.findings),
        "counts_by_reason": {reason.name: report.counts_by_reason()[reason.name] for reason in reasons.BY_RANK},
        "report": {"json": location.json_uri, "csv": location.csv_uri, "console": location.console_url},
        "dashboard": location.dashboard_url or None,
        "top_findings": [_top(finding, fields) for finding in ranked],
        **extra,
    }


def _top(finding: Finding, more: tuple[str, ...] = ()) -> dict[str, Any]:
    data = finding.to_dict()
    top = {name: data[name] for name in TOP_FIELDS} | {name: data.get(name) for name in more}
    top["user_agent"] = printable(top["user_agent"])
    top["principal_arn"] = printable(top["principal_arn"])
    top["hint"] = finding.hint()
    return top


def attributes(report: Report, account: str) -> dict[str, dict[str, str]]:
    """Message attributes for filter policies: the account, the number of findings, each reason's count, and the
    reasons present (e.g. `{"sigv2": [{"numeric": [">", 0]}]}` routes only SigV2)."""
    counts = report.counts_by_reason()
    values: dict[str, dict[str, str]] = {
        "account": {"DataType": "String", "StringValue": account},
        "findings": {"DataType": "Number", "StringValue": str(len(report.findings))},
    }
    values.update({name: {"DataType": "Number", "StringValue": str(counts[name])} for name in reasons.NAMES})
    present = [name for name, _ in reason_counts(report)]
    values["reasons"] = {"DataType": "String.Array", "StringValue": json.dumps(present)}
    return values


def publish_arguments(
    report: Report, location: ReportLocation, account: str, *, email: AlertEmail | None = None
) -> dict[str, Any]:
    """`Message`, `MessageStructure` and `MessageAttributes` for `sns.publish`, within SNS's size limit: the email
    gets what the JSON summary leaves, halved, since JSON may escape each byte of it into two."""
    organization = email.organization_id if email is not None else None
    default = json.dumps(summary(report, location, account, organization=organization), ensure_ascii=False)
    room = (MESSAGE_MAX_BYTES - HEADROOM_BYTES - len(default.encode("utf-8")) * 2) // 2
    text = email.body(report, location, room) if email is not None else body(report, location, account, max_bytes=room)
    message = json.dumps({"default": default, "email": text}, ensure_ascii=False)
    return {"Message": message, "MessageStructure": "json", "MessageAttributes": attributes(report, account)}
