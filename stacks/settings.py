"""Deployment settings: one frozen dataclass, built from CDK context in `app.py` and validated here.

`CONTEXT` declares every context key once: its settings field, its parser (a bad value fails synth naming the key,
the value and what is allowed), and the README's text for it. cdk.json writes the same defaults (a test checks).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aws_cdk import region_info

from detector.core import accepted

MIN_BYTES_SCANNED_CUTOFF = 10_000_000
"""Athena rejects a smaller `BytesScannedCutoffPerQuery` (API_WorkGroupConfiguration)."""

MAX_SCHEDULE_INTERVAL = timedelta(hours=167)
"""The missed-run alarm's period is the interval plus an hour, and CloudWatch caps an alarm's range at 7 days."""

CRON_ASSUMED_INTERVAL = timedelta(days=1)
"""A cron schedule's period is not derived; the missed-run alarm assumes at most one day between runs."""

_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_RATE = re.compile(r"^rate\((?P<value>[1-9][0-9]*) (?P<unit>minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def known_regions() -> list[str]:
    """Every region the pinned aws-cdk-lib knows."""
    return sorted(region.name for region in region_info.RegionInfo.regions)


def commercial_regions() -> tuple[str, ...]:
    """The `aws` partition's regions: the multi-region trail records them all, and outdated SDKs or
    legacy TLS matter in every region, not only in the eight where SigV2 still works."""
    return tuple(sorted(region.name for region in region_info.RegionInfo.regions if region.partition == "aws"))


@dataclass(frozen=True)
class DeploySettings:
    alert_emails: tuple[str, ...] = ()
    schedule: str = "rate(1 day)"
    window_days: int = 1
    log_retention_days: int = 90
    keep_logs_on_destroy: bool = False
    watched_buckets: tuple[str, ...] = ()
    """Empty: record data events for every bucket except the stack's own."""
    athena_bytes_scanned_cutoff: int = 10_000_000_000
    notify_when_clean: bool = False
    kms_key_arn: str | None = None
    regions: tuple[str, ...] = commercial_regions()
    """The `region` partition values of the table; the trail itself records every region."""
    accepted_findings: tuple[accepted.Acceptance, ...] = ()

    @property
    def schedule_interval(self) -> timedelta:
        """Time between two scheduled runs; a day for cron expressions."""
        match = _RATE.match(self.schedule)
        if match is None:
            return CRON_ASSUMED_INTERVAL
        return timedelta(seconds=int(match["value"]) * _UNIT_SECONDS[match["unit"].rstrip("s")])

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> DeploySettings:
        """Build from raw context values (strings from `-c key=value`, JSON values from cdk.json).

        A missing or None key takes the default. Raises ValueError naming the key, the value and what is allowed.
        """
        values = {
            entry.field: entry.parse(entry.key, context[entry.key])
            for entry in CONTEXT
            if context.get(entry.key) is not None
        }
        return cls(**values)


def _fail(key: str, value: Any, problem: str, allowed: str) -> ValueError:
    return ValueError(f"context {key!r}: {value!r} {problem}; {allowed}")


def _list(key: str, value: Any, example: str) -> list[str]:
    """A JSON list, a JSON list in a string, or a comma-separated string."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                raise _fail(key, value, "is not a valid JSON list", f"give a list like {example}") from None
        else:
            value = [part for part in (p.strip() for p in text.split(",")) if part]
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise _fail(key, value, "is not a list of strings", f"give a list like {example}")
    return [item.strip() for item in value]


def _emails(key: str, value: Any) -> tuple[str, ...]:
    example = '["ops@example.com"]'
    emails = _list(key, value, example)
    for email in emails:
        if not _EMAIL.match(email):
            raise _fail(key, email, "is not an email address", f"give a list like {example}")
    return tuple(dict.fromkeys(emails))


def _schedule(key: str, value: Any) -> str:
    allowed = (
        "give an EventBridge expression like 'rate(1 day)', 'rate(12 hours)' or 'cron(0 6 * * ? *)'"
        f" (a rate is at most {int(MAX_SCHEDULE_INTERVAL.total_seconds() // 3600)} hours)"
    )
    if not isinstance(value, str):
        raise _fail(key, value, "is not a schedule expression", allowed)
    text = value.strip()
    rate = _RATE.match(text)
    if rate:
        number, unit = int(rate["value"]), rate["unit"]
        if (number == 1) != (not unit.endswith("s")):
            raise _fail(
                key, value, f"uses {unit!r} with {number}", "write 'rate(1 day)' but 'rate(2 days)'; " + allowed
            )
        if DeploySettings(schedule=text).schedule_interval > MAX_SCHEDULE_INTERVAL:
            raise _fail(key, value, "is too far apart for the missed-run alarm", allowed)
        return text
    if _CRON.match(text):
        return text
    raise _fail(key, value, "is not a rate(...) or cron(...) expression", allowed)


def _int_between(low: int, high: int | None) -> Callable[[str, Any], int]:
    def parse(key: str, value: Any) -> int:
        allowed = f"give a whole number >= {low}" + (f" and <= {high}" if high is not None else "")
        number = value
        if isinstance(value, str):
            try:
                number = int(value.strip().replace("_", ""))
            except ValueError:
                raise _fail(key, value, "is not a whole number", allowed) from None
        if isinstance(number, bool) or not isinstance(number, int):
            raise _fail(key, value, "is not a whole number", allowed)
        if number < low or (high is not None and number > high):
            raise _fail(key, value, "is out of range", allowed)
        return number

    return parse


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _fail(key, value, "is not a boolean", "give true or false")


def _buckets(key: str, value: Any) -> tuple[str, ...]:
    example = '["my-bucket"]'
    buckets = _list(key, value, example)
    for bucket in buckets:
        if not _BUCKET.match(bucket) or ".." in bucket or _IP_ADDRESS.match(bucket):
            raise _fail(
                key,
                bucket,
                "is not an S3 bucket name",
                f"give bucket names (3-63 characters: a-z, 0-9, '.', '-') in a list like {example}",
            )
    return tuple(dict.fromkeys(buckets))


def _kms_key_arn(key: str, value: Any) -> str | None:
    if isinstance(value, str) and value.strip() == "":
        return None
    if not isinstance(value, str) or not _KMS_KEY_ARN.match(value.strip()):
        raise _fail(
            key,
            value,
            "is not a KMS key ARN",
            "give 'arn:aws:kms:<region>:<account>:key/<key-id>' or leave it empty for a key the stack creates",
        )
    return value.strip()


def _regions(key: str, value: Any) -> tuple[str, ...]:
    known = known_regions()
    if value == "all":
        return commercial_regions()
    regions = _list(key, value, '"all" or ["us-east-1", "eu-west-1"]')
    if not regions:
        raise _fail(key, value, "is empty", "give at least one region")
    for region in regions:
        if region not in known:
            raise _fail(key, region, "is not a known AWS region", "allowed: " + ", ".join(known))
    return tuple(dict.fromkeys(regions))


def _accepted_findings(key: str, value: Any) -> tuple[accepted.Acceptance, ...]:
    try:
        return accepted.parse_entries(value)
    except accepted.InvalidAcceptance as error:
        raise _fail(
            key,
            value,
            str(error),
            "give a list of entries, each with a principal and/or userAgent pattern, a reason and an expires date, "
            f"like {accepted.EXAMPLE}",
        ) from None


Parser = Callable[[str, Any], Any]


@dataclass(frozen=True)
class ContextKey:
    """One `-c key=value` setting: where it goes, how it is checked, and how the README explains it."""

    key: str
    field: str
    parse: Parser
    default: str
    """The default as the README shows it."""
    meaning: str


CONTEXT: tuple[ContextKey, ...] = (
    ContextKey("alertEmails", "alert_emails", _emails, "`[]`", "Email addresses subscribed to the topic."),
    ContextKey(
        "schedule",
        "schedule",
        _schedule,
        "`rate(1 day)`",
        "EventBridge `rate(N minute(s)/hour(s)/day(s))`, at most 167 hours, or `cron(6 fields)`. For a cron schedule, "
        "the missed-run alarm assumes at most one day between runs.",
    ),
    ContextKey("windowDays", "window_days", _int_between(1, 30), "`1`", "Days of logs each run scans (1–30)."),
    ContextKey(
        "logRetentionDays",
        "log_retention_days",
        _int_between(1, 3650),
        "`90`",
        "Days the trail's logs, the access logs and the reports are kept (1–3650). The function's log group keeps "
        "logs for the nearest allowed CloudWatch value at or above this.",
    ),
    ContextKey(
        "keepLogsOnDestroy",
        "keep_logs_on_destroy",
        _bool,
        "`false`",
        "`true` keeps the log and access-log buckets and their contents when the stack is destroyed.",
    ),
    ContextKey(
        "watchedBuckets",
        "watched_buckets",
        _buckets,
        "`[]` (all buckets)",
        "Record data events only for these buckets. **Set this on busy accounts**; see Cost.",
    ),
    ContextKey(
        "athenaBytesScannedCutoff",
        "athena_bytes_scanned_cutoff",
        _int_between(MIN_BYTES_SCANNED_CUTOFF, None),
        "`10000000000` (10 GB, $0.05 a query)",
        "Athena cancels a query that scans more than this, and the run fails (the error alarm tells you). A one-day "
        "window reads two days of logs, about 110 bytes an event: 10 GB covers about 45 million events a day. "
        "At least 10,000,000.",
    ),
    ContextKey(
        "notifyWhenClean",
        "notify_when_clean",
        _bool,
        "`false`",
        "`true` also sends an email when a run finds nothing.",
    ),
    ContextKey(
        "kmsKeyArn",
        "kms_key_arn",
        _kms_key_arn,
        '`""`',
        "A KMS key you manage, for the log and results buckets, the trail and the topic. Leave it empty for SSE-S3 "
        "buckets plus a key the stack creates for the topic. If you give a key, its policy must allow "
        "`cloudtrail.amazonaws.com` (`kms:GenerateDataKey*`, `kms:DescribeKey`) and `cloudwatch.amazonaws.com` "
        "(`kms:Decrypt`, `kms:GenerateDataKey*`). The stack cannot edit the policy of a key it imports.",
    ),
    ContextKey(
        "regions",
        "regions",
        _regions,
        "`all` (the 34 commercial regions aws-cdk-lib knows)",
        "The `region` partition values of the table, so the regions the queries read. The trail records every region "
        "either way. Outdated SDKs and TLS 1.0 matter everywhere; SigV2 only in the eight older regions, so a list of "
        "those eight is the smallest useful choice. The deployment region is always added.",
    ),
    ContextKey(
        "acceptedFindings",
        "accepted_findings",
        _accepted_findings,
        "`[]`",
        "Findings you know about, each until a date: "
        '`[{"principal": "arn:aws:iam::123456789012:user/legacy-*", "userAgent": "*aws-sdk-java/1.11.*", '
        '"reason": "vendor appliance, replaced in Q1", "expires": "2027-03-31"}]`. An entry matches the principal ARN '
        "and/or the user agent (`*` any characters, `?` one, the rest literal, case-sensitive) and needs a reason and "
        "its last day (UTC). A matching finding is counted in the email and the report, not listed as an action; from "
        "the day after the expiry it is listed again. At most 3,000 bytes of JSON in all.",
    ),
)

CONTEXT_KEYS: tuple[str, ...] = tuple(entry.key for entry in CONTEXT)


def markdown_table() -> str:
    """The settings as the README lists them; a test keeps the README in step."""
    lines = ["| Key | Default | Meaning / allowed values |", "|---|---|---|"]
    lines += [f"| `{entry.key}` | {entry.default} | {entry.meaning} |" for entry in CONTEXT]
    return "\n".join(lines) + "\n"
