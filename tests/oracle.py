"""The detection rules again, in plain Python over CloudTrail event dicts: what the SQL must agree with.

Written apart from `queries/` on purpose: it takes only the catalog's data (client names,
SigV4-default versions) and the SigV2 region list, and tokenizes agents and compares
versions itself, so a shared mistake would need to be made twice. S3 server access logs are read here too, by a
scanner of its own (not the source's regex), into the same event dicts, so the same rules run over both sources.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from detector.core.clients import CATALOG, EVERY_RELEASE, NO_RELEASE
from detector.core.queries import SIGV2_REGIONS

Event = dict[str, Any]
Row = dict[str, Any]

LEGACY_TLS = ("TLSv1", "TLSv1.1")
AWS_AGENT_MARKERS = ("amazonaws.com", "aws-internal", "S3Console", "AWSConsole", "StorageGateway")
TOKEN_STARTS = " \t[("

ANY_MAJOR = range(1 << 31)


@dataclass(frozen=True)
class Family:
    """The lower-cased product names a catalog client writes before the `/`, and the major versions that are it."""

    names: frozenset[str]
    majors: range = ANY_MAJOR


def family(*names: str, majors: range = ANY_MAJOR) -> Family:
    return Family(frozenset(names), majors)


PRODUCTS: dict[str, Family] = {
    "Botocore": family("botocore"),
    "aws-cli": family("aws-cli"),
    "Boto3": family("boto3"),
    "Boto": family("boto"),
    "AWSPowerShell": family("awspowershell", "awspowershell.netcore", "awspowershell.common"),
    "aws-sdk-dotnet": family(
        "aws-sdk-dotnet", *(f"aws-sdk-dotnet-{build}" for build in ("35", "45", "coreclr", "netstandard"))
    ),
    "aws-sdk-dotnet-pcl": family(
        "aws-sdk-unity", *(f"aws-sdk-dotnet-{build}" for build in ("pcl", "portable", "winrt", "wp"))
    ),
    "aws-sdk-java": family("aws-sdk-java", majors=range(2)),
    "aws-sdk-java-v2": family("aws-sdk-java", majors=range(2, ANY_MAJOR.stop)),
    "aws-sdk-js": family("aws-sdk-nodejs", "aws-sdk-js", "aws-sdk-js-react-native", majors=range(3)),
    "aws-sdk-js-v3": family("aws-sdk-js", majors=range(3, ANY_MAJOR.stop)),
    "aws-sdk-php": family("aws-sdk-php", "aws-sdk-php2"),
    "aws-sdk-ruby": family("aws-sdk-ruby", "aws-sdk-ruby2", "aws-sdk-ruby3"),
    "aws-sdk-go": family("aws-sdk-go"),
    "aws-sdk-go-v2": family("aws-sdk-go-v2"),
    "aws-sdk-cpp": family("aws-sdk-cpp"),
    "aws-sdk-rust": family("aws-sdk-rust"),
    "aws-sdk-swift": family("aws-sdk-swift"),
    "aws-sdk-kotlin": family("aws-sdk-kotlin"),
}
"""Each catalog client's products, written here apart from the catalog's patterns and version ranges."""


@dataclass(frozen=True)
class OracleWindow:
    since: date | None = None
    until: date | None = None

    def holds(self, event_time: str) -> bool:
        moment = parse_time(event_time)
        if self.since and moment < datetime.combine(self.since, datetime.min.time(), tzinfo=UTC):
            return False
        return not (self.until and moment >= datetime.combine(self.until + timedelta(days=1), datetime.min.time(), UTC))


ALL_TIME = OracleWindow()


def parse_time(text: str) -> datetime:
    """`2026-11-20T12:00:00Z`, CloudTrail's eventTime."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        raise ValueError(f"eventTime {text!r} is not UTC")
    return moment


# --- reading log files -------------------------------------------------------------------------

_PATH_DAY = re.compile(r"/CloudTrail/[^/]+/(\d{4})/(\d{2})/(\d{2})/")


