"""Delivering one window's result: the full report in S3, the window's email marker, and the email itself."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from detector.aws.email import body, subject
from detector.aws.event import Request
from detector.aws.location import MARKER, REPORT_CSV, REPORT_JSON, ReportLocation
from detector.core.findings import Report

logger = logging.getLogger(__name__)


def write_report(s3: Any, report: Report, location: ReportLocation) -> None:
    for name, text, content_type in (
        (REPORT_JSON, report.to_json(), "application/json; charset=utf-8"),
        (REPORT_CSV, report.to_csv(), "text/csv; charset=utf-8"),
    ):
        s3.put_object(
            Bucket=location.bucket, Key=location.key(name), Body=text.encode("utf-8"), ContentType=content_type
        )


def claim_notification(s3: Any, location: ReportLocation, request: Request, findings: int) -> bool:
    """Creates the window's marker only if it is absent (S3 conditional write); `force` overwrites it."""
    marker = {
        "window": request.window.to_dict(),
        "trigger": request.trigger,
        "event_id": request.event_id,
        "forced": request.force,
        "findings": findings,
        "claimed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    condition = {} if request.force else {"IfNoneMatch": "*"}
    try:
        s3.put_object(
            Bucket=location.bucket,
            Key=location.key(MARKER),
            Body=json.dumps(marker).encode("utf-8"),
            ContentType="application/json",
            **condition,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "PreconditionFailed":
            return False
        raise
    return True


def notify_once(
    s3: Any, sns: Any, *, topic_arn: str, report: Report, location: ReportLocation, request: Request, account: str
) -> bool:
    """Emails the window unless it was already emailed; a failed publish releases the marker for a retry."""
    window = report.window
    email_subject, email_body = subject(report, account), body(report, location, account)
    if not claim_notification(s3, location, request, len(report.findings)):
        logger.info(
            "window %s..%s was already emailed (%s); not sending again",
            window.since,
            window.until,
            location.uri(MARKER),
        )
        return False
    try:
        message_id = sns.publish(TopicArn=topic_arn, Subject=email_subject, Message=email_body)["MessageId"]
    except Exception:
        logger.exception(
            "publishing to %s failed for window %s..%s; releasing the marker", topic_arn, window.since, window.until
        )
        s3.delete_object(Bucket=location.bucket, Key=location.key(MARKER))
        raise
    logger.info(
        "window %s..%s: %d findings, report %s, message %s",
        window.since,
        window.until,
        len(report.findings),
        location.json_uri,
        message_id,
    )
    return True
