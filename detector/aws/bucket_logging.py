"""The custom resource that switches server access logging on for an existing bucket, and off again on delete.

One resource per watched bucket. Create: if the bucket logs nowhere (or already to us), point its logs at the
stack's access-log bucket with the date-based partitioned prefix; if it logs somewhere else, refuse and say where,
so the user can point the detector there instead of losing that configuration. The bucket's previous state (logging
off, or already ours) is kept in the physical resource ID, which CloudFormation hands back on Update and Delete.
Delete: restore that state only if the bucket still logs to us; someone who changed it since keeps their change.
With `OnlyIfOwned` (the member StackSet gives every account the same template), a bucket this account does not own
is left alone: its owner's copy of the resource switches it.

CloudFormation invokes the function asynchronously and waits for an answer on the pre-signed `ResponseURL`
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html), so every path answers,
a failure included; the handler is idempotent, so Lambda's retries of a lost invocation are harmless.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

ID_PREFIX = "bucket-logging"
OFF = "off"
OURS = "ours"
REFUSED = "refused"
"""A Create that failed still returns a physical ID; a Delete of it changes nothing."""
ELSEWHERE = "elsewhere"
"""Another account owns the bucket (`OnlyIfOwned`): nothing was changed, and a Delete changes nothing."""
UNCHANGED = (REFUSED, ELSEWHERE)
ONLY_IF_OWNED = "OnlyIfOwned"

REASON_LIMIT = 3000
"""CloudFormation shows the reason in the stack's events; the whole response must stay under 4 KB."""

PARTITION_DATE_SOURCE = "DeliveryTime"
"""The same as `detector.sources.access_logs.PARTITION_DATE_SOURCE` (the Lambda bundle cannot import the sources)."""


class Refused(Exception):
    """The bucket cannot be switched as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    bucket: str
    prefix: str

    @classmethod
    def of(cls, properties: Mapping[str, Any]) -> Target:
        return cls(str(properties["TargetBucket"]), str(properties["TargetPrefix"]))

    def status(self) -> dict[str, Any]:
        """The logging configuration: this bucket and prefix, the key partitioned by delivery day."""
        return {
            "LoggingEnabled": {
                "TargetBucket": self.bucket,
                "TargetPrefix": self.prefix,
                "TargetObjectKeyFormat": {"PartitionedPrefix": {"PartitionDateSource": PARTITION_DATE_SOURCE}},
            }
        }

    def is_where(self, enabled: Mapping[str, Any] | None) -> bool:
        """Whether a `LoggingEnabled` sends the logs here (whatever its key format)."""
        if enabled is None:
            return False
        return enabled.get("TargetBucket") == self.bucket and enabled.get("TargetPrefix", "") == self.prefix

    @staticmethod
    def describe(enabled: Mapping[str, Any]) -> str:
        return f"s3://{enabled.get('TargetBucket')}/{enabled.get('TargetPrefix', '')}"


@dataclass(frozen=True)
class Outcome:
    physical_id: str
    status: str = "SUCCESS"
    reason: str = ""


def physical_id(bucket: str, previous: str) -> str:
    return f"{ID_PREFIX}/{bucket}/{previous}"


def parse_physical_id(text: str) -> tuple[str, str] | None:
    """(bucket, previous state), or None for an ID this function did not make."""
    parts = text.split("/")
    if len(parts) != 3 or parts[0] != ID_PREFIX or parts[2] not in (OFF, OURS, *UNCHANGED):
        return None
    return parts[1], parts[2]


def current_logging(s3: Any, bucket: str) -> dict[str, Any] | None:
    """The bucket's `LoggingEnabled`, or None when it logs nowhere."""
    enabled = s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled")
    return dict(enabled) if enabled else None


def switch_on(s3: Any, bucket: str, target: Target) -> str:
    """Logs `bucket` to `target` unless it logs elsewhere; returns the previous state."""
    enabled = current_logging(s3, bucket)
    if enabled and not target.is_where(enabled):
        raise Refused(
            f"bucket {bucket} already writes its server access logs to {Target.describe(enabled)}; the detector does "
            f"not take over another logging configuration. Remove {bucket} from watchedBuckets, or switch that "
            "logging off first (the detector's table reads only its own access-log buckets)."
        )
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus=target.status())
    logger.info("bucket %s now logs to s3://%s/%s (before: %s)", bucket, target.bucket, target.prefix, enabled)
    return OURS if enabled else OFF


def restore(s3: Any, bucket: str, target: Target, previous: str) -> None:
    """Puts the previous state back if the bucket still logs to `target`; leaves anyone else's change alone."""
    try:
        enabled = current_logging(s3, bucket)
    except ClientError as error:
        if _code(error) == "NoSuchBucket":
            logger.info("bucket %s is gone; nothing to restore", bucket)
            return
        raise
    if not target.is_where(enabled):
        logger.info("bucket %s no longer logs to us (%s); left as it is", bucket, enabled)
        return
    if previous == OFF:
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})
        logger.info("bucket %s: logging switched off again, as before the stack", bucket)