def read_events(paths: Iterable[Path], window: OracleWindow = ALL_TIME) -> list[Event]:
    """Every record of the given log files whose delivery folder can hold events of the window."""
    events: list[Event] = []
    for path in paths:
        day = _PATH_DAY.search(path.as_posix())
        if day and window.since and date(*map(int, day.groups())) < window.since:
            continue
        if day and window.until and date(*map(int, day.groups())) > window.until + timedelta(days=1):
            continue
        raw = path.read_bytes()
        text = gzip.decompress(raw) if path.name.endswith(".gz") else raw
        events.extend(json.loads(text)["Records"])
    return events


def log_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.name.endswith((".json.gz", ".json")))


# --- reading S3 server access logs -----------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html: space-separated fields, `-` when unknown, the
# time in brackets, Request-URI, Referer and User-Agent quoted (a `"` inside is not escaped), fields appended over
# the years after Version Id. The scanner tries where each quoted value ends in the order the format allows: the
# Request-URI and Referer at their first possible closing quote, the User-Agent at its last.

ACCESS_LOG_FIELDS = (
    *("bucketowner", "bucket_name", "requestdatetime", "remoteip", "requester", "requestid", "operation", "key"),
    *("request_uri", "httpstatus", "errorcode", "bytessent", "objectsize", "totaltime", "turnaroundtime"),
    *("referrer", "useragent", "versionid", "hostid", "sigv", "ciphersuite", "authtype", "endpoint", "tlsversion"),
    *("accesspointarn", "aclrequired", "sourceregion"),
)
"""AWS's names for the 27 fields, in order."""
ACCESS_LOG_REQUIRED = 18
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DIGITS = "0123456789"
LOWER = "abcdefghijklmnopqrstuvwxyz"
AccessRecord = dict[str, str | None]


def _closings(text: str, *, longest: bool) -> list[tuple[str | None, str]]:
    """(value, what follows) for each way a quoted value (or a bare `-`) can start `text`."""
    if text.startswith("-"):
        return [(None, text[1:])]
    if not text.startswith('"'):
        return []
    ends = [i for i in range(1, len(text)) if text[i] == '"']
    return [(text[1:i], text[i + 1 :]) for i in (reversed(ends) if longest else ends)]


def _middle_fields(text: str) -> tuple[list[str], str] | None:
    """Status, error code, bytes sent, object size, total and turn-around time, then the rest from the Referer."""
    if not text.startswith(" "):
        return None
    parts = text[1:].split(" ", 6)
    if len(parts) < 7 or (parts[0] != "-" and not all(c in DIGITS for c in parts[0])):
        return None
    return parts[:6], parts[6]


def parse_access_log_line(line: str) -> AccessRecord | None:
    head = line.split(" ", 9)
    if len(head) < 10 or not head[2].startswith("[") or head[3] != "+0000]":
        return None
    stamp = head[2][1:]
    try:
        datetime.strptime(stamp, "%d/%b/%Y:%H:%M:%S")
    except ValueError:
        return None
    if len(stamp) != 20 or stamp[3:6] not in MONTH_NAMES:
        return None
    lead = [head[0], head[1], f"{stamp} +0000", *head[4:9]]
    for uri, after_uri in _closings(head[9], longest=False):
        middle = _middle_fields(after_uri)
        if middle is None:
            continue
        numbers, rest = middle
        for referer, after_referer in _closings(rest, longest=False):
            if not after_referer.startswith(" "):
                continue
            for agent, after_agent in _closings(after_referer[1:], longest=True):
                if after_agent.startswith(" "):
                    tail = after_agent[1:].split(" ")[: len(ACCESS_LOG_FIELDS) - ACCESS_LOG_REQUIRED + 1]
                    values = [*lead, uri, *numbers, referer, agent, *tail]
                    values += [None] * (len(ACCESS_LOG_FIELDS) - len(values))
                    return dict(zip(ACCESS_LOG_FIELDS, values, strict=True))
    return None


