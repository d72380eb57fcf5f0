"""The window's email marker: who claimed the window's email, when, and whether it went out.

A small JSON object next to the report, moved through its states with S3 conditional writes so two runs cannot both
win a step: `pending` (claimed, not yet published) is created with `If-None-Match: *`; `sent` (with the SNS message
ID) replaces it with `If-Match` on the claim's ETag, and so does a run taking over a stale claim. A claim is stale when
it is older than the function's timeout (its run is dead) or was made for the same event (an earlier attempt of this
invocation, retried). S3 answers a lost race with 412 Precondition Failed, or 409 ConditionalRequestConflict while a
competing write is still in flight; both mean another run holds the window.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from detector.aws.event import Request
from detector.aws.location import MARKER, ReportLocation
from detector.core.config import FUNCTION_TIMEOUT_SECONDS

logger = logging.getLogger(__name__)

PENDING = "pending"
SENT = "sent"
CLAIM_TIMEOUT = timedelta(seconds=FUNCTION_TIMEOUT_SECONDS)
"""No run lives longer than the function's timeout, so a claim older than this was left by a dead run."""

LOST_RACE_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
LOST_RACE_STATUSES = frozenset({409, 412})
CLAIM_ATTEMPTS = 3
"""A marker released between our refused write and our read is claimed again, a bounded number of times."""


@dataclass(frozen=True)
class Marker:
    """The marker as read back: its state, when and for which event it was claimed, and its ETag."""

    state: str
    claimed_at: datetime | None
    event_id: str | None
    etag: str

    def is_stale(self, request: Request, now: datetime) -> bool:
        """A pending claim its run cannot finish any more: too old, or an earlier attempt of this same event."""
        if self.state != PENDING:
            return False
        if request.event_id is not None and self.event_id == request.event_id:
            return True
        return self.claimed_at is None or now - self.claimed_at >= CLAIM_TIMEOUT


def lost_race(error: ClientError) -> bool:
    """412 or 409 on a conditional write: another run changed or is changing the marker."""
    code = error.response.get("Error", {}).get("Code")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in LOST_RACE_CODES or status in LOST_RACE_STATUSES


def _not_found(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code")
    return code in ("NoSuchKey", "404", "NotFound")


def marker_body(request: Request, findings: int, *, state: str, claimed_at: datetime, **extra: str) -> bytes:
    record: dict[str, Any] = {
        "state": state,
        "window": request.window.to_dict(),
        "trigger": request.trigger,
        "event_id": request.event_id,
        "forced": request.force,
        "findings": findings,
        "claimed_at": claimed_at.isoformat(timespec="seconds"),
        **extra,
    }
    return json.dumps(record).encode("utf-8")


def put_marker(s3: Any, location: ReportLocation, body: bytes, **condition: str) -> str | None:
    """The new marker's ETag, or None when the condition lost to another run's write."""
    try:
        response = s3.put_object(
            Bucket=location.bucket,
            Key=location.key(MARKER),
            Body=body,
            ContentType="application/json",
            **condition,
        )
    except ClientError as error:
        if lost_race(error):
            return None
        raise
    return str(response["ETag"])


def read_marker(s3: Any, location: ReportLocation) -> Marker | None:
    """The current marker, or None when there is none. A marker written before states existed counts as sent."""
    try:
        response = s3.get_object(Bucket=location.bucket, Key=location.key(MARKER))
    except ClientError as error:
        if _not_found(error):
            return None
        raise
    etag = str(response["ETag"])
    try:
        record = json.loads(response["Body"].read())
        claimed_at = datetime.fromisoformat(record["claimed_at"]) if record.get("claimed_at") else None
        return Marker(record.get("state", SENT), claimed_at, record.get("event_id"), etag)
    except (ValueError, TypeError, AttributeError):
        logger.warning("marker %s is unreadable; treating it as an abandoned claim", location.uri(MARKER))
        return Marker(PENDING, None, None, etag)


def claim(s3: Any, location: ReportLocation, request: Request, findings: int, now: datetime) -> str | None:
    """The ETag of this run's `pending` claim, or None when another run sent or is sending the window.

    `force` claims unconditionally: the operator asked for the email again.
    """
    body = marker_body(request, findings, state=PENDING, claimed_at=now)
    if request.force:
        return put_marker(s3, location, body)
    for _attempt in range(CLAIM_ATTEMPTS):
        etag = put_marker(s3, location, body, IfNoneMatch="*")
        if etag is not None:
            return etag
        current = read_marker(s3, location)
        if current is None:
            continue
        if not current.is_stale(request, now):
            _log_held(location, current)
            return None
        logger.warning("taking over the abandoned claim %s from %s", location.uri(MARKER), current.claimed_at)
        return put_marker(s3, location, body, IfMatch=current.etag)
    return None


def _log_held(location: ReportLocation, current: Marker) -> None:
    if current.state == SENT:
        logger.info("window was already emailed (%s); not sending again", location.uri(MARKER))
    else:
        logger.info("another run claimed the window's email at %s (%s)", current.claimed_at, location.uri(MARKER))


def mark_sent(s3: Any, location: ReportLocation, claim_etag: str, body: bytes) -> None:
    """Replace our claim with `sent`. The email is out either way, so a failure here is logged, not raised: at
    worst a later run finds the stale claim and sends one duplicate."""
    try:
        if put_marker(s3, location, body, IfMatch=claim_etag) is None:
            logger.warning("another run took over %s after this run published", location.uri(MARKER))
    except ClientError:
        logger.exception(
            "published, but could not record it in %s; a later run may send it again", location.uri(MARKER)
        )


def release(s3: Any, location: ReportLocation, claim_etag: str) -> None:
    """Delete our claim after a failed publish so a retry claims afresh. If that fails too, the claim stays and
    goes stale: a retry of the same event, or any run after the function's timeout, takes it over."""
    try:
        s3.delete_object(Bucket=location.bucket, Key=location.key(MARKER), IfMatch=claim_etag)
    except ClientError:
        logger.exception("could not release %s; it is taken over once stale", location.uri(MARKER))
