"""Deployment settings: one frozen dataclass, built from CDK context in `app.py` and validated here.

`CONTEXT` declares every context key once: its settings field, its parser (a bad value fails synth naming the key,
the value and what is allowed), and the README's text for it. The keys of the settings each run reads are declared
with their fields in `detector/core/config.py` (`RunSettings`, which `DeploySettings` inherits). cdk.json sets none
of them, so each default is defined once (a test checks). Each construct takes the whole `DeploySettings` and reads
its own fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aws_cdk import region_info

from detector.core.config import SOURCE_CHOICES, RunSettings
from detector.core.context_keys import ContextKey, boolean, declared_keys, int_between, invalid
from detector.local.cost import DATA_EVENTS
from stacks.alert_settings import DEFAULT_TAGS, Subscription, subscriptions, tags

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
_LEGACY_BUCKET = re.compile(r"^[A-Za-z0-9._-]{3,255}$")
"""Before March 1, 2018, us-east-1 buckets "could have names that were up to 255 characters long and included uppercase
letters and underscores" (awsdocs/amazon-s3-userguide doc_source/bucketnamingrules.md). The oldest buckets, the most
likely to still take SigV2, may have such names; ARNs and CloudTrail selectors take them as they are."""
LEGACY_BUCKET_REGION = "us-east-1"
_IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
_ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_DEPLOYMENT_TARGET = re.compile(r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$")
"""An OU or the organization's root, as StackSets' DeploymentTargets.OrganizationalUnitIds allows."""
_KEY_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def known_regions() -> list[str]:
    """Every region the pinned aws-cdk-lib knows."""
    return sorted(region.name for region in region_info.RegionInfo.regions)


def commercial_regions() -> tuple[str, ...]:
    """The `aws` partition's regions: the multi-region trail records them all, and outdated SDKs or
    legacy TLS matter in every region, not only in the eight where SigV2 still works."""
    return tuple(sorted(region.name for region in region_info.RegionInfo.regions if region.partition == "aws"))


ALL_BUCKETS = "all"
AUTO_ACCOUNTS = "auto"
ACCOUNT_SCOPE = "account"
ORGANIZATION_SCOPE = "organization"
SCOPES = (ACCOUNT_SCOPE, ORGANIZATION_SCOPE)
CALL_AS = ("DELEGATED_ADMIN", "SELF")
"""How the member StackSet is created: from a delegated administrator of StackSets, or from the management account."""


@dataclass(frozen=True)
class WatchedBucket:
    """A bucket to watch; its region matters only for access logs (the destination must be in the same region)."""

    name: str
    region: str | None = None
    """None: the region the detector is deployed in."""


@dataclass(frozen=True)
class DeploySettings(RunSettings):
    """Every setting of a deployment: the run's (`RunSettings`) and the ones the constructs read."""

    alert_emails: tuple[str, ...] = ()
    schedule: str = "cron(0 1 * * ? *)"
    log_retention_days: int = 90
    keep_logs_on_destroy: bool = False
    source: str = "cloudtrail"
    watched_buckets: tuple[WatchedBucket, ...] | None = None
    """None: not set, so the trail records every bucket but the stack's own (and synth warns of the cost); `()`:
    every bucket, chosen with `watchedBuckets=all`."""
    athena_bytes_scanned_cutoff: int = 10_000_000_000
    kms_key_arn: str | None = None
    regions: tuple[str, ...] = commercial_regions()
    """The `region` partition values of the table; the trail itself records every region."""
    object_lock_days: int = 0
    """0: no Object Lock. N: the log bucket keeps every log version N days in governance mode."""
    alert_subscriptions: tuple[Subscription, ...] = ()
    tags: tuple[tuple[str, str], ...] = DEFAULT_TAGS
    scope: str = ACCOUNT_SCOPE
    organization_id: str | None = None
    organization_trail_bucket: str | None = None
    """An existing organization trail's bucket the table reads (or the created trail writes to)."""
    organization_trail_prefix: str = ""
    """The trail's S3 key prefix, with its trailing `/`, or empty."""
    organization_trail_kms_key_arn: str | None = None
    create_organization_trail: bool = False
    accounts: tuple[str, ...] | None = None
    """None: `auto`, the accounts whose folders a run finds; else the accounts every query reads."""
    member_organizational_units: tuple[str, ...] = ()
    """Where the member StackSet deploys (and auto-deploys to new accounts); empty: no StackSet."""
    trace_role: bool = True
    stack_set_call_as: str = CALL_AS[0]

    def __post_init__(self) -> None:
        self._check_object_lock()
        self._check_access_log_buckets()
        if self.organization:
            self._check_organization()
        else:
            self._check_account_scope()

    def _check_object_lock(self) -> None:
        if not self.object_lock_days:
            return
        if not self.keep_logs_on_destroy:
            raise invalid(
                "objectLockDays",
                self.object_lock_days,
                "locks logs the stack could not delete on destroy",
                "also set keepLogsOnDestroy=true, or set objectLockDays=0",
            )
        if self.object_lock_days > self.log_retention_days:
            raise invalid(
                "objectLockDays",
                self.object_lock_days,
                f"is longer than logRetentionDays ({self.log_retention_days}), so logs would outlive their retention",
                "give at most logRetentionDays, or raise logRetentionDays",
            )

    def _check_access_log_buckets(self) -> None:
        if "access_logs" in self.sources and not self.watched_buckets:
            given = ALL_BUCKETS if self.watched_buckets == () else "(not set)"
            raise invalid(
                "watchedBuckets",
                given,
                f"cannot go with source {self.source!r}: access logs are switched on bucket by bucket",
                "list the buckets, e.g. -c watchedBuckets=legacy-a,legacy-b@eu-west-1 "
                "(python -m detector buckets prints the ones that can still accept SigV2)",
            )

    def _check_account_scope(self) -> None:
        """Organization settings mean nothing for one account: say so instead of ignoring them."""
        given = {
            "organizationId": self.organization_id,
            "organizationTrailBucket": self.organization_trail_bucket,
            "organizationTrailPrefix": self.organization_trail_prefix or None,
            "organizationTrailKmsKeyArn": self.organization_trail_kms_key_arn,
            "createOrganizationTrail": self.create_organization_trail or None,
            "accounts": self.accounts,
            "memberOrganizationalUnits": self.member_organizational_units or None,
        }
        for key, value in given.items():
            if value is not None:
                raise invalid(key, value, "works only with scope=organization", "add -c scope=organization, or drop it")

    def _check_organization(self) -> None:
        if self.organization_id is None:
            raise invalid(
                "organizationId", "(not set)", "is needed with scope=organization", "give o-… from Organizations"
            )
        trail = "cloudtrail" in self.sources
        if trail and not self.create_organization_trail and self.organization_trail_bucket is None:
            raise invalid(
                "organizationTrailBucket",
                "(not set)",
                "is needed with scope=organization to read the organization trail's logs",
                "give the bucket of your organization trail, or -c createOrganizationTrail=true",
            )
        if self.create_organization_trail and not trail:
            raise invalid(
                "createOrganizationTrail", True, f"cannot go with source {self.source!r}", "use cloudtrail or both"
            )
        if self.organization_trail_kms_key_arn and self.organization_trail_bucket is None:
            raise invalid(
                "organizationTrailKmsKeyArn",
                self.organization_trail_kms_key_arn,
                "is the key of a bucket you give",
                "also give organizationTrailBucket, or use kmsKeyArn for the stack's own buckets",
            )
        if "access_logs" in self.sources and not self.member_organizational_units:
            raise invalid(
                "memberOrganizationalUnits",
                "(not set)",
                f"is needed for source {self.source!r} with scope=organization: each member account's access logs "
                "are switched on by the member StackSet",
                "give the OUs (ou-…) or the root (r-…) to deploy it to",
            )

    @property
    def organization(self) -> bool:
        return self.scope == ORGANIZATION_SCOPE

    @property
    def sources(self) -> tuple[str, ...]:
        """The sources deployed, by module name (`detector/sources/<name>.py`)."""
        return SOURCE_CHOICES[self.source]

    @property
    def watched_bucket_names(self) -> tuple[str, ...]:
        return tuple(bucket.name for bucket in self.watched_buckets or ())

    def access_log_buckets(self, home_region: str) -> dict[str, tuple[str, ...]]:
        """Region -> the watched buckets there, the home region for those given without one; regions sorted."""
        regions: dict[str, list[str]] = {}
        for bucket in self.watched_buckets or ():
            regions.setdefault(bucket.region or home_region, []).append(bucket.name)
        return {region: tuple(regions[region]) for region in sorted(regions)}

    @property
    def cost_warning(self) -> str | None:
        """What synth says when the trail will record every bucket without being asked to."""
        creates_trail = not self.organization or self.create_organization_trail
        if "cloudtrail" not in self.sources or self.watched_buckets is not None or not creates_trail:
            return None
        where = "every account of the organization" if self.organization else "the account"
        return (
            f"watchedBuckets is not set, so the trail records data events for every bucket in {where}, at "
            f"${DATA_EVENTS.dollars:.2f} per {DATA_EVENTS.per:,.0f} requests (python -m detector cost estimates a "
            "month). Set watchedBuckets to the buckets you suspect (python -m detector buckets lists those that can "
            f"still accept SigV2), -c watchedBuckets={ALL_BUCKETS} to record every bucket on purpose, or "
            "-c source=access-logs, which costs only storage."
        )

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