def access_log_day(path: Path) -> tuple[date, str | None]:
    """The key's day, and the source region when the key is date-partitioned
    (`ACCOUNT/REGION/BUCKET/YYYY/MM/DD/stamp-UNIQUE`); else the delivery stamp in the name."""
    parts = path.parts
    if len(parts) >= 7 and len(parts[-7]) == 12 and parts[-7].isdigit():
        return date(int(parts[-4]), int(parts[-3]), int(parts[-2])), parts[-6]
    stamp = path.name.rsplit("-", 1)[0][-19:]
    return datetime.strptime(stamp, "%Y-%m-%d-%H-%M-%S").date(), None


def _looks_like_region(text: str) -> bool:
    """`eu-west-1`: two to four letters, one or more words of letters, a number."""
    words = text.split("-")
    return (
        len(words) >= 3
        and 2 <= len(words[0]) <= 4
        and all(word and all(c in LOWER for c in word) for word in words[:-1])
        and bool(words[-1])
        and all(c in DIGITS for c in words[-1])
    )


def region_of_host(host: str | None) -> str | None:
    """The region an S3 endpoint names: `b.s3.eu-west-1.amazonaws.com`, `s3-us-west-2.amazonaws.com`,
    `s3.dualstack.ap-southeast-2.amazonaws.com`; None for the global `s3.amazonaws.com`."""
    labels = (host or "").split(".")
    for index, label in enumerate(labels):
        if label not in ("s3", "s3-dualstack") and not (label.startswith("s3-") and _looks_like_region(label[3:])):
            continue
        rest = labels[index + 1 :] if label in ("s3", "s3-dualstack") else [label[3:], *labels[index + 1 :]]
        if label == "s3" and rest[:1] == ["dualstack"]:
            rest = rest[1:]
        if len(rest) >= 3 and rest[1:3] == ["amazonaws", "com"] and _looks_like_region(rest[0]):
            return rest[0]
    return None


def _tls_spelling(value: str | None) -> str | None:
    if value is None or value == "-":
        return None
    return "TLSv" + value[4:] if value[:4].upper() == "TLSV" else value


def access_log_event(record: AccessRecord, region: str | None) -> Event:
    """The record as the CloudTrail-shaped event the rules read."""

    def known(name: str) -> str | None:
        value = record[name]
        return None if value in (None, "-") else value

    requester = known("requester")
    identity: dict[str, Any] = {}
    if requester and requester.startswith("svc:"):
        identity["invokedBy"] = requester[4:]
    elif requester == "AmazonS3":
        identity["invokedBy"] = "s3.amazonaws.com"
    elif requester:
        identity["arn"] = requester
        arn = requester.split(":")
        if len(arn) >= 6 and arn[0] == "arn" and arn[2] in ("iam", "sts") and len(arn[4]) == 12 and arn[4].isdigit():
            identity["accountId"] = arn[4]
    moment = datetime.strptime(str(record["requestdatetime"]), "%d/%b/%Y:%H:%M:%S %z")
    extra = {"SignatureVersion": known("sigv"), "AuthenticationMethod": known("authtype")}
    return {
        "eventTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "s3.amazonaws.com",
        "eventName": record["operation"],
        "awsRegion": region or region_of_host(record["endpoint"]),
        "userIdentity": identity,
        "sourceIPAddress": known("remoteip"),
        "userAgent": known("useragent"),
        "requestParameters": {"bucketName": known("bucket_name")},
        "additionalEventData": {name: value for name, value in extra.items() if value is not None},
        "tlsDetails": {"tlsVersion": _tls_spelling(record["tlsversion"])},
        "errorCode": known("errorcode"),
        "requestID": record["requestid"],
    }


