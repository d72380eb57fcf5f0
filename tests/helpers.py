"""Shared test helpers: synthesizing the stack, writing log trees, loading them into a local catalog.

Fixtures live in conftest.py and use these; tests import from here, never from conftest.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any, TypedDict

import aws_cdk as cdk
import duckdb
import requests
from aws_cdk.assertions import Template
from botocore.exceptions import ClientError
from moto.core.models import DEFAULT_ACCOUNT_ID

from app import build
from detector.core import queries
from detector.core.findings import Finding
from detector.core.window import Window, format_log_date
from detector.local.access_log_reader import AccessLogSource
from detector.local.discovery import find_log_files
from detector.local.duckdb_engine import DuckDBEngine
from detector.local.loading import LocalCatalog
from detector.sources import access_logs
from samples.generate import DEMO_LOGS

Event = dict[str, Any]

__all__ = ["DEMO_LOGS"]

GENERATED_SEEDS = (7, 20261127, 424242)


class GeneratedSize(TypedDict):
    events: int
    days: int
    events_per_file: int


GENERATED = GeneratedSize(events=900, days=3, events_per_file=75)
"""The small generated trees: 3 days, 4 regions, 75 requests a CloudTrail file; the same requests as access logs."""


def logged_in(log_source: str, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The oracle's findings as a scan reports them: each naming the log it was read from."""
    return [{**row, "log_source": log_source} for row in rows]


def load_catalog(paths: Sequence[Path]) -> LocalCatalog:
    """Every log file under `paths`, whatever its date, in a fresh catalog: the queries alone must prune."""
    files, _pruned = find_log_files(paths, Window())
    catalog = LocalCatalog()
    catalog.load(files)
    return catalog


# --- synthesizing the stack the way `cdk synth` does: app.py's wiring, cdk.json's context, cdk-nag on -------------
# `Template.from_stack` raises `RuntimeError("ValidationFailed: ...")` on any unacknowledged cdk-nag finding, so every
# template returned here is nag-clean. Results are cached per context: the first synth in a process costs ~3 s.

REPO_ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "111111111111"
REGION = "us-east-1"
OFFLINE_ENV = {"CDK_DEFAULT_ACCOUNT": ACCOUNT, "CDK_DEFAULT_REGION": REGION}


def cdk_json_context() -> dict[str, Any]:
    """The context `cdk synth` passes to the app: feature flags and setting defaults."""
    context: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    return context


def synth_stack(overrides: tuple[tuple[str, Any], ...] = ()) -> tuple[cdk.Stack, Template]:
    """A fresh App each call (never shared across tests), with cdk.json's context plus `overrides`."""
    app = cdk.App(context={**cdk_json_context(), **dict(overrides)})
    stack = build(app, OFFLINE_ENV)
    return stack, Template.from_stack(stack)


@cache
def cached_synth(overrides: tuple[tuple[str, Any], ...] = ()) -> tuple[cdk.Stack, Template]:
    """`synth_stack`, once per distinct context in the test session; callers must not mutate the result."""
    return synth_stack(overrides)


def logical_id(stack: cdk.Stack, path: str) -> str:
    """The logical ID of the resource at construct path `path` below the stack, e.g. `LogArchive/Trail`."""
    node = stack.node.find_child(path.split("/", maxsplit=1)[0])
    for part in path.split("/")[1:]:
        node = node.node.find_child(part)
    resource = node.node.default_child or node
    assert isinstance(resource, cdk.CfnElement), path
    return stack.get_logical_id(resource)


def resolved(stack: cdk.Stack, value: Any) -> Any:
    """A token-bearing value as it appears in the template."""
    return stack.resolve(value)