def _list(key: str, value: Any, example: str) -> list[str]:
    """A JSON list, a JSON list in a string, or a comma-separated string."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                raise invalid(key, value, "is not a valid JSON list", f"give a list like {example}") from None
        else:
            value = [part for part in (p.strip() for p in text.split(",")) if part]
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise invalid(key, value, "is not a list of strings", f"give a list like {example}")
    return [item.strip() for item in value]


def _emails(key: str, value: Any) -> tuple[str, ...]:
    example = '["ops@example.com"]'
    emails = _list(key, value, example)
    for email in emails:
        if not _EMAIL.match(email):
            raise invalid(key, email, "is not an email address", f"give a list like {example}")
    return tuple(dict.fromkeys(emails))


def _schedule(key: str, value: Any) -> str:
    allowed = (
        "give an EventBridge expression like 'rate(1 day)', 'rate(12 hours)' or 'cron(0 6 * * ? *)'"
        f" (a rate is at most {int(MAX_SCHEDULE_INTERVAL.total_seconds() // 3600)} hours)"
    )
    if not isinstance(value, str):
        raise invalid(key, value, "is not a schedule expression", allowed)
    text = value.strip()
    rate = _RATE.match(text)
    if rate:
        number, unit = int(rate["value"]), rate["unit"]
        if (number == 1) != (not unit.endswith("s")):
            raise invalid(
                key, value, f"uses {unit!r} with {number}", "write 'rate(1 day)' but 'rate(2 days)'; " + allowed
            )
        if DeploySettings(schedule=text).schedule_interval > MAX_SCHEDULE_INTERVAL:
            raise invalid(key, value, "is too far apart for the missed-run alarm", allowed)
        return text
    if _CRON.match(text):
        return text
    raise invalid(key, value, "is not a rate(...) or cron(...) expression", allowed)


def _buckets(key: str, value: Any) -> tuple[WatchedBucket, ...] | None:
    """Bucket names, each optionally `name@region`; `all` for every bucket; an empty list is not set."""
    if isinstance(value, str) and value.strip().lower() == ALL_BUCKETS:
        return ()
    example = '["legacy-a", "legacy-b@eu-west-1"]'
    allowed = (
        "give bucket names (3-63 characters: a-z, 0-9, '.', '-'; or, for a us-east-1 bucket created before "
        f"2018-03-01, up to 255 characters, also A-Z and '_'), each optionally @region, like {example}"
    )
    known = known_regions()
    buckets: dict[str, WatchedBucket] = {}
    for entry in _list(key, value, example):
        name, _at, region = entry.partition("@")
        current = bool(_BUCKET.match(name)) and ".." not in name and not _IP_ADDRESS.match(name)
        if not current and not _LEGACY_BUCKET.match(name):
            raise invalid(key, name, "is not an S3 bucket name", allowed)
        if _at and region not in known:
            raise invalid(key, entry, f"names the unknown region {region!r}", "allowed regions: " + ", ".join(known))
        if not current and region and region != LEGACY_BUCKET_REGION:
            raise invalid(key, entry, f"is a legacy name, which only {LEGACY_BUCKET_REGION} buckets can have", allowed)
        bucket = WatchedBucket(name, region or None)
        if buckets.get(name, bucket) != bucket:
            raise invalid(key, entry, f"gives {name} a second region", "name each bucket once, with its one region")
        buckets[name] = bucket
    return tuple(buckets.values()) or None


def _source(key: str, value: Any) -> str:
    if not isinstance(value, str) or value.strip() not in SOURCE_CHOICES:
        raise invalid(key, value, "is not a source", "give one of " + ", ".join(SOURCE_CHOICES))
    return value.strip()


def _kms_key_arn(key: str, value: Any) -> str | None:
    if isinstance(value, str) and value.strip() == "":
        return None
    if not isinstance(value, str) or not _KMS_KEY_ARN.match(value.strip()):
        raise invalid(
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
        raise invalid(key, value, "is empty", "give at least one region")
    for region in regions:
        if region not in known:
            raise invalid(key, region, "is not a known AWS region", "allowed: " + ", ".join(known))
    return tuple(dict.fromkeys(regions))


def _choice(allowed: tuple[str, ...]) -> Callable[[str, Any], str]:
    def parse(key: str, value: Any) -> str:
        if not isinstance(value, str) or value.strip() not in allowed:
            raise invalid(key, value, "is not allowed", "give one of " + ", ".join(allowed))
        return value.strip()

    return parse


def _organization_id(key: str, value: Any) -> str:
    if not isinstance(value, str) or not _ORGANIZATION_ID.match(value.strip()):
        raise invalid(key, value, "is not an organization ID", "give o- and 10 to 32 lower-case letters or digits")
    return value.strip()


def _bucket_name(key: str, value: Any) -> str:
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not _BUCKET.match(text) or ".." in text or _IP_ADDRESS.match(text):
        raise invalid(key, value, "is not an S3 bucket name", "give the bucket's name alone, without s3:// or a prefix")
    return text


def _key_prefix(key: str, value: Any) -> str:
    """A trail's S3KeyPrefix: `org-trail` or `logs/org`, stored with its trailing `/`; empty for none."""
    text = value.strip().strip("/") if isinstance(value, str) else value
    if text == "":
        return ""
    if (
        not isinstance(text, str)
        or not _KEY_PREFIX.match(text)
        or len(text) > 200
        or {".", ".."} & set(text.split("/"))
    ):
        raise invalid(key, value, "is not a key prefix", "give the trail's S3 key prefix, like org-trail or logs/org")
    return text + "/"