def read_access_log_events(paths: Iterable[Path], window: OracleWindow = ALL_TIME) -> list[Event]:
    """Every record of the access-log files whose day the window reads (its days and the next), as events; a record
    delivered again (same request, bucket, operation and key) once, from the first day it was delivered."""
    events: list[Event] = []
    seen: set[tuple[str | None, ...]] = set()
    for path in sorted(paths, key=lambda path: (access_log_day(path)[0], str(path))):
        day, region = access_log_day(path)
        if (window.since and day < window.since) or (window.until and day > window.until + timedelta(days=1)):
            continue
        for text in path.read_text(encoding="utf-8").split("\n"):
            record = parse_access_log_line(text)
            if record is None:
                continue
            identity = (record["requestid"], record["bucket_name"], record["operation"], record["key"])
            if identity not in seen:
                seen.add(identity)
                events.append(access_log_event(record, region))
    return events


def access_log_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


# --- the rules ---------------------------------------------------------------------------------


def is_aws_traffic(event: Event) -> bool:
    identity = event.get("userIdentity") or {}
    source_ip = event.get("sourceIPAddress") or ""
    agent = event.get("userAgent") or ""
    return (
        identity.get("invokedBy") is not None
        or source_ip.endswith("amazonaws.com")
        or source_ip == "AWS Internal"
        or any(marker in agent for marker in AWS_AGENT_MARKERS)
    )


def customer_events(events: Iterable[Event], window: OracleWindow = ALL_TIME) -> list[Event]:
    """S3 data events of the window that AWS did not send on someone's behalf."""
    return [
        event
        for event in events
        if event.get("eventSource") == "s3.amazonaws.com"
        and window.holds(event["eventTime"])
        and not is_aws_traffic(event)
    ]


def principal(event: Event) -> str | None:
    return (event.get("userIdentity") or {}).get("arn")


def signature_version(event: Event) -> str | None:
    return (event.get("additionalEventData") or {}).get("SignatureVersion")


def auth_method(event: Event) -> str | None:
    return (event.get("additionalEventData") or {}).get("AuthenticationMethod")


def tls_version(event: Event) -> str | None:
    return (event.get("tlsDetails") or {}).get("tlsVersion")


def bucket(event: Event) -> str | None:
    return (event.get("requestParameters") or {}).get("bucketName")


def without_features(agent: str) -> str:
    """The agent minus its UA 2.1 ` m/<features>` word, which changes per operation."""
    words = agent.split(" ")
    kept = [words[0]]
    for word in words[1:]:
        if word.startswith("m/"):
            bracket = word.find("]")
            if bracket >= 0:
                kept[-1] += word[bracket:]
            continue
        kept.append(word)
    return " ".join(kept)


def product_versions(agent: str) -> list[tuple[str, str]]:
    """(lower-cased product, version) for each `product/version` word: at the start, or after a space, tab,
    `[` or `(`."""
    found = []
    for start in range(len(agent)):
        if start and agent[start - 1] not in TOKEN_STARTS:
            continue
        slash = agent.find("/", start)
        if slash <= start:
            continue
        end = slash + 1
        while end < len(agent) and (agent[end].isdigit() or agent[end] == "."):
            end += 1
        version = agent[slash + 1 : end].rstrip(".")
        while ".." in version:
            version = version[: version.index("..")]
        if version and version[0].isdigit():
            found.append((agent[start:slash].lower(), version))
    return found


@dataclass(frozen=True)
class ClientInfo:
    name: str
    version: str
    sigv4_default: str
    """A version, or the catalog's EVERY_RELEASE or NO_RELEASE."""

    @property
    def default_version(self) -> str | None:
        return None if self.sigv4_default in (EVERY_RELEASE, NO_RELEASE) else self.sigv4_default

    @property
    def outdated(self) -> bool:
        if self.sigv4_default in (EVERY_RELEASE, NO_RELEASE):
            return self.sigv4_default == NO_RELEASE
        return version_key(self.version) < version_key(self.sigv4_default)


def version_key(version: str) -> tuple[int, int, int, int]:
    parts = [int(part) for part in version.split(".")[:4]]
    parts += [0] * (4 - len(parts))
    return parts[0], parts[1], parts[2], parts[3]


