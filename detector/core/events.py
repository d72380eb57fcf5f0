"""The common event columns: what every source's fragment gives the detection, whatever log it reads.

A source's `queries/sources/<name>.sql` defines `source_events` with exactly these columns (a test checks it);
`queries/_events.sql` filters the window and AWS's own traffic over them once, for every query.
"""

from __future__ import annotations

import re

EVENT_COLUMNS: dict[str, str] = {
    "event_time": "when the request was made: ISO 8601 UTC text, `2026-11-20T12:00:00Z`",
    "event_name": "the S3 operation (`GetObject`, `REST.GET.OBJECT`, ...)",
    "aws_region": "the region the request was made in",
    "principal_arn": "who signed it; NULL when anonymous",
    "account_id": "the principal's account",
    "invoked_by": "the AWS service that made it on someone's behalf, else NULL",
    "source_ip": "the caller's address, or a service's DNS name",
    "user_agent": "the client's User-Agent, as logged",
    "bucket": "the bucket the request was for",
    "signature_version": "`SigV2` or `SigV4`, NULL when unsigned or not logged",
    "auth_method": "`AuthHeader` or `QueryString` (a presigned URL)",
    "tls_version": "the TLS version, NULL when not logged",
    "error_code": "the S3 error code of a failed request, else NULL",
    "request_id": "S3's request ID (access logs may deliver a record twice)",
}

AGENT_FEATURES = r" m/[^ \]]*"
"""The ` m/<features>` word of a UA 2.1 agent, which modern SDKs change per operation: agents that differ only in it
are one client. The events' `agent_key` drops it (queries/_events.sql), and so does `agent_key` here."""


def agent_key(agent: str | None) -> str:
    """The agent without its feature list: the same text as the events' `agent_key` column."""
    return re.sub(AGENT_FEATURES, "", agent or "")