def _accounts(key: str, value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str) and value.strip().lower() == AUTO_ACCOUNTS:
        return None
    example = '"auto" or ["111122223333", "444455556666"]'
    accounts = _list(key, value, example)
    for account in accounts:
        if not _ACCOUNT_ID.match(account):
            raise invalid(key, account, "is not a 12-digit account ID", f"give {example}")
    if not accounts:
        raise invalid(key, value, "is empty", f"give {example}")
    return tuple(dict.fromkeys(accounts))


def _deployment_targets(key: str, value: Any) -> tuple[str, ...]:
    example = '["ou-ab12-cdef3456"] or ["r-ab12"]'
    targets = _list(key, value, example)
    for target in targets:
        if not _DEPLOYMENT_TARGET.match(target):
            raise invalid(key, target, "is not an organizational unit or root ID", f"give {example}")
    return tuple(dict.fromkeys(targets))


ORGANIZATION_CONTEXT: tuple[ContextKey, ...] = (
    ContextKey(
        "scope",
        "scope",
        _choice(SCOPES),
        f"`{ACCOUNT_SCOPE}`",
        f"`{ACCOUNT_SCOPE}`: this account's requests. `{ORGANIZATION_SCOPE}`: every account's, from one deployment in "
        "the log-archive or a delegated-administrator account (see Many accounts).",
    ),
    ContextKey(
        "organizationId",
        "organization_id",
        _organization_id,
        "not set",
        "The organization (`o-…`); needed with `scope=organization`.",
    ),
    ContextKey(
        "organizationTrailBucket",
        "organization_trail_bucket",
        _bucket_name,
        "not set",
        "The bucket of your organization trail, read across accounts (add the bucket policy in Many accounts). "
        "Needed with CloudTrail unless `createOrganizationTrail`; with it, the new trail writes here instead of "
        "the stack's log bucket.",
    ),
    ContextKey(
        "organizationTrailPrefix",
        "organization_trail_prefix",
        _key_prefix,
        '`""`',
        "The organization trail's S3 key prefix, if it has one (its logs are under `<prefix>/AWSLogs/o-…/`).",
    ),
    ContextKey(
        "organizationTrailKmsKeyArn",
        "organization_trail_kms_key_arn",
        _kms_key_arn,
        '`""`',
        "The KMS key that encrypts the organization trail's logs, if any: the function may decrypt with it (add "
        "the key policy statement in Many accounts).",
    ),
    ContextKey(
        "createOrganizationTrail",
        "create_organization_trail",
        boolean,
        "`false`",
        "`true` creates the organization trail (S3 data events of `watchedBuckets` only, or of every bucket but the "
        "stack's); deploy from the management account.",
    ),
    ContextKey(
        "accounts",
        "accounts",
        _accounts,
        f"`{AUTO_ACCOUNTS}`",
        f"The accounts the queries read, or `{AUTO_ACCOUNTS}`: every account with a folder under the trail's (or "
        "the central access logs') prefix, found again at each run. Up to 36 listed accounts are an `enum` "
        "partition, more or `auto` an `injected` one (see Many accounts).",
    ),
    ContextKey(
        "memberOrganizationalUnits",
        "member_organizational_units",
        _deployment_targets,
        "`[]` (no StackSet)",
        "The OUs (`ou-…`) or root (`r-…`) the member StackSet deploys to, and auto-deploys to new accounts: the "
        "access-log buckets and logging of `watchedBuckets`, and the trace role. Needed for access logs.",
    ),
    ContextKey(
        "traceRole",
        "trace_role",
        boolean,
        "`true`",
        "With the member StackSet: a read-only role in each member account that the function assumes to trace a "
        "finding's source IP there.",
    ),
    ContextKey(
        "stackSetCallAs",
        "stack_set_call_as",
        _choice(CALL_AS),
        f"`{CALL_AS[0]}`",
        "`DELEGATED_ADMIN` when this account is a delegated administrator of StackSets, `SELF` in the management "
        "account.",
    ),
)

