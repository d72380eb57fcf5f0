"""The Lambda: run the saved detection query for one window, store the report, email a summary once per window.

Invoked by the EventBridge schedule (the window ends the day before the event's scheduled time, so a
retried delivery covers the same days) or by hand with `{"since": "YYYY-MM-DD", "until": "YYYY-MM-DD"}`,
plus `"force": true` to email a window again.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from detector.engines import AthenaEngine, Engine, Row
from detector.findings import Finding, Report
from detector.notify import ReportLocation, body, subject
from detector.trace import EC2Client, ec2_clients, trace_sources
from detector.window import Window

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})
"""Standard mode retries Athena's TooManyRequestsException by its code; legacy mode only on HTTP 429."""

START_ATTEMPTS = 3
START_RETRY_SECONDS = 10.0
"""After boto3's own retries: the running-query quota frees up as other queries finish."""

TAIL_SECONDS = 90
"""Time kept after the query for the in-code start retries, writing the report and publishing."""

MAX_QUERY_SECONDS = 840

MARKER = "notified.json"
MANUAL_KEYS = frozenset({"since", "until", "force"})
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class InvalidEvent(ValueError):
    """The invocation's event names no window this function can run."""


class InvalidSettings(ValueError):
    """The function's environment is incomplete or malformed (set by the stack)."""


class LambdaContext(Protocol):
    invoked_function_arn: str

    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class Settings:
    workgroup: str
    named_query_id: str
    topic_arn: str
    report_bucket: str
    report_prefix: str
    window_days: int
    notify_when_clean: bool

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        required = ("WORKGROUP", "NAMED_QUERY_ID", "TOPIC_ARN", "REPORT_BUCKET", "WINDOW_DAYS")
        missing = [name for name in required if not environ.get(name)]
        if missing:
            raise InvalidSettings(f"environment variables not set: {', '.join(missing)}")
        days_text = environ["WINDOW_DAYS"]
        if not days_text.isdigit() or int(days_text) < 1:
            raise InvalidSettings(f"WINDOW_DAYS={days_text!r}: expected a whole number of days, 1 or more")
        clean_text = environ.get("NOTIFY_WHEN_CLEAN", "false")
        if clean_text.lower() not in ("true", "false"):
            raise InvalidSettings(f"NOTIFY_WHEN_CLEAN={clean_text!r}: expected 'true' or 'false'")
        return cls(
            workgroup=environ["WORKGROUP"],
            named_query_id=environ["NAMED_QUERY_ID"],
            topic_arn=environ["TOPIC_ARN"],
            report_bucket=environ["REPORT_BUCKET"],
            report_prefix=environ.get("REPORT_PREFIX", ""),
            window_days=int(days_text),
            notify_when_clean=clean_text.lower() == "true",
        )


@dataclass(frozen=True)
class Request:
    """What one invocation asks for; `event_id` and `trigger` are recorded in the marker."""

    window: Window
    force: bool = False
    trigger: str = "manual"
    event_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    window: Window
    findings: int
    report_uri: str
    notified: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window.to_dict(),
            "findings": self.findings,
            "report_uri": self.report_uri,
            "notified": self.notified,
        }


def parse_event(event: Any, window_days: int, today: date) -> Request:
    """A manual window if the event has `since`/`until`, else the window before the scheduled `time`.

    An empty event (`aws lambda invoke --payload '{}'`) runs the window the schedule would run today.
    """
    if isinstance(event, Mapping) and not event:
        return Request(window=Window.last_days(datetime.combine(today, datetime.min.time(), tzinfo=UTC), window_days))
    if isinstance(event, Mapping) and ("since" in event or "until" in event):
        return _manual_request(event, today)
    if isinstance(event, Mapping) and isinstance(event.get("time"), str):
        try:
            scheduled = datetime.fromisoformat(event["time"])
        except ValueError:
            raise InvalidEvent(f"event time {event['time']!r} is not an ISO 8601 timestamp") from None
        scheduled = scheduled.astimezone(UTC) if scheduled.tzinfo else scheduled.replace(tzinfo=UTC)
        return Request(window=Window.last_days(scheduled, window_days), trigger="schedule", event_id=event.get("id"))
    keys = sorted(event) if isinstance(event, Mapping) else type(event).__name__
    raise InvalidEvent(
        'expected an EventBridge scheduled event (with "time") or a manual window '
        f'{{"since": "YYYY-MM-DD", "until": "YYYY-MM-DD", "force": false}}; got {keys}'
    )


def _manual_request(event: Mapping[str, Any], today: date) -> Request:
    unknown = sorted(set(event) - MANUAL_KEYS)
    if unknown:
        raise InvalidEvent(f"unknown keys {unknown} in a manual window: allowed are since, until and force")
    since, until = (_iso_date(event, name) for name in ("since", "until"))
    if since > until:
        raise InvalidEvent(f"since {since} is after until {until}: give a since date on or before the until date")
    if until >= today:
        raise InvalidEvent(
            f"until {until} is not over yet (today is {today} UTC), so its logs are incomplete; "
            "end the window yesterday or earlier"
        )
    force = event.get("force", False)
    if not isinstance(force, bool):
        raise InvalidEvent(f"force must be true or false (JSON booleans), got {force!r}")
    return Request(window=Window(since, until), force=force)