def only(template: Template, type_: str, props: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    found = template.find_resources(type_, {"Properties": props} if props else None)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    logical, resource = next(iter(found.items()))
    return logical, dict(resource)


# --- writing log files where CloudTrail would put them ------------------------------------------------------

LOG_ACCOUNT = "111122223333"
DAY = date(2026, 11, 20)


def cloudtrail_event(
    *,
    arn: str | None = f"arn:aws:iam::{LOG_ACCOUNT}:user/app",
    agent: str | None = "[aws-sdk-java/2.29.0 Linux/6.1 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS java/21.0.5]",
    signature: str | None = "SigV4",
    tls: str | None = "TLSv1.3",
    when: str = "2026-11-20T12:00:00Z",
    region: str = "us-east-1",
    source_ip: str | None = "10.0.0.1",
    bucket_name: str = "example-bucket",
    event_name: str = "GetObject",
    auth: str | None = "AuthHeader",
    **extra: Any,
) -> Event:
    """An S3 data event as CloudTrail writes it; a None argument leaves its field out."""
    identity: dict[str, Any] = {"type": "IAMUser", "accountId": LOG_ACCOUNT, "principalId": "AIDAEXAMPLE"}
    if arn is not None:
        identity["arn"] = arn
    event: Event = {
        "eventVersion": "1.10",
        "userIdentity": identity,
        "eventTime": when,
        "eventSource": "s3.amazonaws.com",
        "eventName": event_name,
        "awsRegion": region,
        "requestParameters": {"bucketName": bucket_name, "key": "a/b.txt"},
        "eventType": "AwsApiCall",
        "recipientAccountId": LOG_ACCOUNT,
        "resources": [{"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket_name}", "accountId": LOG_ACCOUNT}],
    }
    if source_ip is not None:
        event["sourceIPAddress"] = source_ip
    if agent is not None:
        event["userAgent"] = agent
    additional = {
        name: value for name, value in (("SignatureVersion", signature), ("AuthenticationMethod", auth)) if value
    }
    if additional:
        event["additionalEventData"] = additional
    if tls is not None:
        event["tlsDetails"] = {"tlsVersion": tls, "cipherSuite": "ECDHE-RSA-AES128-GCM-SHA256"}
    event.update(extra)
    return event


@dataclass
class LogTree:
    """Log files written where CloudTrail would put them, under `root`."""

    root: Path

    def write(
        self,
        events: Sequence[Event],
        *,
        day: date = DAY,
        region: str = "us-east-1",
        account: str = LOG_ACCOUNT,
        organization: str | None = None,
        name: str | None = None,
    ) -> Path:
        prefix = f"AWSLogs/{organization}/{account}" if organization else f"AWSLogs/{account}"
        folder = self.root / prefix / "CloudTrail" / region / f"{day:%Y/%m/%d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (
            name or f"{account}_CloudTrail_{region}_{day:%Y%m%d}T0005Z_{len(list(folder.iterdir())):016X}.json.gz"
        )
        path.write_bytes(gzip.compress(json.dumps({"Records": list(events)}).encode(), mtime=0))
        return path


# --- S3 server access logs: written where S3 would put them, parsed by the source's parser into DuckDB ----------------

ACCESS_LOG_TABLE = "access_logs"
"""The table the access-log fragment reads in these tests: the source's columns and its four partition columns."""


@dataclass
class AccessLogCatalog:
    """Access-log files parsed by `detector.sources.access_logs`, their rows in a DuckDB table as Athena sees them."""

    connection: duckdb.DuckDBPyConnection
    files: list[access_logs.ParsedFile]

    def run(self, name: str, window: Window) -> list[dict[str, object]]:
        sql = queries.render(name, ACCESS_LOG_TABLE, source=access_logs.NAME)
        return DuckDBEngine(self.connection).run(sql, window.parameters())

    @property
    def problems(self) -> dict[str, str]:
        """Each file's problem (skipped, or lines not read), by path."""
        return {parsed.path: problem for parsed in self.files if (problem := parsed.problem())}


def load_access_logs(paths: Sequence[Path]) -> AccessLogCatalog:
    """Every file under `paths`, parsed; the records of those that are access logs in a fresh table."""
    connection = duckdb.connect()
    names = (*access_logs.COLUMN_NAMES, *access_logs.PARTITION_KEYS)
    connection.execute(f"CREATE TABLE {ACCESS_LOG_TABLE} ({', '.join(f'{quote(n)} VARCHAR' for n in names)})")
    files = sorted(p for root in paths for p in ([root] if root.is_file() else root.rglob("*")) if p.is_file())
    parsed_files = []
    for path in files:
        parsed = access_logs.parse_file(path)
        parsed_files.append(parsed)
        if parsed.rows:
            _insert(connection, parsed, access_logs.parse_log_path(str(path)))
    return AccessLogCatalog(connection, parsed_files)


