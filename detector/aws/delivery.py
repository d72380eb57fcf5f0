"""Delivering one window's email, at least once per window.

The marker (`detector.aws.marker`) records the claim before publishing and the sent state after, so a run that dies
or fails in between leaves a claim that a later run takes over: no window is skipped for good, and the worst case is
one duplicate email.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from detector.aws.alert_message import AlertEmail, publish_arguments
from detector.aws.email import subject
from detector.aws.event import Request
from detector.aws.location import ReportLocation
from detector.aws.marker import SENT, claim, mark_sent, marker_body, release
from detector.core.findings import Report

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def notify_once(
    s3: Any,
    sns: Any,
    *,
    topic_arn: str,
    report: Report,
    location: ReportLocation,
    request: Request,
    account: str,
    clock: Callable[[], datetime] = utc_now,
    email: AlertEmail | None = None,
) -> bool:
    """Emails the window unless another run sent or is sending it; True when this run published. `email` writes
    the subject and body when the run has its own (an organization's)."""
    window = report.window
    email_subject = email.subject(report) if email is not None else subject(report, account)
    message = publish_arguments(report, location, account, email=email)
    claimed_at = clock()
    claim_etag = claim(s3, location, request, len(report.findings), claimed_at)
    if claim_etag is None:
        return False
    try:
        message_id = sns.publish(TopicArn=topic_arn, Subject=email_subject, **message)["MessageId"]
    except Exception:
        logger.exception("publishing to %s failed for window %s..%s", topic_arn, window.since, window.until)
        release(s3, location, claim_etag)
        raise
    sent = marker_body(request, len(report.findings), state=SENT, claimed_at=claimed_at, message_id=message_id)
    mark_sent(s3, location, claim_etag, sent)
    logger.info(
        "window %s..%s: %d findings, report %s, message %s",
        window.since,
        window.until,
        len(report.findings),
        location.json_uri,
        message_id,
    )
    return True