def _iso_date(event: Mapping[str, Any], name: str) -> date:
    value = event.get(name)
    if value is None:
        raise InvalidEvent(f'a manual window needs both "since" and "until"; "{name}" is missing')
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise InvalidEvent(f"{name} {value!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-20")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise InvalidEvent(f"{name} {value!r} is not a date: {error}") from None


def account_of(event: Any, context: LambdaContext) -> str:
    """The scheduled event names the account; a manual invoke only has the function's ARN."""
    if isinstance(event, Mapping) and isinstance(event.get("account"), str):
        return event["account"]
    return context.invoked_function_arn.split(":")[4]


def saved_query(athena: Any, named_query_id: str) -> str:
    """The detection SQL as saved in Athena, so what runs is what the console shows."""
    try:
        return str(athena.get_named_query(NamedQueryId=named_query_id)["NamedQuery"]["QueryString"])
    except ClientError:
        logger.exception("could not read the saved detection query %s (NAMED_QUERY_ID)", named_query_id)
        raise


def run_query(
    engine: Engine,
    sql: str,
    parameters: Sequence[str],
    *,
    attempts: int = START_ATTEMPTS,
    retry_seconds: float = START_RETRY_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Row]:
    """The engine's rows; a start refused for too many running queries is tried again, later."""
    attempt = 1
    while True:
        try:
            return engine.run(sql, parameters)
        except ClientError as error:
            if not _start_throttled(error) or attempt >= attempts:
                raise
            logger.warning("Athena refused to start the query (attempt %d of %d): %s", attempt, attempts, error)
            sleep(retry_seconds * attempt)
            attempt += 1


def _start_throttled(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code")
    return error.operation_name == "StartQueryExecution" and code == "TooManyRequestsException"


def run_detection(
    engine: Engine,
    sql: str,
    request: Request,
    *,
    s3: Any,
    sns: Any,
    settings: Settings,
    account: str,
    region: str,
    ec2_for_region: Callable[[str], EC2Client] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Query, trace each finding to its sender, store the full report, then email a summary once per window."""
    window = request.window
    location = ReportLocation(settings.report_bucket, settings.report_prefix, window, region)
    try:
        rows = run_query(engine, sql, window.parameters(), sleep=sleep)
    except Exception:
        logger.exception(
            "detection query failed for window %s..%s (workgroup %s, %s run)",
            window.since,
            window.until,
            settings.workgroup,
            request.trigger,
        )
        raise
    findings = [Finding.from_row(row) for row in rows]
    if ec2_for_region is not None:
        findings = trace_sources(findings, ec2_for_region)
    report = Report(window=window, findings=findings)
    write_report(s3, report, location)
    outcome = Outcome(window, len(report.findings), location.json_uri, notified=False)
    if not report.findings and not settings.notify_when_clean:
        logger.info("window %s..%s is clean; no email (NOTIFY_WHEN_CLEAN is false)", window.since, window.until)
        return outcome
    email_subject, email_body = subject(report, account), body(report, location, account)
    if not claim_notification(s3, location, request, len(report.findings)):
        logger.info(
            "window %s..%s was already emailed (%s); not sending again",
            window.since,
            window.until,
            location.uri(MARKER),
        )
        return outcome
    try:
        message_id = sns.publish(TopicArn=settings.topic_arn, Subject=email_subject, Message=email_body)["MessageId"]
    except Exception:
        logger.exception(
            "publishing to %s failed for window %s..%s; releasing the marker",
            settings.topic_arn,
            window.since,
            window.until,
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
    return replace(outcome, notified=True)


def write_report(s3: Any, report: Report, location: ReportLocation) -> None:
    for name, text, content_type in (
        ("report.json", report.to_json(), "application/json; charset=utf-8"),
        ("report.csv", report.to_csv(), "text/csv; charset=utf-8"),
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


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = Settings.from_environ(os.environ)
    try:
        request = parse_event(event, settings.window_days, today=datetime.now(UTC).date())
    except InvalidEvent:
        logger.exception("rejected event %s", json.dumps(event, default=str))
        raise
    session = boto3.session.Session()
    athena = session.client("athena", config=BOTO_CONFIG)
    query_seconds = min(MAX_QUERY_SECONDS, context.get_remaining_time_in_millis() / 1000 - TAIL_SECONDS)
    outcome = run_detection(
        AthenaEngine(athena, settings.workgroup, timeout_seconds=max(query_seconds, 1)),
        saved_query(athena, settings.named_query_id),
        request,
        s3=session.client("s3", config=BOTO_CONFIG),
        sns=session.client("sns", config=BOTO_CONFIG),
        settings=settings,
        account=account_of(event, context),
        region=session.region_name,
        ec2_for_region=ec2_clients(session),
    )
    return outcome.to_dict()