@dataclass
class ReaderCatalog:
    """Access-log files read by the local reader (`detector.local.access_log_reader`, every column), answering what
    an `AccessLogCatalog` answers, so the same tests run over both."""

    catalog: LocalCatalog

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return self.catalog.connection

    def run(self, name: str, window: Window) -> list[dict[str, object]]:
        return self.catalog.run(name, window, access_logs.NAME)

    @property
    def problems(self) -> dict[str, str]:
        """Each file skipped, or with lines not read, by path, in the parser's words."""
        problems = {skipped.path: skipped.error for skipped in self.catalog.skipped}
        for lines in self.catalog.lines_skipped:
            problems[lines.path] = f"{lines.lines} line(s) are not S3 server access log records and were not read"
        return problems


def read_access_logs(paths: Sequence[Path]) -> ReaderCatalog:
    """Every access-log file under `paths`, whatever its date, read by the local reader in this process."""
    files, _pruned = find_log_files(paths, Window())
    catalog = LocalCatalog([AccessLogSource()], workers=1)
    catalog.load(files)
    return ReaderCatalog(catalog)


ACCESS_LOG_READERS: dict[str, Callable[[Sequence[Path]], AccessLogCatalog | ReaderCatalog]] = {
    "parse_file": load_access_logs,
    "local_reader": read_access_logs,
}
"""The two ways access logs reach DuckDB in the tests: the source's parser into a table, and the local reader."""


def _insert(
    connection: duckdb.DuckDBPyConnection, parsed: access_logs.ParsedFile, where: access_logs.AccessLogLocation | None
) -> None:
    columns = parsed.columns()
    days = (
        [format_log_date(where.log_date)] * len(parsed.rows)
        if where
        else [access_logs.record_log_date(time) for time in columns["requestdatetime"]]
    )
    partitions = [where.account, where.region, where.bucket] if where else [None, None, None]
    placeholders = ", ".join(["unnest(?)"] * len(columns) + ["?"] * 3 + ["unnest(?)"])
    connection.execute(f"INSERT INTO {ACCESS_LOG_TABLE} SELECT {placeholders}", [*columns.values(), *partitions, days])


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"


def access_log_line(
    *,
    arn: str | None = f"arn:aws:iam::{LOG_ACCOUNT}:user/app",
    agent: str | None = "aws-sdk-java/2.29.0 Linux/6.1 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS java/21.0.5",
    signature: str | None = "SigV4",
    tls: str | None = "TLSv1.3",
    when: str = "20/Nov/2026:12:00:00",
    source_ip: str | None = "10.0.0.1",
    bucket_name: str = "example-bucket",
    operation: str = "REST.GET.OBJECT",
    key: str = "a/b.txt",
    auth: str | None = "AuthHeader",
    request_id: str = "3E57427F3EXAMPLE",
    host: str | None = None,
    error: str | None = None,
    fields: int = 27,
) -> str:
    """A record as S3 logs it, ending after `fields` fields (18: the 2014 format; 27: today's); more than 27 appends
    fields this parser does not know. None writes `-`."""
    values = [
        OWNER,
        bucket_name,
        f"[{when} +0000]",
        source_ip or "-",
        arn or "-",
        request_id,
        operation,
        key,
        f'"GET /{key} HTTP/1.1"',
        "200" if error is None else "403",
        error or "-",
        "512",
        "512",
        "30",
        "12",
        '"-"',
        f'"{agent}"' if agent is not None else '"-"',
        "-",
        "aGVsbG8gd29ybGQ=",
        signature or "-",
        "ECDHE-RSA-AES128-GCM-SHA256" if tls else "-",
        auth or "-",
        host or f"{bucket_name}.s3.us-east-1.amazonaws.com",
        tls or "-",
        "-",
        "-",
        "us-east-1",
    ]
    values += [f"future-field-{n}" for n in range(fields - len(values))]
    return " ".join(values[:fields])