def owns(s3: Any, bucket: str) -> bool:
    """Whether this account owns `bucket`: ListBuckets lists only the caller's own buckets."""
    pages = s3.get_paginator("list_buckets").paginate(Prefix=bucket)
    return any(entry.get("Name") == bucket for page in pages for entry in page.get("Buckets", []))


def on_create(s3: Any, properties: Mapping[str, Any]) -> Outcome:
    bucket = str(properties["Bucket"])
    if str(properties.get(ONLY_IF_OWNED, "")).lower() == "true" and not owns(s3, bucket):
        logger.info("bucket %s belongs to another account; its owner switches its logging", bucket)
        return Outcome(physical_id(bucket, ELSEWHERE))
    return Outcome(physical_id(bucket, switch_on(s3, bucket, Target.of(properties))))


def on_update(s3: Any, event: Mapping[str, Any]) -> Outcome:
    """A new bucket is a new resource (CloudFormation then deletes the old one); a new target for the same bucket
    moves its logs, as long as they still go to the old target."""
    properties, old = event["ResourceProperties"], event.get("OldResourceProperties", {})
    parsed = parse_physical_id(str(event.get("PhysicalResourceId", "")))
    if parsed is None or parsed[1] in UNCHANGED or properties["Bucket"] != old.get("Bucket"):
        return on_create(s3, properties)
    bucket, previous = parsed
    enabled = current_logging(s3, bucket)
    if enabled and not (Target.of(old).is_where(enabled) or Target.of(properties).is_where(enabled)):
        raise Refused(
            f"bucket {bucket} now writes its server access logs to {Target.describe(enabled)}, changed outside the "
            "stack; switch that logging off, or remove the bucket from watchedBuckets"
        )
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus=Target.of(properties).status())
    return Outcome(physical_id(bucket, previous))


def on_delete(s3: Any, event: Mapping[str, Any]) -> Outcome:
    own = str(event.get("PhysicalResourceId", ""))
    parsed = parse_physical_id(own)
    if parsed is not None and parsed[1] not in UNCHANGED:
        restore(s3, parsed[0], Target.of(event["ResourceProperties"]), parsed[1])
    return Outcome(own)


HANDLERS: dict[str, Callable[[Any, Mapping[str, Any]], Outcome]] = {
    "Create": lambda s3, event: on_create(s3, event["ResourceProperties"]),
    "Update": on_update,
    "Delete": on_delete,
}


def handle(event: Mapping[str, Any], s3: Any) -> Outcome:
    """The outcome of one request; never raises, so CloudFormation always hears back."""
    kind = str(event.get("RequestType"))
    bucket = str((event.get("ResourceProperties") or {}).get("Bucket", ""))
    try:
        if kind not in HANDLERS:
            return _failed(event, bucket, f"unknown RequestType {kind!r}")
        return HANDLERS[kind](s3, event)
    except Refused as refused:
        return _failed(event, bucket, str(refused))
    except ClientError as error:
        return _failed(event, bucket, _explain(bucket, error))
    except Exception as error:
        logger.exception("bucket logging %s for %s failed", kind, bucket)
        return _failed(event, bucket, f"{type(error).__name__}: {error}")


def _failed(event: Mapping[str, Any], bucket: str, reason: str) -> Outcome:
    logger.error("bucket logging %s for %s: %s", event.get("RequestType"), bucket, reason)
    own = str(event.get("PhysicalResourceId") or physical_id(bucket or "unknown", REFUSED))
    return Outcome(own, "FAILED", reason[:REASON_LIMIT])


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _explain(bucket: str, error: ClientError) -> str:
    code = _code(error)
    if code == "NoSuchBucket":
        return (
            f"bucket {bucket} does not exist in this account and region; give each watched bucket's region as "
            f"{bucket}@<region> in watchedBuckets"
        )
    if code in ("AccessDenied", "AllAccessDisabled"):
        return f"not allowed to read or change the logging of bucket {bucket} ({error}); only its owner can"
    return f"S3 refused to change the logging of bucket {bucket}: {error}"


def response_body(event: Mapping[str, Any], outcome: Outcome, log_stream: str) -> bytes:
    body = {
        "Status": outcome.status,
        "Reason": outcome.reason or f"see CloudWatch log stream {log_stream}",
        "PhysicalResourceId": outcome.physical_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": False,
    }
    return json.dumps(body).encode()


def send(url: str, body: bytes, opener: Callable[..., Any] = urllib.request.urlopen) -> None:
    """PUTs the response where CloudFormation waits for it (an empty content type, as the pre-signed URL expects)."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"ResponseURL {url!r} is not an HTTP(S) URL")
    request = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": ""})
    with opener(request, timeout=30) as response:
        logger.info("CloudFormation response sent: HTTP %s", response.status)


def handler(event: dict[str, Any], context: Any) -> None:
    s3 = boto3.client("s3")
    outcome = handle(event, s3)
    send(str(event["ResponseURL"]), response_body(event, outcome, getattr(context, "log_stream_name", "")))