def identify(agent: str | None) -> ClientInfo | None:
    """The first catalog client whose first product in the agent has a version of its majors.

    The catalog's order decides between clients an agent names: the signer is listed before the tools on it.
    """
    if not agent:
        return None
    products = product_versions(agent)
    for client in CATALOG:
        wanted = PRODUCTS[client.name]
        first = next((version for product, version in products if product in wanted.names), None)
        if first is not None and version_key(first)[0] in wanted.majors:
            return ClientInfo(client.name, first, client.sigv4_default)
    return None


def joined(values: Iterable[str | None]) -> str | None:
    """Sorted distinct values, comma-joined; None when there are none (an aggregate over no rows)."""
    present = sorted({value for value in values if value is not None})
    return ",".join(present) if present else None


def _sorted_list(values: Iterable[str | None]) -> list[str]:
    return sorted({value for value in values if value})


def _max(values: Iterable[str | None]) -> str | None:
    present = [value for value in values if value is not None]
    return max(present) if present else None


def _group(events: Iterable[Event], key: Callable[[Event], tuple[Any, ...]]) -> dict[tuple[Any, ...], list[Event]]:
    groups: dict[tuple[Any, ...], list[Event]] = defaultdict(list)
    for event in events:
        groups[key(event)].append(event)
    return groups


def _seen(events: Sequence[Event]) -> dict[str, str]:
    times = [event["eventTime"] for event in events]
    return {"first_seen": min(times), "last_seen": max(times)}


# --- the detection query ---------------------------------------------------------------------


def findings(events: Iterable[Event], window: OracleWindow = ALL_TIME) -> list[Row]:
    """Finding fields per (ARN, source IP, agent without m/) that has a reason; anonymous callers never."""
    rows = []
    groups = _group(
        (event for event in customer_events(events, window) if principal(event) is not None),
        lambda event: (principal(event), event.get("sourceIPAddress"), without_features(event.get("userAgent") or "")),
    )
    for (arn, source_ip, _agent_key), members in groups.items():
        agents = [event.get("userAgent") or "" for event in members]
        shown = min(agents)
        client = identify(shown)
        reasons = []
        if any(tls_version(event) in LEGACY_TLS for event in members):
            reasons.append("legacy_tls")
        if any((info := identify(agent)) is not None and info.outdated for agent in agents):
            reasons.append("outdated_sdk")
        if any(signature_version(event) == "SigV2" for event in members):
            reasons.append("sigv2")
        if not reasons:
            continue
        rows.append(
            {
                "principal_arn": arn,
                "account_id": _max((event.get("userIdentity") or {}).get("accountId") for event in members),
                "source_ip": source_ip or None,
                "user_agent": shown,
                "client": client.name if client else None,
                "client_version": client.version if client else None,
                "sigv4_default_version": client.default_version if client else None,
                "signature_versions": _sorted_list(map(signature_version, members)),
                "tls_versions": _sorted_list(map(tls_version, members)),
                "auth_methods": _sorted_list(map(auth_method, members)),
                "reasons": reasons,
                "requests": len(members),
                "buckets": _sorted_list(map(bucket, members)),
                "event_names": _sorted_list(event.get("eventName") for event in members),
                "regions": _sorted_list(event.get("awsRegion") for event in members),
                **_seen(members),
            }
        )
    return rows


# --- the other named queries -----------------------------------------------------------------


def s3_requests(events: Iterable[Event], window: OracleWindow = ALL_TIME) -> list[Row]:
    groups = _group(
        customer_events(events, window),
        lambda event: (principal(event), event.get("sourceIPAddress"), event.get("userAgent")),
    )
    return [
        {"principal_arn": arn, "source_ip": ip, "user_agent": agent, "requests": len(members), **_seen(members)}
        for (arn, ip, agent), members in groups.items()
    ]