@dataclass
class AccessLogTree:
    """Access-log files written where S3 would deliver them, under `root`, in either key layout."""

    root: Path

    def write(
        self,
        lines: Sequence[str],
        *,
        day: date = DAY,
        region: str = "us-east-1",
        bucket: str = "example-bucket",
        account: str = LOG_ACCOUNT,
        layout: str = "partitioned",
        name: str | None = None,
    ) -> Path:
        delivered = datetime.combine(day, time(0, 5))
        unique = f"{len(list(self.root.rglob('*'))):016X}"
        if name:
            relative = name
        elif layout == "simple":
            relative = access_logs.simple_key(access_logs.LOG_PREFIX, delivered, unique)
        else:
            relative = access_logs.partitioned_key(access_logs.LOG_PREFIX, (account, region, bucket), delivered, unique)
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path


# --- AWS faults a real run can meet, injected into moto-backed clients ----------------------------------------


def client_error(operation: str, code: str, status: int) -> ClientError:
    """The error botocore raises when AWS answers `operation` with `code` and HTTP `status`."""
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": code},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


Fault = Callable[[str, dict[str, Any]], ClientError | None]


@dataclass
class FaultyS3:
    """A real (moto) S3 client; a call for which `fault(operation, arguments)` gives an error raises it instead."""

    client: Any
    fault: Fault

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            error = self.fault(name, kwargs)
            if error is not None:
                raise error
            return method(*args, **kwargs)

        return call


# --- the scheduled function in moto: its context, and the rows the next Athena query returns -------------------------

REPORT_BUCKET = "detector-reports"
MOTO_ATHENA_RESULTS = "http://motoapi.amazonaws.com/moto-api/static/athena/query-results"
RowFactory = Callable[..., dict[str, str | None]]


class ScheduledContext:
    """The Lambda context of a scheduled run in moto's default account."""

    function_name = "detector"
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:detector"
    log_stream_name = "stream"
    memory_limit_in_mb = 512
    aws_request_id = "c0de0000-0000-4000-8000-000000000001"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def queue_athena_rows(rows: list[dict[str, str | None]]) -> None:
    """The next Athena query in moto returns these rows, header first as Athena sends it."""
    columns = list(rows[0])
    data: list[dict[str, Any]] = [{"Data": [{"VarCharValue": name} for name in columns]}]
    data += [{"Data": [{"VarCharValue": row[c]} if row[c] is not None else {} for c in columns]} for row in rows]
    payload: dict[str, Any] = {
        "region": REGION,
        "results": [{"rows": data, "column_info": [{"Name": c} for c in columns]}],
    }
    requests.post(MOTO_ATHENA_RESULTS, json=payload, timeout=5).raise_for_status()


def logging_policy(bucket: str) -> str:
    """An access-log destination's statement for the logging service, as the stack writes it (moto checks its shape)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )


# --- what subscribers receive of a published alert (MessageStructure=json) -------------------------------------------


def email_of(message: str) -> str:
    """The text SNS delivers to an email subscriber: the message's `email` value."""
    return str(json.loads(message)["email"])


def summary_of(message: str) -> dict[str, Any]:
    """The JSON summary SNS delivers to every other subscriber: the message's `default` value, decoded."""
    summary: dict[str, Any] = json.loads(json.loads(message)["default"])
    return summary


# --- findings: an old aws-cli in an account, for reports, emails and tracing ------------------------------------


def account_finding(account: str, n: int, requests: int, reasons: tuple[str, ...] = ("sigv2",)) -> Finding:
    """Finding `n` of `account`: an old aws-cli from a private address, with `requests` requests."""
    return Finding(
        principal_arn=f"arn:aws:iam::{account}:user/app-{n}",
        account_id=account,
        source_ip=f"10.0.0.{n % 250}",
        user_agent="[aws-cli/1.11.10 Python/2.7.8 Linux/3.2.0-4-amd64 botocore/1.4.67]",
        client="Botocore",
        client_version="1.4.67",
        sigv4_default_version="1.5.71",
        signature_versions=["SigV2"],
        tls_versions=["TLSv1.2"],
        auth_methods=["AuthHeader"],
        reasons=list(reasons),
        requests=requests,
        sigv2_requests=requests if "sigv2" in reasons else 0,
        legacy_tls_requests=requests if "legacy_tls" in reasons else 0,
        failed_requests=0,
        buckets=["acme-data"],
        event_names=["GetObject"],
        regions=["us-east-1"],
        first_seen="2026-11-20T00:00:00Z",
        last_seen="2026-11-22T00:00:00Z",
    )
