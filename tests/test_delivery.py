"""At least one email per window, never silently none: the marker's claim, sent state and takeover, against moto's
S3 (a botocore Stubber where moto cannot answer 409) and faults injected where a real run could fail or die."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from detector.aws.delivery import notify_once
from detector.aws.event import Request
from detector.aws.location import MARKER, ReportLocation
from detector.aws.marker import CLAIM_TIMEOUT, PENDING, SENT, claim, marker_body
from detector.core.findings import Finding, Report
from detector.core.window import Window
from tests.helpers import FaultyS3, client_error

REGION = "us-east-1"
BUCKET = "detector-reports"
WINDOW = Window(date(2026, 11, 20), date(2026, 11, 22))
LOCATION = ReportLocation(BUCKET, "reports/", WINDOW, REGION)
MARKER_KEY = LOCATION.key(MARKER)
EVENT = Request(WINDOW, trigger="schedule", event_id="event-1")
OTHER_EVENT = Request(WINDOW, trigger="schedule", event_id="event-2")
MANUAL = Request(WINDOW, trigger="manual")
CLAIMED = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)

RowFactory = Callable[..., dict[str, str | None]]


@dataclass
class Topic:
    """An SNS stand-in that records what was published, or fails the next `failures` publishes."""

    failures: int = 0
    published: list[str] = field(default_factory=list)

    def publish(self, **kwargs: Any) -> dict[str, str]:
        if self.failures:
            self.failures -= 1
            raise client_error("Publish", "InternalError", 500)
        self.published.append(kwargs["Message"])
        return {"MessageId": f"message-{len(self.published)}"}


@pytest.fixture
def s3(aws: None) -> Any:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def report(detection_row: RowFactory) -> Report:
    return Report(window=WINDOW, findings=[Finding.from_row(detection_row(1))])


def notify(s3: Any, topic: Topic, report: Report, request: Request, now: datetime = CLAIMED) -> bool:
    return notify_once(
        s3,
        topic,
        topic_arn="arn:aws:sns:us-east-1:123456789012:t",
        report=report,
        location=LOCATION,
        request=request,
        account="123456789012",
        clock=lambda: now,
    )


def stored_marker(s3: Any) -> dict[str, Any]:
    return dict(json.loads(s3.get_object(Bucket=BUCKET, Key=MARKER_KEY)["Body"].read()))


def test_a_sent_window_records_the_message_id_and_a_retried_event_sends_nothing(s3: Any, report: Report) -> None:
    # GIVEN a run that emailed the window
    topic = Topic()
    first = notify(s3, topic, report, EVENT)
    # WHEN the same event is delivered again, and a later manual run comes
    again = notify(s3, topic, report, EVENT, CLAIMED + timedelta(minutes=1))
    later = notify(s3, topic, report, MANUAL, CLAIMED + CLAIM_TIMEOUT * 2)
    # THEN only the first sent, and the marker says sent with the SNS message ID
    assert (first, again, later) == (True, False, False)
    assert len(topic.published) == 1
    marker = stored_marker(s3)
    assert (marker["state"], marker["message_id"], marker["event_id"]) == (SENT, "message-1", "event-1")


def test_failed_publish_releases_the_claim_so_the_retry_sends(s3: Any, report: Report) -> None:
    # GIVEN an SNS that fails once
    topic = Topic(failures=1)
    # WHEN the run publishes and fails, then Lambda retries the same event a minute later
    with pytest.raises(ClientError, match="InternalError"):
        notify(s3, topic, report, EVENT)
    retried = notify(s3, topic, report, EVENT, CLAIMED + timedelta(minutes=1))
    # THEN the retry sends the email
    assert retried is True
    assert len(topic.published) == 1


def test_failed_publish_whose_release_fails_too_is_sent_by_the_retry(s3: Any, report: Report) -> None:
    # GIVEN an SNS that fails once and an S3 that refuses to delete the claim
    topic = Topic(failures=1)
    denied = client_error("DeleteObject", "AccessDenied", 403)
    faulty = FaultyS3(s3, lambda operation, _arguments: denied if operation == "delete_object" else None)
    # WHEN the run fails to publish, then Lambda retries the same event a minute later
    with pytest.raises(ClientError, match="InternalError"):
        notify(faulty, topic, report, EVENT)
    claim_left = stored_marker(s3)["state"]
    retried = notify(s3, topic, report, EVENT, CLAIMED + timedelta(minutes=1))
    # THEN the publish error surfaced (not the delete's), the claim was left pending, and the retry sent the email
    assert claim_left == PENDING
    assert retried is True
    assert len(topic.published) == 1


@pytest.mark.parametrize(
    ("request_", "after", "sends"),
    [
        (EVENT, timedelta(minutes=1), True),  # Lambda's retry of the killed invocation
        (OTHER_EVENT, timedelta(minutes=1), False),  # another run while the claim may still be alive
        (MANUAL, timedelta(minutes=1), False),
        (MANUAL, CLAIM_TIMEOUT, True),  # any run once the claim outlived the function's timeout
        (OTHER_EVENT, CLAIM_TIMEOUT + timedelta(hours=5), True),
    ],
    ids=["same-event-retry", "other-event-early", "manual-early", "manual-after-timeout", "other-event-later"],
)
def test_run_killed_after_its_claim_is_taken_over_once_the_claim_is_stale(
    s3: Any, report: Report, request_: Request, after: timedelta, sends: bool
) -> None:
    # GIVEN a run of EVENT that claimed the window and was killed before publishing
    assert claim(s3, LOCATION, EVENT, 1, CLAIMED) is not None
    topic = Topic()
    # WHEN another run comes `after` the claim
    sent = notify(s3, topic, report, request_, CLAIMED + after)
    # THEN it sends exactly when the claim can no longer be alive (or is its own earlier attempt)
    assert sent is sends
    assert len(topic.published) == int(sends)
    assert stored_marker(s3)["state"] == (SENT if sends else PENDING)


def test_two_runs_taking_over_the_same_stale_claim_send_once(s3: Any, report: Report) -> None:
    # GIVEN a stale claim, read by a run that is about to take it over
    claim(s3, LOCATION, EVENT, 1, CLAIMED)
    stale_etag = s3.head_object(Bucket=BUCKET, Key=MARKER_KEY)["ETag"]
    later = CLAIMED + CLAIM_TIMEOUT
    # WHEN a second run takes it over first, then the first run's IfMatch takeover arrives
    won = claim(s3, LOCATION, MANUAL, 1, later)
    body = marker_body(MANUAL, 1, state=PENDING, claimed_at=later)
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=BUCKET, Key=MARKER_KEY, Body=body, IfMatch=stale_etag)
    # THEN the second run holds the claim and the late one is refused with 412
    assert won is not None
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412


def marker_response(record: dict[str, Any]) -> dict[str, Any]:
    data = json.dumps(record).encode()
    return {"Body": StreamingBody(io.BytesIO(data), len(data)), "ETag": '"competitor"', "ContentLength": len(data)}


def test_conflicting_claim_409_counts_as_held_by_another_run(report: Report) -> None:
    # GIVEN an S3 that answers the claim with 409 while a competitor's fresh claim lands
    client = boto3.client("s3", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_client_error("put_object", "ConditionalRequestConflict", "conflict", 409)
    competitor = json.loads(marker_body(OTHER_EVENT, 1, state=PENDING, claimed_at=CLAIMED))
    stubber.add_response("get_object", marker_response(competitor), {"Bucket": BUCKET, "Key": MARKER_KEY})
    topic = Topic()
    # WHEN this run tries to email the window
    with stubber:
        sent = notify(client, topic, report, EVENT, CLAIMED + timedelta(seconds=1))
    # THEN it leaves the window to the competitor: no error, no email
    stubber.assert_no_pending_responses()
    assert sent is False
    assert topic.published == []


def test_conflicting_claim_409_whose_competitor_vanished_is_claimed_again(report: Report) -> None:
    # GIVEN a 409 on the claim, after which the competitor's write never lands
    client = boto3.client("s3", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_client_error("put_object", "ConditionalRequestConflict", "conflict", 409)
    stubber.add_client_error("get_object", "NoSuchKey", "gone", 404)
    stubber.add_response("put_object", {"ETag": '"ours"'})
    stubber.add_response("put_object", {"ETag": '"sent"'})
    topic = Topic()
    # WHEN this run tries to email the window
    with stubber:
        sent = notify(client, topic, report, EVENT)
    # THEN it claims again, sends and records the sent state
    stubber.assert_no_pending_responses()
    assert sent is True
    assert len(topic.published) == 1


def test_recording_sent_failing_still_counts_as_sent(s3: Any, report: Report, caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN an S3 that accepts the claim but fails the write recording it as sent
    topic = Topic()
    failed = client_error("PutObject", "InternalError", 500)
    faulty = FaultyS3(s3, lambda operation, arguments: failed if "IfMatch" in arguments else None)
    # WHEN the run emails the window
    sent = notify(faulty, topic, report, EVENT)
    # THEN the email went out, the run does not fail, and the log says a later run may send it again
    assert sent is True
    assert len(topic.published) == 1
    assert "may send it again" in caplog.text


def test_marker_from_before_states_counts_as_sent(s3: Any, report: Report) -> None:
    # GIVEN a marker as the previous version wrote it: no state, claimed long ago
    old = {
        "window": WINDOW.to_dict(),
        "trigger": "schedule",
        "event_id": None,
        "claimed_at": "2026-11-01T06:00:00+00:00",
    }
    s3.put_object(Bucket=BUCKET, Key=MARKER_KEY, Body=json.dumps(old).encode())
    topic = Topic()
    # WHEN a run comes for the window
    sent = notify(s3, topic, report, MANUAL)
    # THEN it is not sent again
    assert sent is False
    assert topic.published == []


def test_unreadable_marker_is_taken_over(s3: Any, report: Report) -> None:
    # GIVEN a marker that is not JSON
    s3.put_object(Bucket=BUCKET, Key=MARKER_KEY, Body=b"\x00garbage")
    topic = Topic()
    # WHEN a run comes for the window
    sent = notify(s3, topic, report, MANUAL)
    # THEN it is treated as an abandoned claim: the email is sent
    assert sent is True
    assert stored_marker(s3)["state"] == SENT


def test_forced_run_sends_again_over_a_sent_marker(s3: Any, report: Report) -> None:
    # GIVEN a window already emailed
    topic = Topic()
    notify(s3, topic, report, EVENT)
    # WHEN an operator forces it again
    sent = notify(s3, topic, report, Request(WINDOW, force=True))
    # THEN it is sent a second time
    assert sent is True
    assert len(topic.published) == 2
