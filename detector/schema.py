"""The CloudTrail table: one definition for the Glue table and the local DuckDB view.

Field names keep the case of the JSON keys in the log files: DuckDB matches keys
case-sensitively (a field declared `arn` for the key `ARN` silently reads NULL), while
Athena and DuckDB SQL both address columns case-insensitively, so queries use lower case.
Source of the column list: AWS's CloudTrail table for Athena with partition projection,
https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Scalar:
    """A string, or a JSON object kept as its text (`json=True`)."""

    json: bool = False


@dataclass(frozen=True)
class Struct:
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Array:
    element: Type


@dataclass(frozen=True)
class Map:
    value: Type


Type = Scalar | Struct | Array | Map


@dataclass(frozen=True)
class Field:
    name: str
    type: Type


STRING = Scalar()
JSON_TEXT = Scalar(json=True)


def _struct(*fields: tuple[str, Type]) -> Struct:
    return Struct(tuple(Field(name, type_) for name, type_ in fields))


SESSION_CONTEXT = _struct(
    ("attributes", _struct(("mfaAuthenticated", STRING), ("creationDate", STRING))),
    (
        "sessionIssuer",
        _struct(
            ("type", STRING),
            ("principalId", STRING),
            ("arn", STRING),
            ("accountId", STRING),
            ("userName", STRING),
        ),
    ),
    ("ec2RoleDelivery", STRING),
    ("webIdFederationData", Map(STRING)),
)

USER_IDENTITY = _struct(
    ("type", STRING),
    ("principalId", STRING),
    ("arn", STRING),
    ("accountId", STRING),
    ("invokedBy", STRING),
    ("accessKeyId", STRING),
    ("userName", STRING),
    ("sessionContext", SESSION_CONTEXT),
)

COLUMNS: tuple[Field, ...] = _struct(
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
    ("resources", Array(_struct(("ARN", STRING), ("accountId", STRING), ("type", STRING)))),
    ("eventType", STRING),
    ("apiVersion", STRING),
    ("recipientAccountId", STRING),
    ("serviceEventDetails", JSON_TEXT),
    ("sharedEventID", STRING),
    ("vpcEndpointId", STRING),
    (
        "tlsDetails",
        _struct(("tlsVersion", STRING), ("cipherSuite", STRING), ("clientProvidedHostHeader", STRING)),
    ),
).fields

PARTITION_KEYS: tuple[str, ...] = ("account", "region", "log_date")
"""Derived from the object key, never from the record: `log_date` is the delivery day, `yyyy/MM/dd`."""


def format_log_date(day: date) -> str:
    """`yyyy/MM/dd`, the partition value; zero-padded for every year (strftime is not)."""
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


def glue_type(type_: Type) -> str:
    """Hive type text as Glue and Athena's JsonSerDe expect it."""
    match type_:
        case Scalar():
            return "string"
        case Struct(fields):
            return "struct<" + ",".join(f"{f.name.lower()}:{glue_type(f.type)}" for f in fields) + ">"
        case Array(element):
            return f"array<{glue_type(element)}>"
        case Map(value):
            return f"map<string,{glue_type(value)}>"
    raise TypeError(type_)


def duckdb_type(type_: Type) -> str:
    """DuckDB type text for `read_json(columns=...)`, keys in their JSON case."""
    match type_:
        case Scalar(json):
            return "JSON" if json else "VARCHAR"
        case Struct(fields):
            return "STRUCT(" + ", ".join(f'"{f.name}" {duckdb_type(f.type)}' for f in fields) + ")"
        case Array(element):
            return f"{duckdb_type(element)}[]"
        case Map(value):
            return f"MAP(VARCHAR, {duckdb_type(value)})"
    raise TypeError(type_)


def glue_columns() -> list[tuple[str, str]]:
    """(name, type) of every data column, lower-cased as Athena shows them."""
    return [(field.name.lower(), glue_type(field.type)) for field in COLUMNS]


def duckdb_record_type() -> str:
    """The type of one CloudTrail record."""
    return duckdb_type(Struct(COLUMNS))


def duckdb_records_type() -> str:
    """The type of the `Records` key of one log file."""
    return duckdb_type(Array(Struct(COLUMNS)))


def duckdb_select_list(record: str = "r") -> str:
    """Columns of the local view from an unnested record, JSON objects cast back to text."""
    parts = []
    for field in COLUMNS:
        expr = f'{record}."{field.name}"'
        if field.type == JSON_TEXT:
            expr = f"CAST({expr} AS VARCHAR)"
        parts.append(f"{expr} AS {field.name.lower()}")
    return ", ".join(parts)


LOG_PATH = re.compile(
    r"AWSLogs/(?:o-[a-z0-9]{10,32}/)?(?P<account>\d{12})/CloudTrail/(?P<region>[a-z0-9-]+)/"
    r"(?P<year>\d{4})/(?P<month>\d{2})/(?P<day>\d{2})/"
)
"""`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`, with `o-…/` before the account for organization trails.

Source: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-find-log-files.html
"""


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