def sigv2_region_user_agents(events: Iterable[Event], window: OracleWindow = ALL_TIME) -> list[Row]:
    in_regions = [
        event
        for event in customer_events(events, window)
        if event.get("awsRegion") in SIGV2_REGIONS and event.get("userAgent") is not None
    ]
    rows = []
    for (agent,), members in _group(in_regions, lambda event: (event["userAgent"],)).items():
        client = identify(agent)
        rows.append(
            {
                "user_agent": agent,
                "client": client.name if client else None,
                "client_version": client.version if client else None,
                "requests": len(members),
            }
        )
    return rows


def outdated_clients(events: Iterable[Event], window: OracleWindow = ALL_TIME) -> list[Row]:
    rows = []
    for (agent,), members in _group(customer_events(events, window), lambda event: (event.get("userAgent"),)).items():
        client = identify(agent)
        if client is None or not client.outdated:
            continue
        rows.append(
            {
                "user_agent": agent,
                "client": client.name,
                "client_version": client.version,
                "sigv4_default_version": client.default_version,
                "principals": joined(map(principal, members)),
                "requests": len(members),
            }
        )
    return rows


def sigv2_requests(events: Iterable[Event], window: OracleWindow = ALL_TIME) -> list[Row]:
    signed_v2 = [event for event in customer_events(events, window) if signature_version(event) == "SigV2"]
    groups = _group(
        signed_v2,
        lambda event: (
            principal(event),
            event.get("sourceIPAddress"),
            event.get("userAgent"),
            auth_method(event),
            bucket(event),
            event.get("eventName"),
        ),
    )
    return [
        {
            "principal_arn": arn,
            "source_ip": ip,
            "user_agent": agent,
            "auth_method": method,
            "bucket": bucket_name,
            "event_name": name,
            "requests": len(members),
            **_seen(members),
        }
        for (arn, ip, agent, method, bucket_name, name), members in groups.items()
    ]


def requesters(events: Iterable[Event], window: OracleWindow = ALL_TIME) -> list[Row]:
    return [
        {
            "principal_arn": arn,
            "requests": len(members),
            "sigv2_requests": sum(signature_version(event) == "SigV2" for event in members),
            "legacy_tls_requests": sum(tls_version(event) in LEGACY_TLS for event in members),
            "user_agents": len({event["userAgent"] for event in members if event.get("userAgent") is not None}),
            "source_ips": len(
                {event["sourceIPAddress"] for event in members if event.get("sourceIPAddress") is not None}
            ),
        }
        for (arn,), members in _group(customer_events(events, window), lambda event: (principal(event),)).items()
    ]


def legacy_tls(events: Iterable[Event], window: OracleWindow = ALL_TIME) -> list[Row]:
    old_tls = [event for event in customer_events(events, window) if tls_version(event) in LEGACY_TLS]
    groups = _group(
        old_tls,
        lambda event: (principal(event), event.get("sourceIPAddress"), event.get("userAgent"), tls_version(event)),
    )
    return [
        {
            "principal_arn": arn,
            "source_ip": ip,
            "user_agent": agent,
            "tls_version": tls,
            "requests": len(members),
            **_seen(members),
        }
        for (arn, ip, agent, tls), members in groups.items()
    ]


def event_span(events: Iterable[Event], window: OracleWindow = ALL_TIME) -> list[Row]:
    members = customer_events(events, window)
    return [{**_seen(members), "requests": len(members)}] if members else []


QUERIES: dict[str, Callable[[Iterable[Event], OracleWindow], list[Row]]] = {
    "event_span": event_span,
    "detection": findings,
    "s3_requests": s3_requests,
    "sigv2_region_user_agents": sigv2_region_user_agents,
    "outdated_clients": outdated_clients,
    "sigv2_requests": sigv2_requests,
    "requesters": requesters,
    "legacy_tls": legacy_tls,
}


def canonical(rows: Iterable[Row]) -> list[str]:
    """Rows as sorted JSON texts, so result sets compare whatever their order and number types."""
    return sorted(json.dumps({k: _plain(v) for k, v in row.items()}, sort_keys=True) for row in rows)


def _plain(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str | list):
        return value
    if isinstance(value, int | float) or hasattr(value, "__int__"):
        return int(value)
    return value
