"""CloudTrail S3 data events: the record's columns, the log files' key layout and the Glue table over them.

Source of the column list: AWS's CloudTrail table for Athena with partition projection,
https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html
Key layout: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-find-log-files.html
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from detector.core.partitions import PartitionFilter
from detector.core.window import format_log_date
from detector.sources.columns import JSON_TEXT, STRING, Array, Field, Map, glue_columns, struct
from detector.sources.table import (
    TableSpec,
    account_projection,
    organization_filter,
    organization_projection,
    projection,
)

NAME = "cloudtrail"
"""The source's name: its SQL fragment is queries/sources/cloudtrail.sql."""

SESSION_CONTEXT = struct(
    ("attributes", struct(("mfaAuthenticated", STRING), ("creationDate", STRING))),
    (
        "sessionIssuer",
        struct(("type", STRING), ("principalId", STRING), ("arn", STRING), ("accountId", STRING), ("userName", STRING)),
    ),
    ("ec2RoleDelivery", STRING),
    ("webIdFederationData", Map(STRING)),
)

USER_IDENTITY = struct(
    ("type", STRING),
    ("principalId", STRING),
    ("arn", STRING),
    ("accountId", STRING),
    ("invokedBy", STRING),
    ("accessKeyId", STRING),
    ("userName", STRING),
    ("sessionContext", SESSION_CONTEXT),
)

COLUMNS: tuple[Field, ...] = struct(
    ("eventVersion", STRING),
    ("userIdentity", USER_IDENTITY),
    ("eventTime", STRING),
    ("eventSource", STRING),
    ("eventName", STRING),
    ("awsRegion", STRING),
    ("sourceIPAddress", STRING),
    ("userAgent", STRING),
    ("errorCode", STRING),
    ("errorMessage", STRING),
    ("requestParameters", JSON_TEXT),
    ("responseElements", JSON_TEXT),
    ("additionalEventData", JSON_TEXT),
    ("requestID", STRING),
    ("eventID", STRING),
    ("readOnly", STRING),
    ("resources", Array(struct(("ARN", STRING), ("accountId", STRING), ("type", STRING)))),
    ("eventType", STRING),
    ("apiVersion", STRING),
    ("recipientAccountId", STRING),
    ("serviceEventDetails", JSON_TEXT),
    ("sharedEventID", STRING),
    ("vpcEndpointId", STRING),
    ("tlsDetails", struct(("tlsVersion", STRING), ("cipherSuite", STRING), ("clientProvidedHostHeader", STRING))),
).fields

PARTITION_KEYS: tuple[str, ...] = ("account", "region", "log_date")
"""Derived from the object key, never from the record: `log_date` is the delivery day, `yyyy/MM/dd`."""

LOG_PREFIX = "AWSLogs/"
"""The trail writes under `AWSLogs/` (no custom key prefix)."""

LOG_PATH = re.compile(
    r"AWSLogs/(?:o-[a-z0-9]{10,32}/)?(?P<account>\d{12})/CloudTrail/(?P<region>[a-z0-9-]+)/"
    r"(?P<year>\d{4})/(?P<month>\d{2})/(?P<day>\d{2})/"
)
"""`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`, with `o-…/` before the account for organization trails."""

DIGESTS = "CloudTrail-Digest"
"""The folder beside `CloudTrail/` that holds log file validation digests: JSON without Records, never scanned.

Source: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
"""


def organization_prefix(organization_id: str, key_prefix: str = "") -> str:
    """Every account's folder of an organization trail: `[<key prefix>/]AWSLogs/<o-id>/`."""
    return f"{key_prefix}{LOG_PREFIX}{organization_id}/"


def account_prefix(account: str) -> str:
    """Every log object of one account's trail: `AWSLogs/<account>/CloudTrail/`."""
    return f"{LOG_PREFIX}{account}/CloudTrail/"


def log_key(account: str, region: str, delivered: datetime, suffix: str) -> str:
    """`AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<suffix>.json.gz`"""
    return (
        f"{account_prefix(account)}{region}/{format_log_date(delivered.date())}/"
        f"{account}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_{suffix}.json.gz"
    )


@dataclass(frozen=True)
class LogLocation:
    account: str
    region: str
    log_date: date


def parse_log_path(path: str) -> LogLocation | None:
    """The partition values in a log file's path, or None outside the AWSLogs layout."""
    match = LOG_PATH.search(path.replace("\\", "/"))
    if match is None:
        return None
    try:
        day = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None
    return LogLocation(match["account"], match["region"], day)


def table(bucket: str, *, accounts: Sequence[str], regions: Sequence[str]) -> TableSpec:
    """The Glue table over a trail's bucket, partitions projected on account, region and delivery day."""
    location = f"s3://{bucket}/{LOG_PREFIX}"
    return _table_spec(
        description="CloudTrail S3 data events with partition projection on account, region and log_date",
        location=location,
        projected=projection(
            enums={"account": tuple(accounts), "region": tuple(regions)},
            date_key="log_date",
            template=f"{location}${{account}}/CloudTrail/${{region}}/${{log_date}}",
        ),
    )


def organization_table(
    bucket: str,
    *,
    organization_id: str,
    key_prefix: str,
    accounts: Sequence[str] | None,
    regions: Sequence[str],
    home_account: str,
) -> TableSpec:
    """The Glue table over an organization trail's bucket: every account's logs, partitions projected on account,
    region and delivery day. `accounts` None: the accounts are found at each run (an `injected` account); a list of
    up to `ENUM_MAX_ACCOUNTS` is an `enum`, a longer one `injected`. Every query names its accounts and regions."""
    location = f"s3://{bucket}/{organization_prefix(organization_id, key_prefix)}"
    return _table_spec(
        description=f"CloudTrail S3 data events of organization {organization_id}, projected on account "
        f"({account_projection(accounts)}), region and log_date",
        location=location,
        projected=organization_projection(
            accounts,
            {"region": tuple(regions)},
            template=f"{location}${{account}}/CloudTrail/${{region}}/${{log_date}}",
        ),
        query_filter=organization_filter(accounts, home_account=home_account, regions=regions),
    )


def _table_spec(
    *, description: str, location: str, projected: dict[str, str], query_filter: PartitionFilter | None = None
) -> TableSpec:
    return TableSpec(
        source=NAME,
        description=description,
        location=location,
        columns=tuple(glue_columns(COLUMNS)),
        partition_keys=PARTITION_KEYS,
        serde="org.apache.hive.hcatalog.data.JsonSerDe",
        input_format="com.amazon.emr.cloudtrail.CloudTrailInputFormat",
        output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        parameters={"classification": "cloudtrail", "EXTERNAL": "TRUE", **projected},
        query_filter=query_filter,
    )