CONTEXT: tuple[ContextKey, ...] = (
    ContextKey("alertEmails", "alert_emails", _emails, "`[]`", "Email addresses subscribed to the topic."),
    ContextKey(
        "alertSubscriptions",
        "alert_subscriptions",
        subscriptions,
        "`[]`",
        "Other subscribers of the topic, `protocol=endpoint` each: `sqs` (a queue ARN), `lambda` (a function ARN), "
        "`https` (a URL; AWS Chatbot's too), `email-json` or `sms`. They receive the versioned JSON summary (see "
        "Alerts for machines); the queue's policy or the function's permission must let the topic deliver.",
    ),
    ContextKey(
        "schedule",
        "schedule",
        _schedule,
        "`cron(0 1 * * ? *)` (01:00 UTC daily)",
        "EventBridge `rate(N minute(s)/hour(s)/day(s))`, at most 167 hours, or `cron(6 fields)`. Each run reads the "
        "log files delivered on the `windowDays` UTC days before it, so a fixed time of day reports a predictable "
        "day and reads each file once. For a cron schedule, the missed-run alarm assumes at most one day between runs.",
    ),
    *declared_keys(RunSettings),
    ContextKey(
        "logRetentionDays",
        "log_retention_days",
        int_between(1, 3650),
        "`90`",
        "Days the trail's logs, the access logs and the reports are kept (1–3650). The function's log group keeps "
        "logs for the nearest allowed CloudWatch value at or above this.",
    ),
    ContextKey(
        "keepLogsOnDestroy",
        "keep_logs_on_destroy",
        boolean,
        "`false`",
        "`true` keeps the log and access-log buckets and their contents when the stack is destroyed.",
    ),
    ContextKey(
        "source",
        "source",
        _source,
        "`cloudtrail`",
        "Where the requests are read from: `cloudtrail` (a trail of S3 data events), `access-logs` (S3 server access "
        "logs of `watchedBuckets`, switched on by the stack) or `both` (one email with the findings of each). See "
        "Choosing a source.",
    ),
    ContextKey(
        "watchedBuckets",
        "watched_buckets",
        _buckets,
        "not set (all buckets, with a cost warning)",
        "The buckets to watch, `name` or `name@region` (the deployment region when none is given; the region matters "
        "only for access logs), or `all`. The trail records only these buckets; access logs are switched on for "
        "each. `python -m detector buckets` prints the value for the buckets that can still accept SigV2. **Set "
        "this on busy accounts**; see Cost. Required with `access-logs` and `both`.",
    ),
    ContextKey(
        "athenaBytesScannedCutoff",
        "athena_bytes_scanned_cutoff",
        int_between(MIN_BYTES_SCANNED_CUTOFF, None),
        "`10000000000` (10 GB, $0.05 a query)",
        "Athena cancels a query that scans more than this, and the run fails (the error alarm tells you). A scheduled "
        "one-day window reads the day's logs: about 110 bytes a CloudTrail event (10 GB covers about 90 million a day) "
        "or 540 bytes an access-log record (about 18 million a day). "
        "At least 10,000,000.",
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
        "objectLockDays",
        "object_lock_days",
        int_between(0, 3650),
        "`0` (off)",
        "For audit accounts: S3 Object Lock on the log bucket in governance mode, so no log version can be deleted "
        "or overwritten for this many days (0–3650, at most `logRetentionDays`). Needs `keepLogsOnDestroy=true`: "
        "the stack cannot empty a locked bucket. Object Lock cannot be turned off once on.",
    ),
    *ORGANIZATION_CONTEXT,
)

CONTEXT += (
    ContextKey(
        "tags",
        "tags",
        tags,
        "`Project=legacy-s3-client-detector`, `Owner=unassigned`",
        "Tags on every resource, `Key=Value` pairs or a JSON object, over the defaults: set `Owner` so the cost "
        "lands on a line of the bill someone recognises.",
    ),
)

CONTEXT_KEYS: tuple[str, ...] = tuple(entry.key for entry in CONTEXT)


def markdown_table() -> str:
    """The settings as the README lists them; a test keeps the README in step."""
    lines = ["| Key | Default | Meaning / allowed values |", "|---|---|---|"]
    lines += [f"| `{entry.key}` | {entry.default} | {entry.meaning} |" for entry in CONTEXT]
    return "\n".join(lines) + "\n"
